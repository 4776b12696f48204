import { createKeys, encodeEnvelope, type TaskwireError } from '@taskwire/shared';
import { createRedis, type RedisConnectionConfig } from '@taskwire/shared/node';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { JobFailedError } from '../../client/src/index.ts';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';

async function finished(stack: Awaited<ReturnType<typeof startStack<typeof labRegistry>>>, id: string) {
  return eventually(async () => {
    const view = await stack.client.jobs.get(id);
    return view.state === 'completed' || view.state === 'failed' ? view : undefined;
  });
}

/** A raw BullMQ queue on the stack's prefix, for writing jobs the router would never accept. */
function rawQueue(stack: { redis: RedisConnectionConfig; prefix: string }) {
  const connection = createRedis(stack.redis, 'worker');
  const queue = new Queue(createKeys(stack.prefix).queueName('lab'), { connection, prefix: stack.prefix });
  return {
    queue,
    async [Symbol.asyncDispose]() {
      await queue.close();
      connection.disconnect();
    },
  };
}

describe('worker', () => {
  it('runs a job and returns its typed result', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const result = await stack.client.lab.steps.run({ count: 2, delayMs: 1 });
    expect(result).toEqual({ done: 2 });
  });

  it('retries a failing job with backoff until it succeeds', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const ref = await stack.client.lab.flaky.enqueue({ failTimes: 2, key: `retry-${stack.prefix}` });
    const view = await finished(stack, ref.id);
    expect(view.state).toBe('completed');
    expect(view.result).toEqual({ attempt: 3 });
    expect(view.attemptsMade).toBe(3);
  });

  it('fails for good after the last attempt, with the handler message', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const ref = await stack.client.lab.flaky.enqueue({ failTimes: 10, key: `exhaust-${stack.prefix}` }, { attempts: 2 });
    const view = await finished(stack, ref.id);
    expect(view.state).toBe('failed');
    expect(view.attemptsMade).toBe(2);
    expect(view.error).toMatchObject({ code: 'HANDLER_ERROR', message: expect.stringContaining('transient failure 2') });
  });

  it('a NonRetriableError fails the job at once', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const error = await stack.client.lab.flaky.run({ failTimes: 0, key: 'p', permanent: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).code).toBe('HANDLER_ERROR');
    const view = await stack.client.jobs.get((error as JobFailedError).jobId);
    expect(view.attemptsMade).toBe(1);
  });

  it('fails a payload written straight into Redis with INVALID_PAYLOAD, once, and keeps working', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    await using raw = rawQueue(stack);
    const garbage = await raw.queue.add('steps', { hello: 'world' }, { attempts: 5 });
    const wrongShape = await raw.queue.add('steps', encodeEnvelope(1, { count: 'many' }, { enqueuedAt: Date.now() }), { attempts: 5 });
    const unknownTask = await raw.queue.add('nope', encodeEnvelope(1, {}, { enqueuedAt: Date.now() }), { attempts: 5 });
    const good = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 });

    const g = await finished(stack, `lab.${garbage.id}`);
    expect(g.state).toBe('failed');
    expect(g.attemptsMade).toBe(1);
    expect(g.error?.code).toBe('INVALID_PAYLOAD');

    const w = await finished(stack, `lab.${wrongShape.id}`);
    expect(w.error?.code).toBe('INVALID_PAYLOAD');
    expect(w.error?.issues?.[0]?.path).toEqual(['count']);
    expect(w.attemptsMade).toBe(1);

    const u = await finished(stack, `lab.${unknownTask.id}`);
    expect(u.error?.code).toBe('UNKNOWN_TASK');

    expect((await finished(stack, good.id)).state).toBe('completed');
  });

  it('rejects an invalid result with INVALID_OUTPUT and bad progress with INVALID_PROGRESS, unretried', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const out = await stack.client.lab.liar.enqueue({ kind: 'output' });
    const prog = await stack.client.lab.liar.enqueue({ kind: 'progress' });
    const o = await finished(stack, out.id);
    expect(o.error?.code).toBe('INVALID_OUTPUT');
    expect(o.error?.issues?.[0]?.path).toEqual(['n']);
    expect(o.attemptsMade).toBe(1);
    const p = await finished(stack, prog.id);
    expect(p.error?.code).toBe('INVALID_PROGRESS');
    expect(p.attemptsMade).toBe(1);
  });

  it('aborts a job at its timeout (per-enqueue override) and retries it', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const ref = await stack.client.lab.sleepy.enqueue({ ms: 5_000 }, { timeoutMs: 150, attempts: 2 });
    const view = await finished(stack, ref.id);
    expect(view.state).toBe('failed');
    expect(view.error).toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(view.attemptsMade).toBe(2);
    expect(view.finishedAt!.getTime() - view.enqueuedAt.getTime()).toBeLessThan(4_000);
  });

  it('a timeout fails the attempt even when the handler ignores its signal', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const ref = await stack.client.lab.sleepy.enqueue({ ms: 1_500, ignoreSignal: true }, { timeoutMs: 100 });
    const view = await finished(stack, ref.id);
    expect(view.error?.code).toBe('TIMEOUT');
  });

  it('cancels a running job (its signal aborts) and removes a waiting one', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const running = await stack.client.lab.sleepy.enqueue({ ms: 10_000 });
    await eventually(async () => ((await stack.client.jobs.get(running.id)).state === 'active' ? true : undefined));
    expect(await stack.client.jobs.cancel(running.id)).toEqual({ id: running.id, outcome: 'cancelling' });
    const view = await finished(stack, running.id);
    expect(view.error?.code).toBe('CANCELLED');
    expect(view.attemptsMade).toBe(1);

    const waiting = await stack.client.lab.sleepy.enqueue({ ms: 1 }, { delayMs: 60_000 });
    expect(await stack.client.jobs.cancel(waiting.id)).toEqual({ id: waiting.id, outcome: 'removed' });
    const gone = await stack.client.jobs.get(waiting.id).catch((e: TaskwireError) => e);
    expect((gone as TaskwireError).code).toBe('NOT_FOUND');
    const again = await stack.client.jobs.cancel(running.id).catch((e: TaskwireError) => e);
    expect((again as TaskwireError).code).toBe('INVALID_STATE');
  });

  it('on close, lets in-flight jobs finish within the grace period', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const worker = await stack.startWorker(labHandlers, { graceMs: 5_000 });
    const ref = await stack.client.lab.sleepy.enqueue({ ms: 400 });
    await eventually(async () => ((await stack.client.jobs.get(ref.id)).state === 'active' ? true : undefined));
    await worker.close();
    const view = await stack.client.jobs.get(ref.id);
    expect(view.state).toBe('completed');
  });

  it('on close, puts jobs still running after the grace period back in the queue, attempt unspent', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const worker = await stack.startWorker(labHandlers, { graceMs: 200 });
    const ref = await stack.client.lab.sleepy.enqueue({ ms: 10_000 });
    await eventually(async () => ((await stack.client.jobs.get(ref.id)).state === 'active' ? true : undefined));
    const started = Date.now();
    await worker.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    const view = await stack.client.jobs.get(ref.id);
    expect(view.state).toBe('waiting');
    expect(view.attemptsMade).toBe(0);
    expect(view.error).toBeNull();
    // A new worker takes it over.
    await stack.startWorker(labHandlers);
    await stack.client.jobs.cancel(ref.id).catch(() => {});
  });

  it('honours per-family concurrency', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const worker = await stack.startWorker(labHandlers, { concurrency: 3 });
    let peak = 0;
    const timer = setInterval(() => (peak = Math.max(peak, worker.activeJobs)), 5);
    const refs = await stack.client.lab.sleepy.enqueueMany(Array.from({ length: 9 }, () => ({ input: { ms: 150 } })));
    await Promise.all(refs.map((r) => finished(stack, r.id)));
    clearInterval(timer);
    expect(peak).toBe(3);
  });
});
