/**
 * Flow control by key (the contract's `flow`: unique, throttle, debounce, singleton), on a real
 * Redis with a real worker. Each knob is carried by BullMQ's job deduplication; what the tests
 * record is what ran, with which input, and what each enqueue answered.
 */
import type { JobRef } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';
import { type Run, ran, recordingHandlers, flowRegistry as registry, sleep } from '../fixtures/flow.ts';
import { eventually, startStack } from '../fixtures/harness.ts';
import { codeOf } from '../fixtures/outcomes.ts';

describe('flow control by key', () => {
  it('unique: repeats of a key return the first job while it is unfinished, within its TTL; after it finishes, a new job', async () => {
    const runs: Run[] = [];
    await using stack = await startStack({ registry, token: 'tkn', handlers: [recordingHandlers(runs)] });
    const tw = stack.client.flow.unique;
    const first = await tw.enqueue({ key: 'a', n: 1, ms: 400 });
    const repeat = await tw.enqueue({ key: 'a', n: 2 });
    const other = await tw.enqueue({ key: 'b', n: 3 });
    expect(first.deduplicated).toBe(false);
    expect(repeat).toEqual({ ...first, deduplicated: true });
    expect(other.deduplicated).toBe(false);
    expect(other.id).not.toBe(first.id);
    await eventually(async () => ((await tw.get(first.id)).state === 'completed' ? true : undefined));
    // Finished well inside the 1.5 s TTL: the key is free again.
    const after = await tw.enqueue({ key: 'a', n: 4 });
    expect(after.deduplicated).toBe(false);
    expect(after.id).not.toBe(first.id);
    await eventually(() => (ran(runs, 'unique', 'a').length === 2 ? true : undefined));
    expect(ran(runs, 'unique', 'a').map((r) => r.n)).toEqual([1, 4]);

    // A job that outlives the TTL holds its key no longer than the TTL.
    const long = await tw.enqueue({ key: 'c', n: 5, ms: 2_500 });
    await sleep(300);
    expect((await tw.enqueue({ key: 'c', n: 6 })).id).toBe(long.id);
    await sleep(1_400);
    const afterTtl = await tw.enqueue({ key: 'c', n: 7 });
    expect(afterTtl.deduplicated).toBe(false);
    expect((await tw.get(long.id)).state).toBe('active');
  });

  it('throttle: one job per key per window, finished or not; the next window gets a new one', async () => {
    const runs: Run[] = [];
    await using stack = await startStack({ registry, token: 'tkn', handlers: [recordingHandlers(runs)] });
    const tw = stack.client.flow.throttle;
    const first = await tw.enqueue({ key: 'a', n: 1 });
    await eventually(async () => ((await tw.get(first.id)).state === 'completed' ? true : undefined));
    // Finished, but still inside the 2 s window: joined.
    const inWindow = await tw.enqueueMany([{ input: { key: 'a', n: 2 } }, { input: { key: 'b', n: 3 } }]);
    expect(inWindow[0]).toEqual({ ...first, deduplicated: true });
    expect(inWindow[1]?.deduplicated).toBe(false);
    await sleep(Math.max(0, first.enqueuedAt.getTime() + 2_100 - Date.now()));
    const next = await tw.enqueue({ key: 'a', n: 4 });
    expect(next.deduplicated).toBe(false);
    await eventually(() => (ran(runs, 'throttle', 'a').length === 2 ? true : undefined));
    expect(ran(runs, 'throttle', 'a').map((r) => r.n)).toEqual([1, 4]);
  });

  it('debounce, trailing: a burst runs once, with its last input, after the key goes quiet', async () => {
    const runs: Run[] = [];
    await using stack = await startStack({ registry, token: 'tkn', handlers: [recordingHandlers(runs)] });
    const tw = stack.client.flow.trailing;
    const refs: JobRef[] = [];
    for (let n = 1; n <= 5; n++) {
      refs.push(await tw.enqueue({ key: 'a', n }));
      await sleep(100);
    }
    const lastAt = Date.now() - 100;
    const last = refs.at(-1) as JobRef;
    await eventually(async () => ((await tw.get(last.id)).state === 'completed' ? true : undefined));
    await sleep(500);
    expect(ran(runs, 'trailing', 'a').map((r) => r.n)).toEqual([5]);
    expect((ran(runs, 'trailing', 'a')[0] as Run).at - lastAt).toBeGreaterThanOrEqual(250);
    // The jobs the burst replaced are gone; the last one ran.
    for (const ref of refs.slice(0, -1)) expect(await codeOf(tw.get(ref.id))).toBe('NOT_FOUND');
    expect((await tw.get(last.id)).result).toEqual({ n: 5 });
  });

  it('debounce, trailing, maxDelayMs: a burst that never goes quiet still runs, within maxDelayMs of its start', async () => {
    const runs: Run[] = [];
    await using stack = await startStack({ registry, token: 'tkn', handlers: [recordingHandlers(runs)] });
    const tw = stack.client.flow.trailing;
    const start = Date.now();
    let n = 0;
    let lastAt = start;
    while (Date.now() - start < 2_600) {
      lastAt = Date.now();
      await tw.enqueue({ key: 'storm', n: ++n });
      await sleep(100);
    }
    await eventually(() => (ran(runs, 'trailing', 'storm').some((r) => r.n === n) ? true : undefined), 5_000);
    const storm = ran(runs, 'trailing', 'storm');
    // Without maxDelayMs nothing would run before the storm's last enqueue (it never goes quiet
    // for 300 ms); with it, runs come during the storm, and the last input runs after it.
    expect((storm[0] as Run).at).toBeLessThan(lastAt);
    expect((storm[0] as Run).at - start).toBeGreaterThanOrEqual(1_150);
    expect(storm.length).toBeGreaterThanOrEqual(2);
    expect(storm.at(-1)?.n).toBe(n);
  });

  it('debounce, leading: a burst runs once at once, with its first input; maxDelayMs starts a new run in a long burst', async () => {
    const runs: Run[] = [];
    await using stack = await startStack({ registry, token: 'tkn', handlers: [recordingHandlers(runs)] });
    const tw = stack.client.flow.leading;
    const first = await tw.enqueue({ key: 'a', n: 1 });
    const startedAt = Date.now();
    for (let n = 2; n <= 5; n++) {
      await sleep(50);
      expect(await tw.enqueue({ key: 'a', n })).toEqual({ ...first, deduplicated: true });
    }
    await eventually(async () => ((await tw.get(first.id)).state === 'completed' ? true : undefined));
    expect(ran(runs, 'leading', 'a').map((r) => r.n)).toEqual([1]);
    // At once: the job was never delayed (a trailing one waits for the quiet).
    const view = await tw.get(first.id);
    expect(view.runAt).toBeNull();
    expect(view.startedAt?.getTime()).toBeGreaterThanOrEqual(startedAt - 50);
    // Quiet for more than delayMs: a new burst, a new run.
    await sleep(400);
    expect((await tw.enqueue({ key: 'a', n: 6 })).deduplicated).toBe(false);

    // A storm every 100 ms for 2.6 s: a new run each maxDelayMs, not one for the whole storm.
    const start = Date.now();
    let n = 100;
    while (Date.now() - start < 2_600) {
      await tw.enqueue({ key: 'storm', n: ++n });
      await sleep(100);
    }
    await sleep(300);
    const storm = ran(runs, 'leading', 'storm');
    expect(storm.length).toBeGreaterThanOrEqual(2);
    expect(storm.length).toBeLessThanOrEqual(3);
    expect((storm[0] as Run).n).toBe(101);
  });

  it('singleton: one job of a key at a time; while it runs, the latest repeat waits to run after it', async () => {
    const runs: Run[] = [];
    await using stack = await startStack({ registry, token: 'tkn', handlers: [recordingHandlers(runs)] });
    const tw = stack.client.flow.singleton;
    const first = await tw.enqueue({ key: 'a', n: 1, ms: 600 });
    await eventually(async () => ((await tw.get(first.id)).state === 'active' ? true : undefined));
    for (const n of [2, 3, 4]) expect(await tw.enqueue({ key: 'a', n })).toMatchObject({ id: first.id, deduplicated: true });
    await eventually(() => (ran(runs, 'singleton', 'a').length === 2 ? true : undefined), 5_000);
    await sleep(300);
    expect(ran(runs, 'singleton', 'a').map((r) => r.n)).toEqual([1, 4]);
    const [one, two] = ran(runs, 'singleton', 'a') as [Run, Run];
    expect(two.at - one.at).toBeGreaterThanOrEqual(550);
  });

  it('refuses a key function that gives no key, and an idempotency key on a flow-controlled task; flowKey overrides the key; applies from handlers too', async () => {
    const runs: Run[] = [];
    await using stack = await startStack({ registry, token: 'tkn', handlers: [recordingHandlers(runs)] });
    const refused = await stack.client.flow.unique.enqueue({ key: '', n: 1 }).catch((e) => e);
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('unique key of flow.unique') });
    const keyed = await stack.client.flow.unique.enqueue({ key: 'a', n: 1 }, { idempotencyKey: 'k' }).catch((e) => e);
    expect(keyed).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('an idempotency key is not accepted') });
    expect(await stack.client.jobs.list({ family: 'flow', state: 'waiting' })).toEqual([]);
    // flowKey: the key for this job in place of the input's; refused where there is no flow control.
    const one = await stack.client.flow.throttle.enqueue({ key: 'input-1', n: 1 }, { flowKey: 'shared' });
    const two = await stack.client.flow.throttle.enqueue({ key: 'input-2', n: 2 }, { flowKey: 'shared' });
    expect(two).toEqual({ ...one, deduplicated: true });
    expect((await stack.client.flow.throttle.enqueue({ key: 'shared', n: 3 })).deduplicated).toBe(true);
    const noFlow = await stack.client.flow.fanOut.enqueue({ key: 'x' }, { flowKey: 'k' }).catch((e) => e);
    expect(noFlow).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('no flow control') });
    const result = await stack.client.flow.fanOut.run({ key: 'from-handler' }, { timeoutMs: 10_000 });
    expect(result).toEqual({ deduplicated: [false, true] });
  });
});
