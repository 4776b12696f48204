/**
 * Durable workflows on a real worker: steps run once per job across retries, a sleep frees the
 * worker and resumes, children fan out and in with typed results, a child's failure reaches the
 * parent with its code, and a cancelled parent takes its unfinished children with it.
 */

import { encodeEnvelope } from '@taskwire/shared';
import { createRedis } from '@taskwire/shared/node';
import { defineHandlers } from '@taskwire/worker';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { codeOf } from '../fixtures/outcomes.ts';
import { memoryRecorder, wf, wfRegistry, workflowHandlers } from '../fixtures/workflow.ts';

async function finished<T extends { state: string }>(get: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  return eventually(async () => {
    const view = await get();
    return view.state === 'completed' || view.state === 'failed' ? view : undefined;
  }, timeoutMs);
}

describe('workflows on a real worker', () => {
  it('a step that threw is retried; the steps before it are not run again', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    const { record, counts } = memoryRecorder();
    await stack.startWorker(workflowHandlers(record));
    const ref = await stack.client.wf.steps.enqueue({ count: 5, failOnFirstAttempt: 3 });
    const view = await finished(() => stack.client.wf.steps.get(ref.id));
    expect(view.state).toBe('completed');
    expect(view.result?.attempt).toBe(2);
    expect(view.result?.values.map((d) => d.toISOString())).toEqual(
      [1, 2, 3, 4, 5].map((n) => new Date(Date.UTC(2030, 0, 1, 0, 0, n)).toISOString()),
    );
    expect(Object.fromEntries(counts)).toEqual({ 'step:1': 1, 'step:2': 1, 'step:3': 1, 'step:4': 1, 'step:5': 1 });
  });

  it('a durable sleep frees the worker slot and resumes after the deadline, with no attempt spent', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    const { record, counts } = memoryRecorder();
    const worker = await stack.startWorker(workflowHandlers(record), { concurrency: 1 });
    const sleeping = await stack.client.wf.sleeper.enqueue({ ms: 1_500 });
    await eventually(async () => ((await stack.client.wf.sleeper.get(sleeping.id)).state === 'delayed' ? true : undefined));
    // The only slot is free: another job runs while the first sleeps.
    const other = await stack.client.wf.steps.enqueue({ count: 1 });
    const otherView = await finished(() => stack.client.wf.steps.get(other.id));
    expect(otherView.state).toBe('completed');
    expect((await stack.client.wf.sleeper.get(sleeping.id)).state).toBe('delayed');
    expect(worker.activeJobs).toBe(0);
    const view = await finished(() => stack.client.wf.sleeper.get(sleeping.id));
    expect(view.state).toBe('completed');
    expect(view.result?.sleptMs).toBeGreaterThanOrEqual(1_500);
    expect(view.attemptsMade).toBe(1);
    expect(view.result?.attempt).toBe(1);
    expect(counts.get('before')).toBe(1);
    expect(counts.get('after')).toBe(1);
  });

  it('children fan out and in: typed results in order, each child run once', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    const { record, counts } = memoryRecorder();
    await stack.startWorker(workflowHandlers(record), { concurrency: 4 });
    const ref = await stack.client.wf.parent.enqueue({ count: 20 });
    const view = await finished(() => stack.client.wf.parent.get(ref.id));
    expect(view.error).toBeNull();
    expect(view.result?.squares).toEqual(Array.from({ length: 20 }, (_, i) => i * i));
    expect(view.result?.at).toBeInstanceOf(Date);
    for (let i = 0; i < 20; i++) expect(counts.get(`child:${i}`)).toBe(1);
    expect(counts.get('prepare')).toBe(1);
    expect(counts.get('finish')).toBe(1);
  });

  it('a child that fails for good fails its parent with the child’s code; settled mode hands the failure to the parent', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    const { record, counts } = memoryRecorder();
    await stack.startWorker(workflowHandlers(record), { concurrency: 4 });
    const failing = await stack.client.wf.parent.enqueue({ count: 3, failIndex: 1 });
    const settled = await stack.client.wf.parent.enqueue({ count: 3, failIndex: 2, settled: true });
    const failedView = await finished(() => stack.client.wf.parent.get(failing.id));
    expect(failedView.state).toBe('failed');
    expect(failedView.error).toMatchObject({ code: 'HANDLER_ERROR', message: expect.stringContaining('child 1 failed') });
    // Not retried: the parent's second attempt could not change its child.
    expect(failedView.attemptsMade).toBe(1);
    const settledView = await finished(() => stack.client.wf.parent.get(settled.id));
    expect(settledView.state).toBe('completed');
    expect(settledView.result).toMatchObject({ squares: [0, 1], failed: ['HANDLER_ERROR'] });
    // The failing children ran their two attempts; the others once (in each parent).
    expect(counts.get('child:1')).toBe(3);
    expect(counts.get('child:2')).toBe(3);
    expect(counts.get('child:0')).toBe(2);
  });

  it('watch on a parent shows its steps and children as they change, and its states as it waits and runs again', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn', api: { router: { watchPollMs: 200 } } });
    const { record } = memoryRecorder();
    await stack.startWorker(workflowHandlers(record), { concurrency: 2 });
    const ref = await stack.client.wf.parent.enqueue({ count: 6, childHoldMs: 150 });
    const events = [];
    for await (const event of stack.client.wf.parent.watch(ref.id)) events.push(event);
    const workflows = events.flatMap((e) => (e.type === 'workflow' ? [e.workflow] : []));
    const states = events.flatMap((e) => (e.type === 'state' ? [e.state] : []));
    expect(events.at(-1)).toMatchObject({ type: 'completed', result: { squares: [0, 1, 4, 9, 16, 25] } });
    // While it waited: its first step stored, children pending; then every child completed.
    expect(workflows.some((w) => w.steps.includes('prepare') && w.children.pending > 0)).toBe(true);
    expect(workflows.at(-1)?.children).toEqual({ pending: 0, completed: 6, failed: 0 });
    expect(states).toContain('waiting');
    expect(states.at(-1)).toBe('active');

    const sleeping = await stack.client.wf.sleeper.enqueue({ ms: 600 });
    const sleepEvents = [];
    for await (const event of stack.client.wf.sleeper.watch(sleeping.id)) sleepEvents.push(event);
    const sleepStates = sleepEvents.flatMap((e) => (e.type === 'state' ? [e.state] : []));
    expect(sleepStates).toContain('delayed');
    // The first read may come between the step's record and the sleep's; a later one has both.
    const sleepSteps = sleepEvents.flatMap((e) => (e.type === 'workflow' ? [e.workflow.steps] : []));
    expect(sleepSteps.some((steps) => steps.includes('before') && steps.includes('nap'))).toBe(true);
    expect(sleepEvents.at(-1)?.type).toBe('completed');
  });

  it('a child cancelled by hand is not added again: its parent gets it as CANCELLED', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    const { record, counts } = memoryRecorder();
    await stack.startWorker(workflowHandlers(record), { concurrency: 2 });
    const ref = await stack.client.wf.parent.enqueue({ count: 4, childHoldMs: 300, settled: true });
    // The parent waits; two children run, two wait: cancel one of those.
    const waiting = await eventually(async () => {
      const jobs = await stack.client.jobs.list({ family: 'wf', state: 'waiting' });
      const children = jobs.filter((job) => job.id !== ref.id);
      return children.length === 2 ? children : undefined;
    });
    expect((await stack.client.jobs.cancel(waiting[1]?.id as string)).outcome).toBe('removed');
    const view = await finished(() => stack.client.wf.parent.get(ref.id));
    expect(view.state).toBe('completed');
    expect(view.result?.failed).toEqual(['CANCELLED']);
    expect(view.result?.squares).toHaveLength(3);
    // Three children ran, once each; the cancelled one never.
    expect([0, 1, 2, 3].map((i) => counts.get(`child:${i}`) ?? 0).sort()).toEqual([0, 1, 1, 1]);
  });

  it('a parent failed by its child succeeds once the child is retried and then the parent (outcomes are read again)', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    let failing = true;
    const { record } = memoryRecorder();
    const handlers = workflowHandlers(record);
    // The child fails while `failing` holds (a bug fixed since, or a service back up).
    const flaky = defineHandlers(wf, {
      ...handlers.handlers,
      child: (input, ctx) => handlers.handlers.child({ ...input, fail: failing ? input.fail : undefined }, ctx),
    });
    await stack.startWorker(flaky, { concurrency: 4 });
    const ref = await stack.client.wf.parent.enqueue({ count: 3, failIndex: 2 });
    const failed = await finished(() => stack.client.wf.parent.get(ref.id));
    expect(failed.state).toBe('failed');
    failing = false;
    const childId = (await stack.client.jobs.list({ family: 'wf', state: 'failed' })).find((job) => job.task === 'wf.child')?.id as string;
    await stack.client.jobs.retry(childId);
    await finished(async () => {
      const view = await stack.client.jobs.get(childId);
      return view.state === 'completed' ? view : { state: 'running' };
    });
    await stack.client.jobs.retry(ref.id);
    const view = await finished(() => stack.client.wf.parent.get(ref.id));
    expect(view.state).toBe('completed');
    expect(view.result?.squares).toEqual([0, 1, 4]);
  });

  it('a parent whose id is reused (removed, then added again with the same id) runs new children, not the old ones', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    const { record, counts } = memoryRecorder();
    await stack.startWorker(workflowHandlers(record), { concurrency: 4 });
    const connection = createRedis(stack.redis, 'worker', 'wf-reuse');
    const queue = new Queue('{wf}', { connection, prefix: stack.prefix });
    try {
      const add = () =>
        queue.add('parent', encodeEnvelope(1, { count: 2, failIndex: 1, settled: true }, { enqueuedAt: Date.now() }), {
          jobId: 'p-fixed',
          attempts: 1,
        });
      await add();
      const first = await finished(() => stack.client.wf.parent.get('wf.p-fixed'));
      expect(first.result).toMatchObject({ squares: [0], failed: ['HANDLER_ERROR'] });
      // Its failed child stays (kept as a failed job) when the parent alone is removed.
      await (await queue.getJob('p-fixed'))?.remove({ removeChildren: false });
      await add();
      const second = await finished(() => stack.client.wf.parent.get('wf.p-fixed'));
      expect(second.result).toMatchObject({ squares: [0], failed: ['HANDLER_ERROR'] });
      // Each parent ran its own children: child 0 twice in all, the failing child 2 attempts each.
      expect(counts.get('child:0')).toBe(2);
      expect(counts.get('child:1')).toBe(4);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('cancelling a parent that waits on its children removes the unfinished children', async () => {
    await using stack = await startStack({ registry: wfRegistry, token: 'tkn' });
    const { record } = memoryRecorder();
    await stack.startWorker(workflowHandlers(record), { concurrency: 2 });
    const ref = await stack.client.wf.parent.enqueue({ count: 10, childHoldMs: 400 });
    // Two children running: the parent waits on them (BullMQ's waiting-children, `waiting` here).
    await eventually(async () => {
      const active = await stack.client.jobs.list({ family: 'wf', state: 'active' });
      return active.length === 2 && active.every((job) => job.id !== ref.id) ? true : undefined;
    });
    expect((await stack.client.wf.parent.get(ref.id)).state).toBe('waiting');
    const cancelled = await stack.client.jobs.cancel(ref.id);
    expect(cancelled.outcome).toBe('removed');
    await eventually(async () => {
      const left = [
        ...(await stack.client.jobs.list({ family: 'wf', state: 'waiting' })),
        ...(await stack.client.jobs.list({ family: 'wf', state: 'active' })),
        ...(await stack.client.jobs.list({ family: 'wf', state: 'delayed' })),
      ];
      return left.length === 0 ? true : undefined;
    });
    expect(await codeOf(stack.client.jobs.get(ref.id))).toBe('NOT_FOUND');
    // Children that were running when the parent was cancelled were aborted: none completed after it.
    const completed = await stack.client.jobs.list({ family: 'wf', state: 'completed' });
    const failed = await stack.client.jobs.list({ family: 'wf', state: 'failed' });
    expect(completed).toHaveLength(0);
    // The two running (concurrency 2) were aborted, and at most a couple taken while the others were removed.
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeLessThanOrEqual(4);
    for (const job of failed) expect(job.error?.code).toBe('CANCELLED');
  });
});
