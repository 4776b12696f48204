/**
 * Concurrency and rate limits per key (`flow.concurrency`, `flow.rateLimit`) across worker
 * processes, on a real Redis: the handlers count in Redis how many jobs of each key run at once,
 * so the most ever seen is measured across every process. Also: keys served round-robin (a key
 * that enqueues one job is not stuck behind another's backlog), a worker killed -9 while holding
 * slots (its jobs run again, nothing lost, the limits still hold), and a job that reached the
 * queue without its place in line (a worker queues it).
 */
import { createKeys, type JobRef } from '@taskwire/shared';
import { createRedis, FlowGate } from '@taskwire/shared/node';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { renderStats } from '../../client/src/cli/commands/queues.ts';
import { call, gatedHandlers, gatedRegistry, paced, probeKeys, readStarts } from '../fixtures/gated.ts';
import { eventually, redisConfig, redisUrl, startStack } from '../fixtures/harness.ts';
import { type Child, spawnTs } from '../fixtures/processes.ts';

const redis = createRedis(redisConfig(), 'worker', 'taskwire-test-gate');
afterAll(() => redis.disconnect());

const redisEnv = () => (process.env.REDIS_CLUSTER_NODES ? {} : { REDIS_URL: redisUrl() });

async function startWorkers(prefix: string, count: number): Promise<Child[]> {
  const workers = Array.from({ length: count }, () =>
    spawnTs('test/fixtures/gated-worker.ts', [], { ...redisEnv(), TASKWIRE_PREFIX: prefix }),
  );
  await Promise.all(workers.map((w) => w.waitFor(/"event":"ready"/, 30_000)));
  return workers;
}

async function completed(
  stack: { client: { jobs: { get(id: string): Promise<{ state: string }> } } },
  refs: readonly JobRef[],
  timeoutMs: number,
) {
  await eventually(
    async () => {
      const states = await Promise.all(refs.map(async (ref) => (await stack.client.jobs.get(ref.id)).state));
      return states.every((state) => state === 'completed') ? true : undefined;
    },
    timeoutMs,
    100,
  );
}

describe('concurrency and rate limits per key', () => {
  it('holds 2 per key and 5 in all across 3 worker processes, serving keys round-robin', async () => {
    await using stack = await startStack({ registry: gatedRegistry, token: 'tkn' });
    const keys = createKeys(stack.prefix);
    const workers = await startWorkers(stack.prefix, 3);
    try {
      const backlog = await stack.client.gated.call.enqueueMany(
        Array.from({ length: 40 }, (_, n) => ({ input: { org: 'a', n, ms: 100 } })),
      );
      // Enqueued after a's whole backlog; each gets its turn at once, not after a's 40 jobs.
      const late = [
        ...(await stack.client.gated.call.enqueueMany(Array.from({ length: 6 }, (_, n) => ({ input: { org: 'b', n, ms: 100 } })))),
        ...(await stack.client.gated.call.enqueueMany(Array.from({ length: 6 }, (_, n) => ({ input: { org: 'c', n, ms: 100 } })))),
      ];
      await completed(stack, [...backlog, ...late], 60_000);

      const probe = probeKeys(keys);
      const most = async (key: string) => Number(await redis.get(key));
      const [a, b, c, all] = [
        await most(probe.most('a')),
        await most(probe.most('b')),
        await most(probe.most('c')),
        await most(probe.mostAll),
      ];
      console.log(`most running at once, across 3 processes: a ${a}, b ${b}, c ${c}, all ${all}`);
      expect(a).toBe(2);
      expect(b).toBeLessThanOrEqual(2);
      expect(c).toBeLessThanOrEqual(2);
      expect(all).toBeLessThanOrEqual(5);
      expect(all).toBeGreaterThanOrEqual(4);

      const starts = await readStarts(redis, keys);
      expect(starts).toHaveLength(52);
      expect(new Set(starts.map((s) => s.pid)).size).toBeGreaterThan(1);
      // Round-robin: b's and c's jobs all started before a's backlog was half done.
      const aStarts = starts.filter((s) => s.org === 'a');
      const lastLate = Math.max(...starts.filter((s) => s.org !== 'a').map((s) => s.at));
      const aDoneBy = aStarts.filter((s) => s.at <= lastLate).length;
      console.log(`a's jobs started before the last of b's and c's: ${aDoneBy} of 40`);
      expect(aDoneBy).toBeLessThan(20);
      // Nothing left behind on the gate.
      const stats = await new FlowGate(redis, keys, call).stats();
      expect(stats).toMatchObject({ running: 0, waiting: 0 });
    } finally {
      await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    }
  }, 90_000);

  it('starts at most 3 per key per second (a sliding window), other keys unhindered', async () => {
    await using stack = await startStack({ registry: gatedRegistry, token: 'tkn' });
    const keys = createKeys(stack.prefix);
    const workers = await startWorkers(stack.prefix, 2);
    try {
      const refs = await stack.client.gated.paced.enqueueMany([
        ...Array.from({ length: 9 }, (_, n) => ({ input: { org: 'a', n, ms: 0 } })),
        ...Array.from({ length: 3 }, (_, n) => ({ input: { org: 'b', n, ms: 0 } })),
      ]);
      await completed(stack, refs, 30_000);
      const starts = (await readStarts(redis, keys)).filter((s) => s.task === 'paced');
      const a = starts.filter((s) => s.org === 'a').map((s) => s.at);
      const b = starts.filter((s) => s.org === 'b').map((s) => s.at);
      // In every window of 1 s, at most 3 of a's started (the gate admits by its own clock; 50 ms of slack for the handlers').
      for (const at of a) expect(a.filter((t) => t >= at && t < at + 950).length).toBeLessThanOrEqual(3);
      expect(Math.max(...a) - Math.min(...a)).toBeGreaterThanOrEqual(1_900);
      // b has its own window: all 3 at once.
      expect(Math.max(...b) - Math.min(...b)).toBeLessThan(900);
    } finally {
      await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    }
  }, 60_000);

  it('a worker killed -9 while holding slots: its jobs run again, nothing lost, the limit still holds', async () => {
    await using stack = await startStack({ registry: gatedRegistry, token: 'tkn' });
    const keys = createKeys(stack.prefix);
    const [victim] = await startWorkers(stack.prefix, 1);
    let survivor: Child | undefined;
    try {
      const refs = await stack.client.gated.call.enqueueMany(Array.from({ length: 6 }, (_, n) => ({ input: { org: 'k', n, ms: 1_500 } })));
      await eventually(async () => ((await readStarts(redis, keys)).length === 2 ? true : undefined), 15_000);
      victim?.process.kill('SIGKILL');
      await victim?.exit();
      const killedAt = Date.now();
      [survivor] = await startWorkers(stack.prefix, 1);
      await completed(stack, refs, 60_000);
      const starts = await readStarts(redis, keys);
      const again = starts.slice(2).find((s) => s.n === starts[0]?.n || s.n === starts[1]?.n);
      console.log(`killed holding 2 slots; their jobs started again ${again ? again.at - killedAt : '?'} ms after the kill`);
      // The two killed jobs ran again (stalled-job recovery: lockDuration 2 s + stalledInterval 1 s), the rest once.
      expect(starts).toHaveLength(8);
      expect(new Set(starts.map((s) => s.n))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
      expect(again && again.at - killedAt).toBeLessThan(3_000 + 5_000);
      // The survivor never ran more than 2 of the key at once (the killed process's count never came down: read its own runs).
      const survivorStarts = starts.filter((s) => s.pid !== victim?.process.pid).map((s) => s.at);
      for (const at of survivorStarts) expect(survivorStarts.filter((t) => t >= at && t < at + 1_400).length).toBeLessThanOrEqual(2);
      expect(await new FlowGate(redis, keys, call).stats()).toMatchObject({ running: 0, waiting: 0 });
    } finally {
      await survivor?.stop('SIGTERM');
      await victim?.stop('SIGKILL');
    }
  }, 90_000);

  it('a job added without its place in line (as if the API died in between) is queued by the worker that takes it', async () => {
    await using stack = await startStack({ registry: gatedRegistry, token: 'tkn' });
    const keys = createKeys(stack.prefix);
    // Two jobs through the API fill org x's 2 slots for 2 s; a third is added straight to BullMQ.
    const held = await stack.client.gated.call.enqueueMany([0, 1].map((n) => ({ input: { org: 'x', n, ms: 2_000 } })));
    const queue = new Queue(keys.queueName('gated'), { connection: redis, prefix: keys.prefix });
    const { encodeEnvelope } = await import('@taskwire/shared');
    const stray = await queue.add('call', encodeEnvelope(call.version, { org: 'x', n: 2, ms: 0 }, { enqueuedAt: Date.now() }), {
      attempts: 1,
    });
    const [worker] = await startWorkers(stack.prefix, 1);
    try {
      await completed(
        stack,
        [...held, { id: `gated.${stray.id}`, task: 'gated.call', enqueuedAt: new Date(), deduplicated: false }],
        30_000,
      );
      const starts = await readStarts(redis, keys);
      // The stray job waited for a slot: it started after one of the two held jobs ended.
      const strayStart = starts.find((s) => s.n === 2)?.at ?? 0;
      const firstStart = Math.min(...starts.filter((s) => s.n < 2).map((s) => s.at));
      expect(strayStart - firstStart).toBeGreaterThanOrEqual(1_900);
      expect(Number(await redis.get(probeKeys(keys).most('x')))).toBe(2);
    } finally {
      await queue.close();
      await worker?.stop('SIGTERM');
    }
  }, 60_000);

  it('shows what waits on a limit: queues.stats per task and top keys, /metrics, the CLI table', async () => {
    await using stack = await startStack({ registry: gatedRegistry, token: 'tkn', handlers: [gatedHandlers()] });
    await stack.client.gated.call.enqueueMany([
      ...Array.from({ length: 8 }, (_, n) => ({ input: { org: 'big', n, ms: 1_500 } })),
      ...Array.from({ length: 3 }, (_, n) => ({ input: { org: 'small', n, ms: 1_500 } })),
    ]);
    const [stats] = await eventually(async () => {
      const answer = await stack.client.queues.stats('gated');
      return answer[0]?.flow[0]?.running === 4 ? answer : undefined;
    });
    expect(stats?.flow).toEqual([
      {
        task: 'gated.call',
        running: 4,
        waiting: 7,
        keys: [
          { key: 'big', waiting: 6, running: 2 },
          { key: 'small', waiting: 1, running: 2 },
        ],
      },
      { task: 'gated.paced', running: 0, waiting: 0, keys: [] },
    ]);
    // Waiting on a limit shows as delayed in the queue counts (and in Bull Board).
    expect(stats?.delayed).toBe(7);
    const metrics = await (await fetch(`${stack.api.url}/metrics`, { headers: { authorization: 'Bearer tkn' } })).text();
    expect(metrics).toContain('taskwire_flow_jobs{task="gated.call",key="",state="waiting"} 7');
    expect(metrics).toContain('taskwire_flow_jobs{task="gated.call",key="big",state="running"} 2');
    expect(renderStats(stats ? [stats] : [])).toContain(
      'gated.call: 4 running, 7 waiting on a flow limit; by key: big 6 waiting / 2 running, small 1 waiting / 2 running',
    );
  }, 30_000);

  it('a delayed job with a flowKey waits for that key when its time comes, not for its input’s', async () => {
    await using stack = await startStack({ registry: gatedRegistry, token: 'tkn', handlers: [gatedHandlers()] });
    const keys = createKeys(stack.prefix);
    const busy = await stack.client.gated.call.enqueueMany(
      [0, 1].map((n) => ({ input: { org: 'a', n, ms: 1_500 }, options: { flowKey: 'vip' } })),
    );
    const late = await stack.client.gated.call.enqueue({ org: 'b', n: 2, ms: 0 }, { flowKey: 'vip', delayMs: 200 });
    await completed(stack, [...busy, late], 20_000);
    const starts = await readStarts(redis, keys);
    const first = Math.min(...starts.filter((s) => s.n < 2).map((s) => s.at));
    const lateStart = starts.find((s) => s.n === 2)?.at ?? 0;
    // 'vip' had both its slots for 1.5 s: the delayed job waited for one (under 'b' it would have run at 200 ms).
    expect(lateStart - first).toBeGreaterThanOrEqual(1_400);
  }, 30_000);

  it('refuses a key function that gives no key; flowKey puts a job under another key', async () => {
    await using stack = await startStack({ registry: gatedRegistry, token: 'tkn' });
    await stack.client.gated.call.enqueueMany(
      [0, 1, 2].map((n) => ({ input: { org: 'in-input', n, ms: 0 }, options: { flowKey: 'vip' } })),
    );
    const [stats] = await stack.client.queues.stats('gated');
    expect(stats?.flow[0]?.keys).toEqual([{ key: 'vip', waiting: 1, running: 2 }]);
    const refused = await stack.client.gated.paced.enqueue({ org: '', n: 0, ms: 0 }).catch((e) => e);
    // The schema refuses '' first; the key function is checked on what the schema accepts.
    expect(refused).toMatchObject({ code: 'INVALID_INPUT' });
    expect(paced.flowSettings).toEqual({ kind: 'gate', rateMax: 3, rateDurationMs: 1_000 });
    expect(call.flowSettings).toEqual({ kind: 'gate', perKey: 2, total: 5 });
  });
});
