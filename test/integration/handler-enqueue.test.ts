/**
 * `ctx.enqueue`: a handler enqueues another task the way the API does (validated, same envelope,
 * the contract's job options), idempotently with a key; through a real worker, the new job runs
 * under its own family and its rich types arrive intact.
 */
import { createKeys, decodeEnvelope, defineFamily, defineRegistry, defineTask, TaskwireError } from '@taskwire/shared';
import { createRedis } from '@taskwire/shared/node';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobFailedError } from '../../client/src/index.ts';
import { jobOptions } from '../../router/src/runtime/enqueue.ts';
import { defineHandlers } from '../../worker/src/index.ts';
import { enqueueTask, keyedJobId } from '../../worker/src/runtime/enqueue-task.ts';
import { dropPrefix, eventually, redisConfig, startStack, uniquePrefix } from '../fixtures/harness.ts';

const record = defineTask({
  id: 'sink.record',
  version: 3,
  input: z.object({ at: z.date(), tags: z.map(z.string(), z.number()), note: z.string().min(1).max(4_000) }),
  output: z.object({ dateIsDate: z.boolean(), tagsIsMap: z.boolean() }),
  defaults: { attempts: 4, backoff: { type: 'fixed', delayMs: 10 }, keepCompleted: 7, keepFailed: 9, maxPayloadBytes: 2_048 },
});
const other = defineTask({ id: 'sink.other', version: 1, input: z.object({ at: z.date() }), output: z.object({}) });
const sink = defineFamily('sink', { record, other });

const outsider = defineTask({ id: 'outsider.ping', version: 1, input: z.object({}), output: z.object({}) });

const forward = defineTask({
  id: 'relay.forward',
  version: 1,
  input: z.object({ mode: z.enum(['ok', 'invalid', 'unknown']), at: z.date(), key: z.string().optional() }),
  output: z.object({ id: z.string(), deduplicated: z.boolean() }),
  defaults: { attempts: 3, backoff: { type: 'fixed', delayMs: 20 } },
});
const relay = defineFamily('relay', { forward });
const registry = defineRegistry({ relay, sink });

const relayHandlers = defineHandlers(relay, {
  forward: (input, ctx) => {
    if (input.mode === 'unknown') return ctx.enqueue(outsider, {});
    const note = input.mode === 'invalid' ? '' : 'forwarded';
    return ctx.enqueue(record, { at: input.at, tags: new Map([['n', 1]]), note }, { key: input.key });
  },
});
const sinkHandlers = defineHandlers(sink, {
  record: (input) => ({ dateIsDate: input.at instanceof Date, tagsIsMap: input.tags instanceof Map }),
  other: () => ({}),
});

/** Queues of the registry's families on a fresh prefix, as a worker's context has them. */
async function queues() {
  const prefix = uniquePrefix();
  const keys = createKeys(prefix);
  const connection = createRedis(redisConfig(), 'worker');
  const open = new Map<string, Queue>();
  const queue = (family: string) => {
    let q = open.get(family);
    if (!q) {
      q = new Queue(keys.queueName(family), { connection, prefix });
      open.set(family, q);
    }
    return q;
  };
  return {
    deps: { registry, queue },
    queue,
    async [Symbol.asyncDispose]() {
      await Promise.all([...open.values()].map((q) => q.close()));
      connection.disconnect();
      await dropPrefix(redisConfig(), prefix);
    },
  };
}

const input = { at: new Date('2030-01-02T03:04:05.678Z'), tags: new Map([['a', 1]]), note: 'hello' };

describe('enqueueTask', () => {
  it('adds the job the API would add: the contract version in the envelope, rich types intact, the contract job options', async () => {
    await using q = await queues();
    const before = Date.now();

    const ref = await enqueueTask(q.deps, record, input);

    expect(ref).toEqual({ id: expect.stringMatching(/^sink\.\d+$/), deduplicated: false });
    const job = await q.queue('sink').getJob(ref.id.slice('sink.'.length));
    expect(job?.name).toBe('record');
    const envelope = decodeEnvelope(job?.data);
    if (!envelope.ok) throw new Error(envelope.reason);
    expect(envelope.version).toBe(3);
    expect(envelope.payload).toEqual(input);
    expect((envelope.payload as typeof input).at).toBeInstanceOf(Date);
    expect(envelope.meta.enqueuedAt).toBeGreaterThanOrEqual(before);
    expect(job?.opts).toMatchObject({ ...jobOptions(record, undefined, Date.now()) });
    expect(job?.opts).toMatchObject({
      attempts: 4,
      backoff: { type: 'fixed', delay: 10 },
      removeOnComplete: { count: 7 },
      removeOnFail: { count: 9 },
    });
  });

  it('a key adds one job while it is kept, per task; a repeat reports deduplicated', async () => {
    await using q = await queues();

    const first = await enqueueTask(q.deps, record, input, { key: 'welcome:42' });
    const again = await enqueueTask(q.deps, record, { ...input, note: 'a later attempt' }, { key: 'welcome:42' });
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => enqueueTask(q.deps, record, input, { key: 'welcome:42' })));
    const otherKey = await enqueueTask(q.deps, record, input, { key: 'welcome:43' });
    const otherTask = await enqueueTask(q.deps, other, { at: input.at }, { key: 'welcome:42' });

    const bullId = keyedJobId(record, 'welcome:42');
    expect(bullId).toMatch(/^k[0-9a-f]{40}$/);
    expect(first).toEqual({ id: `sink.${bullId}`, deduplicated: false });
    expect(again).toEqual({ id: `sink.${bullId}`, deduplicated: true });
    expect(concurrent).toEqual(Array(5).fill({ id: `sink.${bullId}`, deduplicated: true }));
    expect(otherKey.deduplicated).toBe(false);
    expect(otherTask).toEqual({ id: `sink.${keyedJobId(other, 'welcome:42')}`, deduplicated: false });
    expect(new Set([first.id, otherKey.id, otherTask.id]).size).toBe(3);
    expect(await q.queue('sink').getJobCountByTypes('waiting')).toBe(3);
    const kept = decodeEnvelope((await q.queue('sink').getJob(bullId))?.data);
    expect(kept.ok && (kept.payload as typeof input).note).toBe('hello');
  });

  it('refuses an invalid input with INVALID_INPUT and its issues, an oversized one with PAYLOAD_TOO_LARGE; nothing is added', async () => {
    await using q = await queues();

    const invalid = await enqueueTask(q.deps, record, { ...input, note: '' }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(TaskwireError);
    expect(invalid).toMatchObject({ code: 'INVALID_INPUT', retryable: false, issues: [expect.objectContaining({ path: ['note'] })] });
    const notADate = await enqueueTask(q.deps, record, { ...input, at: '2030-01-02' as unknown as Date }).catch((e: unknown) => e);
    expect(notADate).toMatchObject({ code: 'INVALID_INPUT', issues: [expect.objectContaining({ path: ['at'] })] });
    const tooLarge = await enqueueTask(q.deps, record, { ...input, note: 'x'.repeat(3_000) }).catch((e: unknown) => e);
    expect(tooLarge).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: 'The sink.record payload exceeds 2048 bytes' });

    expect(await q.queue('sink').getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(0);
  });

  it('refuses a task whose family is not in the registry with UNKNOWN_TASK', async () => {
    await using q = await queues();
    const error = await enqueueTask(q.deps, outsider, {}).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'UNKNOWN_TASK',
      retryable: false,
      message: "Cannot enqueue outsider.ping: it is not in this worker's registry (families: relay, sink)",
    });
  });
});

describe('ctx.enqueue in a running worker', () => {
  it('the enqueued job runs under its own family with its Date and Map intact; a repeat with the key adds none', async () => {
    await using stack = await startStack({ registry, handlers: [relayHandlers, sinkHandlers] });

    const first = await stack.client.relay.forward.run({ mode: 'ok', at: input.at, key: 'k-1' });
    const repeat = await stack.client.relay.forward.run({ mode: 'ok', at: input.at, key: 'k-1' });

    expect(first).toEqual({ id: `sink.${keyedJobId(record, 'k-1')}`, deduplicated: false });
    expect(repeat).toEqual({ ...first, deduplicated: true });
    const view = await eventually(async () => {
      const v = await stack.client.jobs.get(first.id);
      return v.state === 'completed' ? v : undefined;
    });
    expect(view.task).toBe('sink.record');
    expect(view.version).toBe(3);
    expect(view.input).toEqual({ at: input.at, tags: new Map([['n', 1]]), note: 'forwarded' });
    expect(view.result).toEqual({ dateIsDate: true, tagsIsMap: true });
  });

  it("a handler's invalid enqueue fails its job once with INVALID_INPUT; an unknown family with UNKNOWN_TASK", async () => {
    await using stack = await startStack({ registry, handlers: [relayHandlers, sinkHandlers] });

    for (const [mode, code] of [
      ['invalid', 'INVALID_INPUT'],
      ['unknown', 'UNKNOWN_TASK'],
    ] as const) {
      const error = await stack.client.relay.forward.run({ mode, at: input.at }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobFailedError);
      expect((error as JobFailedError).code, mode).toBe(code);
      const view = await stack.client.jobs.get((error as JobFailedError).jobId);
      expect(view.attemptsMade, mode).toBe(1);
    }
    expect((await stack.client.queues.stats()).find((s) => s.family === 'sink')).toMatchObject({ waiting: 0, completed: 0, failed: 0 });
  });
});
