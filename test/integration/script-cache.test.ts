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
import { startSlowLink } from '../fixtures/slow-link.ts';

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
    const sendAll = vi.spyOn(ScriptCall.prototype, 'sendAll');
    // Calls written by hand, counted by the batches handed to sendAll.
    const byHand = () => sendAll.mock.calls.reduce((sum, [, batch]) => sum + batch.length, 0);
    const scriptLoads = async () => Number(/cmdstat_script\|load:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    const evals = async () => Number(/cmdstat_eval:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
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
      expect(byHand()).toBe(150);
      expect(await admin.script('FLUSH')).toBe('OK');
      const [loadsBefore, evalsBefore] = [await scriptLoads(), await evals()];
      await many('after', 150);
      // Every call got NOSCRIPT; each chunk loaded the script and sent its calls again by hand,
      // not BullMQ's way (EVAL with the script's text). The next batch is by hand at once.
      expect(await scriptLoads()).toBeGreaterThan(loadsBefore);
      expect(await evals()).toBe(evalsBefore);
      await many('again', 10);
      expect(byHand()).toBe(310);

      await stack.startWorker(labHandlers, { concurrency: 8 });
      await eventually(async () => {
        const [counts] = await stack.client.queues.stats('lab');
        return counts?.completed === 310 ? counts : undefined;
      }, 20_000);
      const [counts] = await stack.client.queues.stats('lab');
      expect(counts).toMatchObject({ waiting: 0, active: 0, failed: 0, completed: 310 });
    } finally {
      sendAll.mockRestore();
      admin.disconnect();
      await redis.stop();
    }
  });

  it('enqueueMany across a SCRIPT FLUSH keeps the batch order when the replies come back a few at a time', async () => {
    // The refusals of a batch then reach the API in several reads. Were each call sent again as
    // its refusal arrives, the calls refused in a later read would meet the script already loaded
    // again by the retries of an earlier one, and be stored before calls that came before them.
    const redis = await startRedisServer();
    const admin = createRedis(redis.url, 'worker', 'script-cache-pieces');
    try {
      await using link = await startSlowLink(redis.url, { pieceBytes: 200, pauseMs: 1 });
      await using stack = await startStack({ registry: labRegistry, redisUrl: link.url });
      const many = (label: string, count: number) =>
        stack.client.lab.echo.enqueueMany(
          Array.from({ length: count }, (_, i) => ({
            input: { at: new Date(1_767_000_000_000 + i), tags: new Map([[label, i]]), big: BigInt(i), note: `${label}-${i}` },
          })),
        );
      await many('warm', 10);
      const batches: { label: string; ids: string[] }[] = [];
      for (const label of ['first', 'second', 'third', 'fourth', 'fifth']) {
        expect(await admin.script('FLUSH')).toBe('OK');
        const refs = await many(label, 150);
        const ids = refs.map((ref) => Number(ref.id.split('.').at(-1)));
        // Ids are given in the order Redis ran the adds: the batch's order, with no gap or repeat.
        expect(ids).toEqual(Array.from({ length: 150 }, (_, i) => (ids[0] as number) + i));
        batches.push({ label, ids: refs.map((ref) => ref.id) });
      }
      // Each id holds its own item.
      for (const { label, ids } of batches) {
        const notes = await Promise.all(ids.map(async (id) => (await stack.client.lab.echo.get(id)).input.note));
        expect(notes).toEqual(Array.from({ length: 150 }, (_, i) => `${label}-${i}`));
      }
      const [counts] = await stack.client.queues.stats('lab');
      expect(counts).toMatchObject({ waiting: 760, active: 0, failed: 0 });
    } finally {
      admin.disconnect();
      await redis.stop();
    }
  });
});
