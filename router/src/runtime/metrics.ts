import type { TaskwireErrorCode } from '@taskwire/shared';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { QueueHub } from './hub.ts';

const STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;

/** What the router reports as it serves, for metrics (and anything else that wants to watch). */
export interface ApiObserver {
  enqueued(task: string, jobs: number): void;
  rejected(task: string, code: TaskwireErrorCode): void;
}

/**
 * The API's Prometheus metrics, on a registry of its own: jobs enqueued and inputs rejected per
 * task, queue depth per family and state and, for tasks with concurrency or rate limits, jobs
 * running and waiting on a limit per task and top key (read from Redis at scrape time), and the
 * process's default metrics.
 *
 * @example
 * const metrics = new ApiMetrics(hub);
 * res.end(await metrics.registry.metrics());
 */
export class ApiMetrics implements ApiObserver {
  readonly registry = new Registry();
  private readonly enqueuedTotal: Counter<'task'>;
  private readonly rejectedTotal: Counter<'task' | 'code'>;

  constructor(hub: QueueHub) {
    collectDefaultMetrics({ register: this.registry, prefix: 'taskwire_api_' });
    this.enqueuedTotal = new Counter({
      name: 'taskwire_jobs_enqueued_total',
      help: 'Jobs accepted and written to the queue, per task (deduplicated repeats not counted).',
      labelNames: ['task'],
      registers: [this.registry],
    });
    this.rejectedTotal = new Counter({
      name: 'taskwire_enqueue_rejected_total',
      help: 'Enqueue calls refused, per task and error code (invalid input, payload too large, rate limited, …).',
      labelNames: ['task', 'code'],
      registers: [this.registry],
    });
    new Gauge({
      name: 'taskwire_queue_jobs',
      help: 'Jobs in each family queue, per state, read from Redis at scrape time.',
      labelNames: ['family', 'state'],
      registers: [this.registry],
      async collect() {
        if (!hub.connected) return;
        await Promise.all(
          Object.keys(hub.registry).map(async (family) => {
            const counts = await hub.run(() => hub.queue(family).getJobCounts(...STATES)).catch(() => undefined);
            if (!counts) return;
            for (const state of STATES) this.set({ family, state }, counts[state] ?? 0);
          }),
        );
      },
    });
    const gated = Object.values(hub.registry).flatMap((family) =>
      Object.values(family.tasks).filter((task) => task.flowSettings?.kind === 'gate'),
    );
    if (gated.length > 0) {
      // Per task, and per key for the 10 keys with the most waiting (a bounded number of series).
      const flowJobs = new Gauge({
        name: 'taskwire_flow_jobs',
        help: 'Jobs of tasks with concurrency or rate limits, running or waiting on a limit, per task (key="") and for the 10 keys with the most waiting; read at scrape time.',
        labelNames: ['task', 'key', 'state'],
        registers: [this.registry],
        async collect() {
          if (!hub.connected) return;
          flowJobs.reset();
          await Promise.all(
            gated.map(async (task) => {
              const stats = await hub.run(() => hub.gate(task).stats(10)).catch(() => undefined);
              if (!stats) return;
              this.set({ task: task.id, key: '', state: 'running' }, stats.running);
              this.set({ task: task.id, key: '', state: 'waiting' }, stats.waiting);
              for (const key of stats.keys) {
                this.set({ task: task.id, key: key.key, state: 'running' }, key.running);
                this.set({ task: task.id, key: key.key, state: 'waiting' }, key.waiting);
              }
            }),
          );
        },
      });
    }
    const required = hub.requiredReplicas;
    if (required > 0) {
      new Gauge({
        name: 'taskwire_redis_replicas_required',
        help: 'Replicas an enqueue waits for before it is acknowledged (waitReplicas).',
        registers: [this.registry],
      }).set(required);
      new Gauge({
        name: 'taskwire_redis_replicas_online',
        help: 'Replicas the Redis master lists as online, read at scrape time (below taskwire_redis_replicas_required, every enqueue fails).',
        registers: [this.registry],
        async collect() {
          const replicas = hub.connected ? await hub.replicas().catch(() => undefined) : undefined;
          // Unknown while Redis does not answer: no sample, rather than the last one.
          if (replicas) this.set(replicas.online);
          else this.reset();
        },
      });
    }
  }

  enqueued(task: string, jobs: number): void {
    if (jobs > 0) this.enqueuedTotal.inc({ task }, jobs);
  }

  rejected(task: string, code: TaskwireErrorCode): void {
    this.rejectedTotal.inc({ task, code });
  }
}
