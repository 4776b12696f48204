import type { TaskwireError } from '@taskwire/shared';
import { type SpawnedRedis, startRedisServer } from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';
import { eventually, type Stack, startStack, uniquePrefix } from '../fixtures/harness.ts';
import { trackedRegistry } from '../fixtures/tracked.ts';
import {
  countStates,
  sleep,
  startTrackedWorker,
  statesOf,
  stopWorkers,
  type TrackedWorker,
  tally,
  trackedQueue,
  within,
} from './support.ts';

const STOPPED_MS = 10_000;
const PRODUCERS = 8;

interface Call {
  startedAt: number;
  endedAt: number;
  ms: number;
  /** Undefined when the call was acknowledged. */
  code?: string;
}

async function timed<T>(operation: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = performance.now();
  try {
    const value = await operation();
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('Redis frozen (SIGSTOP) for 10 s under load', () => {
  it('enqueue fails with QUEUE_UNAVAILABLE within 2 s, nothing crashes, processing resumes within 5 s of SIGCONT, 0 lost', async () => {
    const redis: SpawnedRedis = await startRedisServer();
    const prefix = uniquePrefix('rstop');
    const workers: TrackedWorker[] = [];
    let stack: Stack<typeof trackedRegistry> | undefined;
    let frozen = false;
    let producing = true;
    try {
      stack = await startStack({ registry: trackedRegistry, redisUrl: redis.url, prefix });
      const api = stack;
      workers.push(...(await Promise.all([1, 2].map(() => startTrackedWorker(api.redisUrl, prefix)))));

      const calls: Call[] = [];
      const acked: string[] = [];
      let n = 0;
      const producer = async () => {
        while (producing) {
          const startedAt = Date.now();
          const r = await timed(() => api.client.tracked.work.enqueue({ n: n++, ms: 5 }));
          if (r.value) {
            acked.push(r.value.id);
            calls.push({ startedAt, endedAt: Date.now(), ms: r.ms });
            await sleep(10);
          } else {
            const e = r.error as TaskwireError;
            calls.push({
              startedAt,
              endedAt: Date.now(),
              ms: r.ms,
              code: `${e.code}${e.message.startsWith('API unreachable') ? ' (API unreachable)' : ''}`,
            });
            await sleep(100);
          }
        }
      };
      const producers = Array.from({ length: PRODUCERS }, producer);

      await sleep(2_000);
      const ackedBefore = acked.length;
      process.kill(redis.pid, 'SIGSTOP');
      frozen = true;
      const stoppedAt = Date.now();
      await sleep(3_000);
      const probe = await timed(() => api.client.tracked.work.enqueue({ n: 1_000_000, ms: 0 }));
      const healthz = await timed(() => fetch(`${api.api.url}/healthz`).then((r) => r.status));
      const readyz = await timed(() => fetch(`${api.api.url}/readyz`).then((r) => r.status));
      await sleep(stoppedAt + STOPPED_MS - Date.now());
      process.kill(redis.pid, 'SIGCONT');
      frozen = false;
      const resumedAt = Date.now();

      // Processing resumed: a job enqueued after Redis returned has completed.
      let resumeMs = Number.POSITIVE_INFINITY;
      const resumeProbe = await eventually(() => api.client.tracked.work.enqueue({ n: 1_000_001, ms: 0 }), 10_000, 50).catch(
        () => undefined,
      );
      if (resumeProbe) {
        await eventually(
          async () => ((await api.client.tracked.work.get(resumeProbe.id)).state === 'completed' ? true : undefined),
          15_000,
          50,
        )
          .then(() => {
            resumeMs = Date.now() - resumedAt;
          })
          .catch(() => {});
      }
      await sleep(2_000);
      producing = false;
      await Promise.all(producers);

      await using raw = trackedQueue(api.redisUrl, prefix);
      await eventually(
        async () => {
          const s = countStates(await statesOf(raw.queue, acked));
          return (s.completed ?? 0) + (s.failed ?? 0) === acked.length ? true : undefined;
        },
        30_000,
        250,
      ).catch(() => undefined);
      const final = countStates(await statesOf(raw.queue, acked));
      const lost = acked.length - (final.completed ?? 0) - (final.failed ?? 0);
      const t = tally(await raw.runs());
      // Calls made and answered while Redis was frozen (others straddle SIGSTOP or SIGCONT).
      const duringStop = calls.filter((c) => c.startedAt >= stoppedAt && c.endedAt < resumedAt);
      const failures = calls.filter((c) => c.code);
      const codes = [...new Set(failures.map((c) => c.code))];
      const slowest = Math.max(...calls.map((c) => c.ms));
      const probeCode = (probe.error as TaskwireError | undefined)?.code ?? 'acknowledged';

      console.log(
        `Redis SIGSTOP ${STOPPED_MS / 1_000} s under load: ${duringStop.length} enqueues during the stop, ${duringStop.filter((c) => c.code).length} failed (${codes.join(', ') || '-'}), ` +
          `probe ${probeCode} after ${probe.ms.toFixed(0)} ms, slowest call ${slowest.toFixed(0)} ms; /healthz ${String(healthz.value)} in ${healthz.ms.toFixed(0)} ms, ` +
          `/readyz ${String(readyz.value)} in ${readyz.ms.toFixed(0)} ms; processing resumed ${resumeMs} ms after SIGCONT; ` +
          `${acked.length} acknowledged (${ackedBefore} before the stop), ${final.completed ?? 0} completed, ${final.failed ?? 0} failed, ${lost} lost, ` +
          `${t.duplicates} jobs re-run (lock expired while Redis was frozen); processes alive: workers ${workers.filter((w) => w.alive).length}/2, API yes`,
      );
      expect(probeCode).toBe('QUEUE_UNAVAILABLE');
      expect(probe.ms).toBeLessThanOrEqual(2_000);
      expect(duringStop.filter((c) => !c.code)).toEqual([]);
      expect(codes).toEqual(['QUEUE_UNAVAILABLE']);
      expect(slowest).toBeLessThanOrEqual(2_000);
      expect(healthz.value).toBe(200);
      expect(readyz.value).toBe(503);
      expect(readyz.ms).toBeLessThanOrEqual(2_000);
      expect(resumeMs).toBeLessThanOrEqual(5_000);
      expect(lost).toBe(0);
      expect(final.failed ?? 0).toBe(0);
      expect(workers.every((w) => w.alive)).toBe(true);
    } finally {
      producing = false;
      if (frozen) process.kill(redis.pid, 'SIGCONT');
      await stopWorkers(workers, 3_000);
      if (stack) await within(stack[Symbol.asyncDispose](), 15_000, 'stack cleanup').catch(() => {});
      await redis.stop('SIGKILL');
    }
  });
});
