import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaskwireError } from '@taskwire/shared';
import { freePort, type SpawnedRedis, startRedisServer } from '@taskwire/shared/node';
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

const TOTAL = 10_000;
const IN_FLIGHT = 32;
const KILL_AFTER = 3_000;
const DOWN_MS = 1_000;
const AOF = ['--appendonly', 'yes', '--appendfsync', 'always'];

describe('Redis killed (SIGKILL) and restarted while jobs are enqueued through the API', () => {
  it('10k enqueues: every acknowledged job is found afterwards; the API and the workers reconnect by themselves', async () => {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'taskwire-aof-'));
    let redis: SpawnedRedis | undefined = await startRedisServer({ port, dir, args: AOF });
    const prefix = uniquePrefix('rkill');
    const workers: TrackedWorker[] = [];
    let stack: Stack<typeof trackedRegistry> | undefined;
    let done = false;
    try {
      stack = await startStack({ registry: trackedRegistry, redisUrl: redis.url, prefix });
      const api = stack;
      workers.push(...(await Promise.all([1, 2].map(() => startTrackedWorker(api.redisUrl, prefix)))));

      const acked: string[] = [];
      const rejections = new Map<string, number>();
      let next = 0;
      let restartedAt = 0;
      let firstAckAfterRestart = 0;
      const producer = async () => {
        for (let n = next++; n < TOTAL && !done; n = next++) {
          // Retry the same job until the API acknowledges it.
          while (!done) {
            try {
              const ref = await api.client.tracked.work.enqueue({ n, ms: 0 });
              acked.push(ref.id);
              if (restartedAt && !firstAckAfterRestart) firstAckAfterRestart = Date.now();
              break;
            } catch (error) {
              const code = (error as TaskwireError).code ?? 'not a TaskwireError';
              const from = (error as Error).message.startsWith('API unreachable') ? ' (API unreachable)' : '';
              rejections.set(`${code}${from}`, (rejections.get(`${code}${from}`) ?? 0) + 1);
              await sleep(20);
            }
          }
        }
      };
      const fault = async () => {
        await eventually(() => (acked.length >= KILL_AFTER ? true : undefined), 60_000, 5);
        const atKill = acked.length;
        await redis?.stop('SIGKILL');
        redis = undefined;
        await sleep(DOWN_MS);
        redis = await startRedisServer({ port, dir, args: AOF });
        restartedAt = Date.now();
        return atKill;
      };
      const started = performance.now();
      const [ackedAtKill] = await Promise.all([fault(), ...Array.from({ length: IN_FLIGHT }, producer)]);
      const enqueueSeconds = (performance.now() - started) / 1_000;

      await using raw = trackedQueue(api.redisUrl, prefix);
      const states = await statesOf(raw.queue, acked);
      const lost = acked.filter((id) => states.get(id) === 'unknown');
      // The workers reconnected too: everything acknowledged completes.
      await eventually(
        async () => {
          const s = countStates(await statesOf(raw.queue, acked));
          return (s.completed ?? 0) + (s.failed ?? 0) === acked.length ? true : undefined;
        },
        60_000,
        250,
      ).catch(() => undefined);
      const final = countStates(await statesOf(raw.queue, acked));
      const counts = await raw.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
      const stored = Object.values(counts).reduce((a, b) => a + b, 0);
      const t = tally(await raw.runs());
      const late = await api.client.tracked.work.run({ n: TOTAL, ms: 0 }, { timeoutMs: 10_000 }).catch((e: Error) => e);

      console.log(
        `Redis SIGKILL + restart (AOF always): ${acked.length} enqueues acknowledged in ${enqueueSeconds.toFixed(1)} s (${ackedAtKill} before the kill), ` +
          `rejected meanwhile: ${[...rejections].map(([c, n]) => `${c} ×${n}`).join(', ') || 'none'}; ` +
          `${lost.length} acknowledged jobs lost; ${stored - acked.length} stored without an acknowledgement; ` +
          `API acknowledged again ${firstAckAfterRestart ? firstAckAfterRestart - restartedAt : '∞'} ms after the restart; ` +
          `${final.completed ?? 0} completed, ${final.failed ?? 0} failed, ${t.duplicates} re-runs; ` +
          `workers alive ${workers.filter((w) => w.alive).length}/2; a new run after: ${late instanceof Error ? late.message : 'ok'}`,
      );
      expect(acked).toHaveLength(TOTAL);
      expect(lost).toEqual([]);
      expect([...rejections.keys()].filter((k) => k !== 'QUEUE_UNAVAILABLE')).toEqual([]);
      expect(final).toEqual({ completed: TOTAL });
      expect(workers.every((w) => w.alive)).toBe(true);
      expect(late).not.toBeInstanceOf(Error);
    } finally {
      done = true;
      await stopWorkers(workers, 3_000);
      // Cleanup needs a Redis; the whole server goes away after.
      if (!redis) redis = await startRedisServer({ port, dir, args: AOF }).catch(() => undefined);
      if (stack) await within(stack[Symbol.asyncDispose](), 15_000, 'stack cleanup').catch(() => {});
      await redis?.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
