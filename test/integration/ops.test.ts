import { createClient } from '@taskwire/client';
import type { WatchEvent } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry, type steps } from '../fixtures/lab.ts';
import { codeOf } from '../fixtures/outcomes.ts';

describe('watch', () => {
  it('streams the state, each progress step in order, then the typed result', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const ref = await stack.client.lab.steps.enqueue({ count: 5, delayMs: 20 }, { delayMs: 300 });
    const events: WatchEvent<typeof steps>[] = [];
    for await (const event of stack.client.lab.steps.watch(ref.id)) events.push(event);
    expect(events[0]).toEqual({ type: 'state', state: 'delayed' });
    const progress = events.filter((e) => e.type === 'progress').map((e) => (e.type === 'progress' ? e.progress.step : 0));
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    expect(events.at(-1)).toEqual({ type: 'completed', result: { done: 5 } });
  });

  it('ends with the failure when the job fails, and at once for a finished job', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const ref = await stack.client.lab.liar.enqueue({ kind: 'output' });
    const events = [];
    for await (const event of stack.client.lab.liar.watch(ref.id)) events.push(event);
    expect(events.at(-1)).toMatchObject({ type: 'failed', error: { code: 'INVALID_OUTPUT' } });
    const replay = [];
    for await (const event of stack.client.lab.liar.watch(ref.id)) replay.push(event);
    expect(replay).toEqual([{ type: 'state', state: 'failed' }, events.at(-1)]);
  });

  it('reports a cancelled waiting job as failed with CANCELLED', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const ref = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }, { delayMs: 60_000 });
    const seen: unknown[] = [];
    const done = (async () => {
      for await (const event of stack.client.lab.steps.watch(ref.id)) seen.push(event);
    })();
    await eventually(() => (seen.length > 0 ? true : undefined));
    await stack.client.jobs.cancel(ref.id);
    await done;
    expect(seen.at(-1)).toMatchObject({ type: 'failed', error: { code: 'CANCELLED' } });
  });

  it('rejects an unknown id, or the id of another task, with NOT_FOUND', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const ref = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 });
    const consume = async (iterable: AsyncIterable<unknown>) => {
      for await (const _ of iterable) {
        // drain
      }
    };
    expect(await codeOf(consume(stack.client.lab.steps.watch('lab.999999')))).toBe('NOT_FOUND');
    expect(await codeOf(consume(stack.client.lab.echo.watch(ref.id)))).toBe('NOT_FOUND');
    expect(await codeOf(stack.client.lab.echo.get(ref.id))).toBe('NOT_FOUND');
    expect(await codeOf(stack.client.jobs.get('nosuchfamily.1'))).toBe('NOT_FOUND');
    expect(await codeOf(stack.client.jobs.get('garbage'))).toBe('NOT_FOUND');
  });
});

describe('jobs, queues, health', () => {
  it('jobs.get returns a view discriminated by task; jobs.list pages by state', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const refs = await stack.client.lab.steps.enqueueMany(Array.from({ length: 5 }, (_, i) => ({ input: { count: i + 1, delayMs: 0 } })));
    const view = await stack.client.jobs.get(refs[2]!.id);
    expect(view.task).toBe('lab.steps');
    if (view.task === 'lab.steps') expect(view.input.count).toBe(3);
    const waiting = await stack.client.jobs.list({ family: 'lab', state: 'waiting', limit: 2 });
    expect(waiting).toHaveLength(2);
    const page2 = await stack.client.jobs.list({ family: 'lab', state: 'waiting', limit: 10, offset: 2 });
    expect(page2).toHaveLength(3);
    expect(new Set([...waiting, ...page2].map((j) => j.id)).size).toBe(5);
    expect(await stack.client.jobs.list({ state: 'failed' })).toEqual([]);
  });

  it('jobs.retry reruns a failed job', async () => {
    await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers] });
    const key = `retry-api-${stack.prefix}`;
    const ref = await stack.client.lab.flaky.enqueue({ failTimes: 1, key }, { attempts: 1 });
    await eventually(async () => ((await stack.client.jobs.get(ref.id)).state === 'failed' ? true : undefined));
    expect(await codeOf(stack.client.jobs.retry(`lab.${'999999'}`))).toBe('NOT_FOUND');
    expect(await stack.client.jobs.retry(ref.id)).toEqual({ id: ref.id, state: 'waiting' });
    const view = await eventually(async () => {
      const v = await stack.client.lab.flaky.get(ref.id);
      return v.state === 'completed' ? v : undefined;
    });
    expect(view.result).toEqual({ attempt: 1 });
    expect(await codeOf(stack.client.jobs.retry(ref.id))).toBe('INVALID_STATE');
  });

  it('queues.stats counts jobs per state and live workers; health reports Redis', async () => {
    await using stack = await startStack({ registry: labRegistry });
    await stack.client.lab.steps.enqueueMany([
      { input: { count: 1, delayMs: 0 } },
      { input: { count: 1, delayMs: 0 }, options: { delayMs: 60_000 } },
    ]);
    const [stats] = await stack.client.queues.stats();
    expect(stats).toMatchObject({ family: 'lab', waiting: 1, delayed: 1, active: 0, paused: false, workers: 0 });
    await stack.startWorker(labHandlers);
    await eventually(async () => {
      const [s] = await stack.client.queues.stats('lab');
      return s && s.completed === 1 && s.workers === 1 ? s : undefined;
    });
    const health = await stack.client.health();
    expect(health.status).toBe('ok');
    expect(health.redis.connected).toBe(true);
    expect(health.families).toEqual(['lab']);
  });

  it('serves /healthz and /readyz, and 404 elsewhere', async () => {
    await using stack = await startStack({ registry: labRegistry });
    expect((await fetch(`${stack.api.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready' });
    expect((await fetch(`${stack.api.url}/nope`)).status).toBe(404);
  });

  it('any tRPC client works: a plain HTTP call speaks the standard wire format', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const body = { json: { input: { count: 2, delayMs: 0 } } };
    const response = await fetch(`${stack.api.url}/trpc/lab.steps.enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    const { result } = (await response.json()) as { result: { data: { json: { id: string; task: string } } } };
    expect(result.data.json.task).toBe('lab.steps');
    const invalid = await fetch(`${stack.api.url}/trpc/lab.steps.enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { input: { count: 'x' } } }),
    });
    expect(invalid.status).toBe(400);
    const error = (await invalid.json()) as { error: { json: { data: { taskwire: { code: string; issues: { path: string[] }[] } } } } };
    expect(error.error.json.data.taskwire.code).toBe('INVALID_INPUT');
    expect(error.error.json.data.taskwire.issues.map((i) => i.path.join('.'))).toEqual(['input.count', 'input.delayMs']);
  });

  it('with a token configured, calls without it are UNAUTHORIZED', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 's3cret', handlers: [labHandlers] });
    expect(await stack.client.lab.steps.run({ count: 1, delayMs: 0 })).toEqual({ done: 1 });
    const anonymous = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc` });
    expect(await codeOf(anonymous.lab.steps.enqueue({ count: 1, delayMs: 0 }))).toBe('UNAUTHORIZED');
    const wrong = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token: 's3cres' });
    expect(await codeOf(wrong.health())).toBe('UNAUTHORIZED');
  });
});
