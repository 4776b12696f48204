/**
 * The API's enqueues and the worker's completions send BullMQ's scripts as EVALSHA calls written
 * by hand (shared/src/node/script-call.ts). Redis keeps scripts in a cache that a restart without
 * persistence, a failover or `SCRIPT FLUSH` empties: the next call gets NOSCRIPT, and must then
 * go the usual way (ioredis loads the script) — with nothing lost, nothing done twice.
 */
import { createRedis, ScriptCall, startRedisServer } from '@taskwire/shared/node';
import { describe, expect, it, vi } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';

describe('Redis forgets its scripts (SCRIPT FLUSH, as after a restart without persistence)', () => {
  it('enqueues and completions fall back to loading the scripts, and every job completes once', async () => {
    const redis = await startRedisServer();
    const admin = createRedis(redis.url, 'worker', 'script-cache-test');
    const send = vi.spyOn(ScriptCall.prototype, 'send');
    try {
      await using stack = await startStack({ registry: labRegistry, redisUrl: redis.url });
      await stack.startWorker(labHandlers, { concurrency: 4 });
      const batch = async (label: string, count: number) => {
        const refs = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            stack.client.lab.echo.enqueue({
              at: new Date(1_767_000_000_000 + i),
              tags: new Map([[label, i]]),
              big: BigInt(i),
              note: `${label}-${i}`,
            }),
          ),
        );
        return Promise.all(
          refs.map((ref) =>
            eventually(async () => {
              const job = await stack.client.lab.echo.get(ref.id);
              return job.state === 'completed' ? job : undefined;
            }),
          ),
        );
      };

      const before = await batch('before', 20);
      expect(before.map((job) => job.result?.note)).toEqual(Array.from({ length: 20 }, (_, i) => `before-${i}`));
      const viaScriptCalls = send.mock.calls.length;
      // Both the API's adds and the worker's completions went as calls written by hand.
      expect(viaScriptCalls).toBeGreaterThanOrEqual(40);

      const evals = async () => Number(/cmdstat_eval:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
      const evalsBefore = await evals();
      expect(await admin.script('FLUSH')).toBe('OK');
      const after = await batch('after', 20);
      expect(after.map((job) => job.result?.note)).toEqual(Array.from({ length: 20 }, (_, i) => `after-${i}`));
      expect(after.every((job) => job.attemptsMade === 1)).toBe(true);
      expect(after.map((job) => job.result?.at)).toEqual(Array.from({ length: 20 }, (_, i) => new Date(1_767_000_000_000 + i)));

      // The fallback loaded the scripts again (EVAL with the script's text) after NOSCRIPT.
      expect(await evals()).toBeGreaterThan(evalsBefore);
      // Each job once: 40 added, 40 completed, none failed or waiting.
      const [counts] = await stack.client.queues.stats('lab');
      expect(counts).toMatchObject({ waiting: 0, active: 0, failed: 0, completed: 40 });
      // And the calls written by hand are back in use once the scripts were loaded again.
      expect(send.mock.calls.length).toBeGreaterThanOrEqual(viaScriptCalls + 40);
      console.log(`script calls written by hand: ${send.mock.calls.length} for 40 jobs added and completed, across a SCRIPT FLUSH`);
    } finally {
      send.mockRestore();
      admin.disconnect();
      await redis.stop();
    }
  });
  it('enqueueMany: a batch written as one write of script calls, and again across a SCRIPT FLUSH, each job once and in order', async () => {
    const redis = await startRedisServer();
    const admin = createRedis(redis.url, 'worker', 'script-cache-many');
    const send = vi.spyOn(ScriptCall.prototype, 'send');
    try {
      await using stack = await startStack({ registry: labRegistry, redisUrl: redis.url });
      const many = async (label: string, count: number) => {
        const refs = await stack.client.lab.echo.enqueueMany(
          Array.from({ length: count }, (_, i) => ({
            input: { at: new Date(1_767_000_000_000 + i), tags: new Map([[label, i]]), big: BigInt(i), note: `${label}-${i}` },
          })),
        );
        // Ids are given in the order Redis ran the adds: the batch's order.
        const ids = refs.map((ref) => Number(ref.id.split('.').at(-1)));
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(new Set(ids).size).toBe(count);
        return refs;
      };
      // 150 jobs: two chunks (100 and 50), each sent as script calls written by hand.
      await many('before', 150);
      expect(send.mock.calls.length).toBe(150);
      expect(await admin.script('FLUSH')).toBe('OK');
      await many('after', 150);
      // Every call got NOSCRIPT and went BullMQ's way (which loads the script); the next batch is by hand again.
      await many('again', 10);
      expect(send.mock.calls.length).toBe(310);

      await stack.startWorker(labHandlers, { concurrency: 8 });
      await eventually(async () => {
        const [counts] = await stack.client.queues.stats('lab');
        return counts?.completed === 310 ? counts : undefined;
      }, 20_000);
      const [counts] = await stack.client.queues.stats('lab');
      expect(counts).toMatchObject({ waiting: 0, active: 0, failed: 0, completed: 310 });
    } finally {
      send.mockRestore();
      admin.disconnect();
      await redis.stop();
    }
  });
});
