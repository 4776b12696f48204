import { createKeys, defineFamily, defineRegistry, defineTask, encodeEnvelope, type TaskwireError } from '@taskwire/shared';
import { createRedis } from '@taskwire/shared/node';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineHandlers } from '../../worker/src/index.ts';
import { eventually, snapshotKeys, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';
import { codeOf as code } from '../fixtures/outcomes.ts';

const blob = defineTask({
  id: 'files.store',
  version: 1,
  input: z.object({ body: z.string() }),
  output: z.object({ bytes: z.number() }),
  defaults: { maxPayloadBytes: 1_024, attempts: 1 },
});
const filesRegistry = defineRegistry({ files: defineFamily('files', { store: blob }, { rateLimit: { max: 2, durationMs: 1_000 } }) });
const filesHandlers = defineHandlers(filesRegistry.files, { store: (input) => ({ bytes: input.body.length }) });

describe('limits', () => {
  it('a payload over the task limit is PAYLOAD_TOO_LARGE and nothing is enqueued; so is a body over the server limit', async () => {
    await using stack = await startStack({ registry: filesRegistry });
    const before = await snapshotKeys(stack.redis, stack.prefix);
    expect(await code(stack.client.files.store.enqueue({ body: 'x'.repeat(2_000) }))).toBe('PAYLOAD_TOO_LARGE');
    expect(await code(stack.client.files.store.enqueueMany([{ input: { body: 'ok' } }, { input: { body: 'x'.repeat(2_000) } }]))).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(await snapshotKeys(stack.redis, stack.prefix)).toEqual(before);
    expect(await code(stack.client.files.store.enqueue({ body: 'x'.repeat(900) }))).toBe('OK');
    const huge = await fetch(`${stack.api.url}/trpc/files.store.enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { input: { body: 'y'.repeat(2_000_000) } } }),
    });
    expect(huge.status).toBe(413);
  });

  it('enqueueMany is capped at 1,000 items per call', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const items = Array.from({ length: 1_001 }, () => ({ input: { count: 1, delayMs: 0 } }));
    const error = await stack.client.lab.steps.enqueueMany(items).catch((e: TaskwireError) => e);
    expect((error as TaskwireError).code).toBe('INVALID_INPUT');
    expect((error as TaskwireError).issues?.[0]?.path).toEqual(['items']);
  });

  it("the family's rate limit holds and shows in queues.stats", async () => {
    await using stack = await startStack({ registry: filesRegistry, handlers: [filesHandlers] });
    const refs = await stack.client.files.store.enqueueMany(Array.from({ length: 6 }, (_, i) => ({ input: { body: `${i}` } })));
    const [stats] = await stack.client.queues.stats('files');
    expect(stats?.rateLimit).toMatchObject({ max: 2, durationMs: 1_000 });
    const started = Date.now();
    const views = await eventually(async () => {
      const vs = await Promise.all(refs.map((r) => stack.client.files.store.get(r.id)));
      return vs.every((v) => v.state === 'completed') ? vs : undefined;
    });
    const starts = views.map((v) => v.startedAt!.getTime()).sort((a, b) => a - b);
    // 6 jobs at 2 per second need at least two more windows after the first.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(1_500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
  });
});

describe('queue control and dead letters', () => {
  it('pause stops workers from taking jobs; resume lets them run', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    expect(await stack.client.queues.pause('lab')).toEqual({ family: 'lab', paused: true });
    const ref = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await stack.client.lab.steps.get(ref.id)).state).toBe('waiting');
    expect((await stack.client.queues.stats('lab'))[0]?.paused).toBe(true);
    await stack.client.queues.resume('lab');
    await eventually(async () => ((await stack.client.lab.steps.get(ref.id)).state === 'completed' ? true : undefined));
  });

  it('lists failed jobs with code, attempts and input; replays one or all after re-validation', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const key = `dl-${stack.prefix}`;
    const failing = await stack.client.lab.flaky.enqueueMany([
      { input: { failTimes: 1, key: `${key}-a` }, options: { attempts: 1 } },
      { input: { failTimes: 1, key: `${key}-b` }, options: { attempts: 1 } },
    ]);
    // A dead letter whose payload no longer fits the contract cannot be replayed.
    const connection = createRedis(stack.redis, 'worker');
    const raw = new Queue(createKeys(stack.prefix).queueName('lab'), { connection, prefix: stack.prefix });
    const stale = await raw.add('steps', encodeEnvelope(1, { count: 'lots' }, { enqueuedAt: Date.now() }), { attempts: 1 });
    await raw.close();
    connection.disconnect();
    const dead = await eventually(async () => {
      const jobs = await stack.client.deadLetter.list({ family: 'lab' });
      return jobs.length === 3 ? jobs : undefined;
    });
    const a = dead.find((j) => j.id === failing[0]!.id);
    expect(a).toMatchObject({
      state: 'failed',
      attemptsMade: 1,
      error: { code: 'HANDLER_ERROR' },
      input: { failTimes: 1, key: `${key}-a` },
    });
    expect(dead.find((j) => j.id === `lab.${stale.id}`)?.error?.code).toBe('INVALID_PAYLOAD');

    expect(await stack.client.deadLetter.replay({ id: failing[0]!.id })).toEqual({ replayed: [failing[0]!.id], rejected: [] });
    const all = await stack.client.deadLetter.replay({ all: true });
    expect(all.replayed).toEqual([failing[1]!.id]);
    expect(all.rejected).toEqual([{ id: `lab.${stale.id}`, error: expect.objectContaining({ code: 'INVALID_PAYLOAD' }) }]);
    for (const ref of failing) {
      await eventually(async () => ((await stack.client.jobs.get(ref.id)).state === 'completed' ? true : undefined));
    }
    expect((await stack.client.deadLetter.list()).map((j) => j.id)).toEqual([`lab.${stale.id}`]);
    expect(await code(stack.client.deadLetter.replay({ id: failing[0]!.id }))).toBe('INVALID_STATE');
  });

  it('jobs.remove deletes a job that is not running', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const ref = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }, { delayMs: 60_000 });
    expect(await stack.client.jobs.remove(ref.id)).toEqual({ id: ref.id, removed: true });
    expect(await code(stack.client.jobs.get(ref.id))).toBe('NOT_FOUND');
  });
});
