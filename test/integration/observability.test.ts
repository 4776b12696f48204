import { Writable } from 'node:stream';
import type { TaskwireError } from '@taskwire/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { jobEventLogger, startFamilyWorker, WorkerMetrics } from '../../worker/src/index.ts';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('metrics and logs', () => {
  it('/metrics on the API counts enqueued jobs, rejected inputs and queue depth by state', async () => {
    await using stack = await startStack({ registry: labRegistry });
    await stack.client.lab.steps.enqueueMany([{ input: { count: 1, delayMs: 0 } }, { input: { count: 2, delayMs: 0 } }]);
    await stack.client.lab.steps.enqueue({ count: 3, delayMs: 0 }, { delayMs: 60_000 });
    await stack.client.lab.steps.enqueue({ count: 3, delayMs: 0 }, { idempotencyKey: 'k' });
    await stack.client.lab.steps.enqueue({ count: 3, delayMs: 0 }, { idempotencyKey: 'k' }); // deduplicated: not counted
    await stack.client.lab.steps.enqueue({ count: 0, delayMs: 0 }).catch((e: TaskwireError) => e);
    const response = await fetch(`${stack.api.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await response.text();
    expect(metricValue(text, 'taskwire_jobs_enqueued_total', { task: 'lab.steps' })).toBe(4);
    expect(metricValue(text, 'taskwire_enqueue_rejected_total', { task: 'lab.steps', code: 'INVALID_INPUT' })).toBe(1);
    expect(metricValue(text, 'taskwire_queue_jobs', { family: 'lab', state: 'waiting' })).toBe(3);
    expect(metricValue(text, 'taskwire_queue_jobs', { family: 'lab', state: 'delayed' })).toBe(1);
    expect(text).toMatch(/^# TYPE taskwire_jobs_enqueued_total counter$/m);
    expect(text).toMatch(/^taskwire_api_process_resident_memory_bytes \d+/m);
  });

  it('worker metrics count completions, failures by code, retries and durations; logs are one JSON line per job event without unsafe input', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const metrics = new WorkerMetrics({ processMetrics: false });
    const log = jobEventLogger(pino(sink));
    const worker = await startFamilyWorker({
      handlers: labHandlers,
      redis: stack.redis,
      prefix: stack.prefix,
      onEvent: (event) => {
        metrics.observe(event);
        log(event);
      },
    });
    try {
      const key = `obs-${stack.prefix}`;
      const retried = await stack.client.lab.flaky.enqueue({ failTimes: 1, key });
      const failed = await stack.client.lab.liar.enqueue({ kind: 'output' });
      for (const id of [retried.id, failed.id]) {
        await eventually(async () => (['completed', 'failed'].includes((await stack.client.jobs.get(id)).state) ? true : undefined));
      }
      await eventually(() => (lines.filter((l) => l.jobId === failed.id && l.event === 'job.failed').length ? true : undefined));
      const text = await metrics.registry.metrics();
      expect(metricValue(text, 'taskwire_jobs_completed_total', { task: 'lab.flaky' })).toBe(1);
      expect(metricValue(text, 'taskwire_job_retries_total', { task: 'lab.flaky', code: 'HANDLER_ERROR' })).toBe(1);
      expect(metricValue(text, 'taskwire_jobs_failed_total', { task: 'lab.liar', code: 'INVALID_OUTPUT' })).toBe(1);
      expect(metricValue(text, 'taskwire_job_duration_seconds_count', { task: 'lab.flaky', outcome: 'completed' })).toBe(1);

      const flakyEvents = lines.filter((l) => l.jobId === retried.id).map((l) => l.event);
      expect(flakyEvents).toEqual(['job.started', 'job.retrying', 'job.started', 'job.completed']);
      const completed = lines.find((l) => l.jobId === retried.id && l.event === 'job.completed')!;
      expect(completed).toMatchObject({ task: 'lab.flaky', family: 'lab', attempt: 2, input: { failTimes: 1 } });
      expect(typeof completed.durationMs).toBe('number');
      expect(JSON.stringify(lines)).not.toContain(key); // `key` is not a logFields entry
      const liar = lines.find((l) => l.jobId === failed.id && l.event === 'job.failed')!;
      expect(liar).toMatchObject({ code: 'INVALID_OUTPUT', willRetry: false, level: 50 });
      expect(liar).not.toHaveProperty('input');
    } finally {
      await worker.close();
    }
  });
});
