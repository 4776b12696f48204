/**
 * Idempotency claims and their jobs. When Redis stalls in the middle of enqueues, a call whose
 * claim or write outlives the API's deadline fails with QUEUE_UNAVAILABLE, but its commands are
 * still on the connection and run once Redis is back. A retry with the same key must then find exactly one
 * job: never a second one (the write landed after its claim was released), never a reference to a
 * job that does not exist (the claim landed, the write was never sent). And a repeat that finds a
 * claim taken moments ago by a call still at work returns a JobRef only for a job that exists.
 */

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type JobRef, parseJobId, TaskwireError } from '@taskwire/shared';
import { type SpawnedRedis, startRedisServer } from '@taskwire/shared/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ENQUEUE_SETTINGS, enqueueItems } from '../../router/src/runtime/enqueue.ts';
import { QueueHub } from '../../router/src/runtime/hub.ts';
import { uniquePrefix } from '../fixtures/harness.ts';
import { labRegistry, steps } from '../fixtures/lab.ts';

describe('idempotency keys across a Redis stall', () => {
  let redis: SpawnedRedis;

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  it('calls caught by the stall at their claim or their write leave one job per key, and a retry returns it', async () => {
    const hub = new QueueHub(labRegistry, { redisUrl: redis.url, prefix: uniquePrefix('stall'), deadlineMs: 300 });
    try {
      expect(await hub.waitUntilConnected(3_000)).toBe(true);
      const queue = hub.queue('lab');
      const keys = Array.from({ length: 400 }, (_, i) => `stall-${i}`);
      const enqueue = (key: string) =>
        enqueueItems(hub, steps, [{ input: { count: 1, delayMs: 0 }, options: { idempotencyKey: key } }], DEFAULT_ENQUEUE_SETTINGS).then(
          ([ref]) => ref as JobRef,
        );

      // Calls leave in small groups, one per turn, while Redis is paused partway through: some
      // have their claim answered and their write pending, some their claim pending.
      const first: Promise<JobRef>[] = [];
      let settled = 0;
      let stopped = false;
      let outcomes: PromiseSettledResult<JobRef>[];
      try {
        for (let i = 0; i < keys.length; i += 4) {
          for (const key of keys.slice(i, i + 4)) {
            const call = enqueue(key);
            call.then(
              () => settled++,
              () => settled++,
            );
            first.push(call);
          }
          if (i === 200) {
            process.kill(redis.pid, 'SIGSTOP');
            stopped = true;
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
        // Still stalled, well past the deadline: every call has its answer (none waits for Redis).
        await sleep(1_000);
        expect(settled).toBe(keys.length);
        outcomes = await Promise.allSettled(first);
      } finally {
        if (stopped) process.kill(redis.pid, 'SIGCONT');
      }
      const failed = outcomes.filter((o) => o.status === 'rejected');
      for (const o of failed) expect((o.reason as TaskwireError).code).toBe('QUEUE_UNAVAILABLE');
      // The stalled commands run now; give the API the moment it needs to settle after them.
      await sleep(500);

      const retries = await Promise.all(keys.map(enqueue));
      const exists = await Promise.all(retries.map((ref) => queue.getJob(parseJobId(ref.id)?.bullId as string)));
      const missing = exists.filter((job) => !job).length;
      const jobs = await queue.count();
      const deduplicated = retries.filter((ref) => ref.deduplicated).length;
      console.log(
        `stall: ${keys.length} keyed calls, ${failed.length} failed with QUEUE_UNAVAILABLE during the stall; ` +
          `retries: ${deduplicated} found the first job, ${keys.length - deduplicated} added it; ` +
          `${jobs} jobs in the queue, ${missing} retries pointing at no job`,
      );
      expect(failed.length).toBeGreaterThan(0);
      expect(missing).toBe(0);
      expect(jobs).toBe(keys.length);
      expect(new Set(retries.map((ref) => ref.id)).size).toBe(keys.length);
      // Every call that succeeded the first time is what its retry returns.
      outcomes.forEach((o, i) => {
        if (o.status === 'fulfilled') expect(retries[i]?.id).toBe(o.value.id);
      });
    } finally {
      await hub.close();
    }
  });

  describe('a repeat that finds a claim another call took moments ago', () => {
    const settings = DEFAULT_ENQUEUE_SETTINGS;
    const item = (key: string) => ({ input: { count: 1, delayMs: 0 }, options: { idempotencyKey: key } });
    /**
     * A hub, the claim key of `key`, and a claim of another call: pending (its job not written yet,
     * the claim's short TTL) unless `ttlMs` says otherwise.
     */
    async function setup(key: string, ttlMs = 20_000, takenAgoMs = 0) {
      const hub = new QueueHub(labRegistry, { redisUrl: redis.url, prefix: uniquePrefix('claims'), deadlineMs: 1_000 });
      await hub.waitUntilConnected(3_000);
      const claimKey = hub.keys.idempotency('lab', 'steps', createHash('sha256').update(key).digest('hex').slice(0, 40));
      const bullId = `ifirst-${Date.now().toString(36)}`;
      await hub.redis.set(claimKey, `${bullId}|${Date.now() - takenAgoMs}`, 'PX', ttlMs);
      const claimOf = (k: string) => hub.keys.idempotency('lab', 'steps', createHash('sha256').update(k).digest('hex').slice(0, 40));
      return { hub, claimKey, claimOf, bullId, queue: hub.queue('lab'), [Symbol.asyncDispose]: () => hub.close() };
    }

    it('returns the first JobRef once that call has written its job', async () => {
      await using fx = await setup('in-flight');
      const started = performance.now();
      const repeat = enqueueItems(fx.hub, steps, [item('in-flight')], settings);
      await sleep(100);
      await fx.queue.add('steps', { written: 'by the first call' }, { jobId: fx.bullId });
      const [ref] = await repeat;
      expect(ref).toMatchObject({ deduplicated: true });
      expect(parseJobId(ref?.id ?? '')?.bullId).toBe(fx.bullId);
      expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    });

    it('fails with QUEUE_UNAVAILABLE when that call released its claim without writing; the retry adds the job', async () => {
      await using fx = await setup('released');
      const repeat = enqueueItems(fx.hub, steps, [item('released')], settings);
      await sleep(100);
      await fx.hub.redis.del(fx.claimKey);
      const error = await repeat.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TaskwireError);
      expect((error as TaskwireError).code).toBe('QUEUE_UNAVAILABLE');
      expect((error as TaskwireError).message).toMatch(/failed before writing its job; retry/);
      const [ref] = await enqueueItems(fx.hub, steps, [item('released')], settings);
      expect(ref?.deduplicated).toBe(false);
      expect(await fx.queue.getJob(parseJobId(ref?.id ?? '')?.bullId as string)).toBeDefined();
    });

    it('returns the JobRef of a written claim at once, though its job is gone (finished and removed since)', async () => {
      await using fx = await setup('older', 86_400_000);
      const started = performance.now();
      const [ref] = await enqueueItems(fx.hub, steps, [item('older')], settings);
      expect(ref).toMatchObject({ deduplicated: true });
      expect(parseJobId(ref?.id ?? '')?.bullId).toBe(fx.bullId);
      expect(performance.now() - started).toBeLessThan(500);
    });

    it('fails with QUEUE_UNAVAILABLE while a claim whose call died is pending; once it expires, the key adds the job', async () => {
      await using fx = await setup('orphan', 1_500);
      const started = performance.now();
      const error = await enqueueItems(fx.hub, steps, [item('orphan')], settings).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as TaskwireError).code).toBe('QUEUE_UNAVAILABLE');
      expect((error as TaskwireError).message).toMatch(/still writing its job; retry/);
      // Within the repeat's own deadline (1 s here), not the other call's.
      expect(performance.now() - started).toBeLessThan(1_500);
      await sleep(600);
      const [ref] = await enqueueItems(fx.hub, steps, [item('orphan')], settings);
      expect(ref?.deduplicated).toBe(false);
      expect(await fx.queue.getJob(parseJobId(ref?.id ?? '')?.bullId as string)).toBeDefined();
    });

    it('a claim is pending until its job is written, then lives for the idempotency TTL', async () => {
      await using fx = await setup('unused');
      const claimKey = fx.hub.keys.idempotency('lab', 'steps', createHash('sha256').update('ttl').digest('hex').slice(0, 40));
      const single = enqueueItems(fx.hub, steps, [item('ttl')], settings);
      await single;
      expect(await fx.hub.redis.pttl(claimKey)).toBeGreaterThan(settings.idempotencyTtlMs - 60_000);
      const many = Array.from({ length: 150 }, (_, i) => item(`ttl-${i}`));
      await enqueueItems(fx.hub, steps, many, settings);
      const ttls = await Promise.all(
        many.map((_, i) =>
          fx.hub.redis.pttl(fx.hub.keys.idempotency('lab', 'steps', createHash('sha256').update(`ttl-${i}`).digest('hex').slice(0, 40))),
        ),
      );
      expect(ttls.every((ttl) => ttl > settings.idempotencyTtlMs - 60_000)).toBe(true);
    });

    it('returns the JobRef of a written claim in its last seconds at once (a short TTL, but taken long ago)', async () => {
      await using fx = await setup('expiring', 10_000, 86_000_000);
      const started = performance.now();
      const [ref] = await enqueueItems(fx.hub, steps, [item('expiring')], settings);
      expect(ref).toMatchObject({ deduplicated: true });
      expect(performance.now() - started).toBeLessThan(500);
      // Not renewed: it still expires when its day is over.
      expect(await fx.hub.redis.pttl(fx.claimKey)).toBeLessThanOrEqual(10_000);
    });

    it('writes its own jobs before it waits for another call: calls whose keys overlap in opposite order both get through', async () => {
      // Another call holds K2 (pending) and writes its job only once it sees this call's K1
      // written: if this call waited for K2 before writing K1, both would wait until the deadline.
      await using fx = await setup('k2');
      const other = (async () => {
        while ((await fx.hub.redis.pttl(fx.claimOf('k1'))) <= 30_000) await sleep(5);
        await fx.queue.add('steps', { written: 'by the other call' }, { jobId: fx.bullId });
        await fx.hub.redis.pexpire(fx.claimKey, settings.idempotencyTtlMs);
      })();
      const refs = await enqueueItems(fx.hub, steps, [item('k1'), item('k2')], settings);
      await other;
      expect(refs.map((r) => r.deduplicated)).toEqual([false, true]);
      expect(parseJobId(refs[1]?.id ?? '')?.bullId).toBe(fx.bullId);
      expect(await fx.queue.getJob(parseJobId(refs[0]?.id ?? '')?.bullId as string)).toBeDefined();
    });

    it('does not wait for a claim of its own call: two items with one key are one job, at once', async () => {
      await using fx = await setup('unused');
      const started = performance.now();
      const refs = await enqueueItems(fx.hub, steps, [item('twice'), item('twice')], settings);
      expect(refs.map((r) => r.deduplicated)).toEqual([false, true]);
      expect(refs[1]?.id).toBe(refs[0]?.id);
      expect(performance.now() - started).toBeLessThan(500);
    });
  });
});
