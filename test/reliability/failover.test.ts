import type { TaskwireError } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';
import { eventually, type Stack, startStack, uniquePrefix } from '../fixtures/harness.ts';
import { redisCli } from '../fixtures/redis-processes.ts';
import { type LocalSentinels, startRedisSentinels } from '../fixtures/redis-sentinel.ts';
import { trackedRegistry } from '../fixtures/tracked.ts';
import {
  countStates,
  sleep,
  startTrackedWorker,
  statesOf,
  stopWorkers,
  type TrackedWorker,
  tally,
  trackedQueue,
  within,
} from './support.ts';

const IN_FLIGHT = 16;
/** Acknowledged enqueues before the master is killed, and after the new master takes writes. */
const BEFORE_KILL = 2_000;
const AFTER_SWITCH = 1_000;
/** How long the master runs cut off from its replicas before it is killed. */
const CUT_MS = 300;

interface Ack {
  id: string;
  at: number;
}

describe('Sentinel failover: the master is killed (SIGKILL) while jobs flow', () => {
  it('with waitReplicas, enqueues fail fast during the switch and succeed after it, and every acknowledged job is processed', async () => {
    let ha: LocalSentinels | undefined;
    let stack: Stack<typeof trackedRegistry> | undefined;
    const workers: TrackedWorker[] = [];
    let done = false;
    try {
      // Two replicas: after the switch the new master still has one to confirm writes.
      ha = await startRedisSentinels({ downAfterMs: 1_000, replicas: 2 });
      const sentinels = ha;
      const prefix = uniquePrefix('failover');
      stack = await startStack({
        registry: trackedRegistry,
        redis: sentinels.config,
        prefix,
        waitReplicas: { replicas: 1 },
      });
      const api = stack;
      workers.push(...(await Promise.all([1, 2].map(() => startTrackedWorker(sentinels.config, prefix)))));

      const acks: Ack[] = [];
      const rejections = new Map<string, number>();
      let slowestRejectionMs = 0;
      let killedAt = 0;
      let cutAt = 0;
      let n = 0;
      const producer = async () => {
        while (!done) {
          const started = performance.now();
          try {
            const ref = await api.client.tracked.work.enqueue({ n: n++, ms: 1 });
            acks.push({ id: ref.id, at: Date.now() });
          } catch (error) {
            slowestRejectionMs = Math.max(slowestRejectionMs, performance.now() - started);
            const code = (error as TaskwireError).code ?? `not a TaskwireError: ${(error as Error).message}`;
            rejections.set(code, (rejections.get(code) ?? 0) + 1);
            await sleep(20);
          }
        }
      };
      const fault = async () => {
        try {
          await eventually(() => (acks.length >= BEFORE_KILL ? true : undefined), 60_000, 5);
          // For 300 ms before the master dies (well under the sentinels' 1 s down-after) its
          // replicas get none of its writes: they are paused and their links closed. What the
          // master acknowledged in that window is lost with it, unless the acknowledgement
          // waited for a replica.
          for (const r of sentinels.replicas) process.kill(r.pid, 'SIGSTOP');
          try {
            await redisCli(['-p', String(sentinels.master.port), 'client', 'kill', 'type', 'replica']);
            cutAt = Date.now();
            await sleep(CUT_MS);
            await sentinels.master.stop('SIGKILL');
            killedAt = Date.now();
          } finally {
            for (const r of sentinels.replicas) process.kill(r.pid, 'SIGCONT');
          }
          const replicaPorts = sentinels.replicas.map((r) => r.port);
          await eventually(async () => (replicaPorts.includes(await sentinels.masterPort()) ? true : undefined), 30_000, 50);
          const promotedAt = Date.now();
          await eventually(() => (acks.filter((a) => a.at > killedAt).length >= AFTER_SWITCH ? true : undefined), 30_000, 10);
          return promotedAt;
        } finally {
          done = true;
        }
      };
      const [promotedAt] = await Promise.all([fault(), ...Array.from({ length: IN_FLIGHT }, producer)]);

      await using raw = trackedQueue(sentinels.config, prefix);
      const ids = [...new Set(acks.map((a) => a.id))];
      // Drained: every acknowledged job still in Redis has finished.
      await eventually(
        async () => {
          const counts = countStates(await statesOf(raw.queue, ids));
          return (counts.completed ?? 0) + (counts.failed ?? 0) + (counts.unknown ?? 0) === ids.length ? true : undefined;
        },
        60_000,
        250,
      ).catch(() => undefined);
      const states = await statesOf(raw.queue, ids);
      const counts = countStates(states);
      const before = acks.filter((a) => a.at <= killedAt);
      const whileCut = acks.filter((a) => a.at > cutAt && a.at <= killedAt);
      const after = acks.filter((a) => a.at > killedAt);
      // Without waitReplicas the new master's id counter is the replica's: it would hand out again
      // the ids of jobs the old master added but never replicated. Such a job is lost, and its id
      // names a newer job; it is counted as lost here too.
      const lastAckOf = new Map(acks.map((a) => [a.id, a]));
      const reused = acks.filter((a) => lastAckOf.get(a.id) !== a);
      const lost = [...acks.filter((a) => states.get(a.id) === 'unknown'), ...reused];
      const firstAckAfter = after.length ? Math.min(...after.map((a) => a.at)) : Number.NaN;
      const t = tally(await raw.runs());
      console.log(
        `failover: ${acks.length} acknowledged (${before.length} before the kill, ${whileCut.length} of them while the replicas were cut off, ${after.length} after), ` +
          `${counts.completed ?? 0} processed, ${lost.length} lost (${reused.length} of them found by their id given again by the new master), ` +
          `${counts.failed ?? 0} failed, other states ${JSON.stringify(Object.fromEntries(Object.entries(counts).filter(([s]) => !['completed', 'failed', 'unknown'].includes(s))))}; ` +
          `new master promoted ${promotedAt - killedAt} ms after the kill, first enqueue acknowledged ${firstAckAfter - killedAt} ms after it; ` +
          `rejected during the switch: ${JSON.stringify(Object.fromEntries(rejections))}, slowest rejection ${Math.round(slowestRejectionMs)} ms; ` +
          `executions recorded ${t.executions} (${t.duplicates} repeats)`,
      );

      expect(after.length).toBeGreaterThanOrEqual(AFTER_SWITCH);
      // Fail fast: every enqueue that could not be stored said so, with the documented code, at once.
      expect([...rejections.keys()]).toEqual(rejections.size ? ['QUEUE_UNAVAILABLE'] : []);
      expect(slowestRejectionMs).toBeLessThan(2_500);
      // Acknowledged means on a replica: the promoted replica has every acknowledged job, and every
      // one of them is processed; nothing is left waiting.
      expect(lost).toEqual([]);
      expect(counts.completed ?? 0).toBe(ids.length);
      expect(ids.length).toBe(acks.length);
      for (const w of workers) expect(w.alive).toBe(true);
    } finally {
      done = true;
      await stopWorkers(workers);
      await within(stack?.[Symbol.asyncDispose]() ?? Promise.resolve(), 15_000, 'stack teardown').catch(() => undefined);
      await ha?.stop();
    }
  });
});
