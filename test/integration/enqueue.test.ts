import { TaskwireError } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';
import { eventually, snapshotKeys, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';

const echoInput = () => ({ at: new Date('2026-01-02T03:04:05.678Z'), tags: new Map([['a', 1]]), big: 12345678901234567890n, note: 'hi' });

async function rejection(promise: Promise<unknown>): Promise<TaskwireError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TaskwireError);
  return error as TaskwireError;
}

describe('enqueue', () => {
  it('returns a JobRef whose id names the family, and the job is stored with its input', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const ref = await stack.client.lab.echo.enqueue(echoInput());
    expect(ref).toMatchObject({ task: 'lab.echo', deduplicated: false });
    expect(ref.id).toMatch(/^lab\./);
    expect(ref.enqueuedAt).toBeInstanceOf(Date);
    const view = await stack.client.lab.echo.get(ref.id);
    expect(view.state).toBe('waiting');
    expect(view.input).toEqual(echoInput());
    expect(view.version).toBe(1);
    expect(view.attempts).toBe(1);
  });

  it('rejects invalid input with INVALID_INPUT and field issues, writing nothing to Redis', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const before = await snapshotKeys(stack.redis, stack.prefix);
    const error = await rejection(
      stack.client.lab.echo.enqueue({ ...echoInput(), note: '', at: 'yesterday' } as unknown as ReturnType<typeof echoInput>),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.issues?.map((i) => i.path.join('.')).sort()).toEqual(['input.at', 'input.note']);
    const many = await rejection(
      stack.client.lab.steps.enqueueMany([{ input: { count: 1, delayMs: 0 } }, { input: { count: 0, delayMs: 0 } }]),
    );
    expect(many.code).toBe('INVALID_INPUT');
    expect(many.issues?.[0]?.path).toEqual(['items', 1, 'input', 'count']);
    const badOptions = await rejection(stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }, { delayMs: 10, runAt: new Date() }));
    expect(badOptions.code).toBe('INVALID_INPUT');
    expect(await snapshotKeys(stack.redis, stack.prefix)).toEqual(before);
    expect(Object.keys(before).some((key) => /:(wait|id|events)$/.test(key))).toBe(false);
  });

  it('enqueueMany adds every item in order with one call', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const items = Array.from({ length: 250 }, (_, i) => ({ input: { count: (i % 50) + 1, delayMs: 0 } }));
    const refs = await stack.client.lab.steps.enqueueMany(items);
    expect(refs).toHaveLength(250);
    expect(new Set(refs.map((r) => r.id)).size).toBe(250);
    const views = await Promise.all([refs[0], refs[249]].map((r) => stack.client.lab.steps.get(r!.id)));
    expect(views.map((v) => v.input.count)).toEqual([1, 50]);
    const [stats] = await stack.client.queues.stats('lab');
    expect(stats?.waiting).toBe(250);
  });

  it('an idempotency key returns the first JobRef with deduplicated: true', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const first = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }, { idempotencyKey: 'order-42' });
    const again = await stack.client.lab.steps.enqueue({ count: 2, delayMs: 0 }, { idempotencyKey: 'order-42' });
    expect(again).toEqual({ ...first, deduplicated: true });
    const otherTask = await stack.client.lab.flaky.enqueue({ failTimes: 0, key: 'x' }, { idempotencyKey: 'order-42' });
    expect(otherTask.deduplicated).toBe(false);
    const batch = await stack.client.lab.steps.enqueueMany([
      { input: { count: 1, delayMs: 0 }, options: { idempotencyKey: 'b-1' } },
      { input: { count: 1, delayMs: 0 }, options: { idempotencyKey: 'b-1' } },
      { input: { count: 1, delayMs: 0 }, options: { idempotencyKey: 'order-42' } },
      { input: { count: 1, delayMs: 0 } },
    ]);
    expect(batch.map((r) => r.deduplicated)).toEqual([false, true, true, false]);
    expect(batch[1]?.id).toBe(batch[0]?.id);
    expect(batch[2]?.id).toBe(first.id);
    const [stats] = await stack.client.queues.stats('lab');
    expect(stats?.waiting).toBe(4); // first, otherTask, b-1, the unkeyed one
  });

  it('concurrent enqueues with one key create exactly one job', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const refs = await Promise.all(
      Array.from({ length: 20 }, () => stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }, { idempotencyKey: 'race' })),
    );
    expect(new Set(refs.map((r) => r.id)).size).toBe(1);
    expect(refs.filter((r) => !r.deduplicated)).toHaveLength(1);
    const [stats] = await stack.client.queues.stats('lab');
    expect(stats?.waiting).toBe(1);
  });

  it('delayMs and runAt hold a job back until its time', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const delayed = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }, { delayMs: 800 });
    const runAt = new Date(Date.now() + 60_000);
    const later = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }, { runAt });
    const view = await stack.client.lab.steps.get(delayed.id);
    expect(view.state).toBe('delayed');
    expect(view.runAt!.getTime()).toBeGreaterThanOrEqual(delayed.enqueuedAt.getTime() + 800);
    const laterView = await stack.client.lab.steps.get(later.id);
    expect(laterView.state).toBe('delayed');
    expect(Math.abs(laterView.runAt!.getTime() - runAt.getTime())).toBeLessThan(50);
    const done = await eventually(async () => {
      const v = await stack.client.lab.steps.get(delayed.id);
      return v.state === 'completed' ? v : undefined;
    });
    expect(done.startedAt!.getTime() - delayed.enqueuedAt.getTime()).toBeGreaterThanOrEqual(790);
    expect((await stack.client.lab.steps.get(later.id)).state).toBe('delayed');
  });

  it('priority: lower numbers run first', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const order: number[] = [];
    const priorities = [5, 1, 3, 2, 4];
    const refs = [];
    for (const priority of priorities) refs.push(await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }, { priority }));
    expect((await stack.client.lab.steps.get(refs[1]!.id)).priority).toBe(1);
    const worker = await stack.startWorker(labHandlers, { concurrency: 1 });
    worker.worker.on('completed', (job) => order.push(job.opts.priority ?? 0));
    await eventually(() => (order.length === 5 ? true : undefined));
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});
