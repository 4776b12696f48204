import type { TaskwireError } from '@taskwire/shared';
import { Cluster } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { startStack } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';

const input = (note: string) => ({ at: new Date('2026-01-02T03:04:05.678Z'), tags: new Map([['a', 1]]), big: 1n, note });

describe('single enqueues that arrive together', () => {
  it('each get their own JobRef, share an idempotency key safely, and one oversized job fails alone', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const calls = Array.from({ length: 50 }, (_, i) =>
      stack.client.lab.echo.enqueue(input(i === 7 ? 'x'.repeat(600 * 1024) : `n${i}`), i % 10 === 3 ? { idempotencyKey: 'same' } : {}),
    );
    const results = await Promise.allSettled(calls);

    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [[i, (r.reason as TaskwireError).code] as const] : []));
    expect(rejected).toEqual([[7, 'PAYLOAD_TOO_LARGE']]);
    const refs = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(refs).toHaveLength(49);
    // Five calls share one idempotency key: one job, four duplicates pointing at it.
    const keyed = [3, 13, 23, 33, 43].map((i) => (results[i] as PromiseFulfilledResult<(typeof refs)[number]>).value);
    expect(new Set(keyed.map((r) => r.id)).size).toBe(1);
    expect(keyed.filter((r) => r.deduplicated)).toHaveLength(4);
    // Every other call has its own job, holding its own input.
    const ids = refs.filter((r) => !r.deduplicated).map((r) => r.id);
    expect(new Set(ids).size).toBe(45);
    for (const i of [0, 8, 49]) {
      const view = await stack.client.lab.echo.get((results[i] as PromiseFulfilledResult<(typeof refs)[number]>).value.id);
      expect(view.input.note).toBe(`n${i}`);
    }
    console.log(`50 concurrent calls: ${ids.length} jobs, ${keyed.length - 1} deduplicated, 1 rejected alone`);
  });

  it('a burst of 64 calls in one frame: each job goes to Redis on its own, in the order of the calls', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const writer = stack.api.hub.writer('lab');
    const addMany = vi.spyOn(writer, 'addMany');
    const add = vi.spyOn(writer, 'add');
    // On a single node, the commands of one turn are held and leave together: far fewer socket
    // writes than jobs. (A cluster client writes to a socket per node and is not held.)
    const redis = stack.api.hub.redis;
    const socket = redis instanceof Cluster ? undefined : (redis.stream as unknown as { _writev: () => void; _write: () => void });
    const writev = socket && vi.spyOn(socket, '_writev');
    const write = socket && vi.spyOn(socket, '_write');
    const refs = await Promise.all(Array.from({ length: 64 }, (_, i) => stack.client.lab.echo.enqueue(input(`n${i}`))));
    expect(new Set(refs.map((r) => r.id)).size).toBe(64);
    console.log(`64 concurrent calls → ${add.mock.calls.length} add, ${addMany.mock.calls.length} addMany`);
    expect(addMany).not.toHaveBeenCalled();
    if (writev && write) {
      const writes = writev.mock.calls.length + write.mock.calls.length;
      console.log(`single node: ${writes} socket writes to Redis for the 64 jobs`);
      expect(writes).toBeGreaterThan(0);
      expect(writes).toBeLessThanOrEqual(8);
    }
    expect(add.mock.calls.map(([job]) => JSON.parse(job.data).p.json.note)).toEqual(refs.map((_, i) => `n${i}`));
    const views = await Promise.all(refs.map((r) => stack.client.lab.echo.get(r.id)));
    expect(views.map((v) => v.input.note)).toEqual(refs.map((_, i) => `n${i}`));
  });

  it('a large enqueueMany goes out in chunks, keeps its order, and adds nothing when one job is over its limit', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const addMany = vi.spyOn(stack.api.hub.writer('lab'), 'addMany');
    const items = Array.from({ length: 450 }, (_, i) => ({ input: input(`n${i}`) }));
    const refs = await stack.client.lab.echo.enqueueMany(items);
    expect(addMany.mock.calls.map(([jobs]) => jobs.length)).toEqual([100, 100, 100, 100, 50]);
    expect(new Set(refs.map((r) => r.id)).size).toBe(450);
    const sample = await Promise.all([0, 99, 100, 449].map((i) => stack.client.lab.echo.get((refs[i] as (typeof refs)[number]).id)));
    expect(sample.map((v) => v.input.note)).toEqual(['n0', 'n99', 'n100', 'n449']);

    const waitingBefore = (await stack.client.queues.stats('lab'))[0]?.waiting;
    const withHuge = items.map((item, i) => (i === 300 ? { input: input('x'.repeat(600 * 1024)) } : item));
    const error = await stack.client.lab.echo.enqueueMany(withHuge).catch((e: TaskwireError) => e);
    expect((error as TaskwireError).code).toBe('PAYLOAD_TOO_LARGE');
    expect((await stack.client.queues.stats('lab'))[0]?.waiting).toBe(waitingBefore);
  });
});
