import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { WorkerEvent } from './events.ts';

/**
 * A worker process's Prometheus metrics: jobs completed, failed (by task and error code) and
 * retried, and job duration, fed from {@link WorkerEvent}s.
 *
 * @example
 * const metrics = new WorkerMetrics();
 * await startFamilyWorker({ handlers, redisUrl, onEvent: (e) => metrics.observe(e) });
 */
export class WorkerMetrics {
  readonly registry: Registry;
  private readonly completed: Counter<'task'>;
  private readonly failed: Counter<'task' | 'code'>;
  private readonly retries: Counter<'task' | 'code'>;
  private readonly duration: Histogram<'task' | 'outcome'>;

  constructor(options: { registry?: Registry; processMetrics?: boolean } = {}) {
    this.registry = options.registry ?? new Registry();
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'taskwire_worker_' });
    const registers = [this.registry];
    this.completed = new Counter({
      name: 'taskwire_jobs_completed_total',
      help: 'Jobs that finished successfully, per task.',
      labelNames: ['task'],
      registers,
    });
    this.failed = new Counter({
      name: 'taskwire_jobs_failed_total',
      help: 'Jobs that failed for good (no attempt left, or not retryable), per task and error code.',
      labelNames: ['task', 'code'],
      registers,
    });
    this.retries = new Counter({
      name: 'taskwire_job_retries_total',
      help: 'Failed attempts that will be retried, per task and error code.',
      labelNames: ['task', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'taskwire_job_duration_seconds',
      help: 'Time a job attempt ran on a worker, per task and outcome.',
      labelNames: ['task', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
  }

  observe(event: WorkerEvent): void {
    if (event.type === 'completed') {
      this.completed.inc({ task: event.task });
      this.duration.observe({ task: event.task, outcome: 'completed' }, event.durationMs / 1000);
    } else if (event.type === 'failed') {
      (event.willRetry ? this.retries : this.failed).inc({ task: event.task, code: event.code });
      this.duration.observe({ task: event.task, outcome: event.willRetry ? 'retried' : 'failed' }, event.durationMs / 1000);
    }
  }
}
