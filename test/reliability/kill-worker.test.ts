import { describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { trackedRegistry } from '../fixtures/tracked.ts';
import {
  bullIdOf,
  countStates,
  prng,
  sleep,
  startTrackedWorker,
  statesOf,
  stopWorkers,
  type TrackedWorker,
  tally,
  trackedQueue,
} from './support.ts';

const JOBS = 2_000;
const KILLS = 3;
const SEED = 20_261_126;

describe('kill -9 of a worker process while jobs run', () => {
  it('three kills (restarted each time, a second worker keeps going): all complete, duplicates ≤ jobs in flight at the kills, nothing stuck', async () => {
    await using stack = await startStack({ registry: trackedRegistry });
    await using raw = trackedQueue(stack.redisUrl, stack.prefix);
    const spawned: TrackedWorker[] = [];
    const start = async () => {
      const worker = await startTrackedWorker(stack.redisUrl, stack.prefix);
      spawned.push(worker);
      return worker;
    };
    try {
      const [first, steady] = await Promise.all([start(), start()]);
      let victim = first as TrackedWorker;
      const random = prng(SEED);
      const refs = [];
      for (let i = 0; i < JOBS; i += 1_000) {
        const items = Array.from({ length: 1_000 }, (_, j) => ({ input: { n: i + j, ms: 100 + Math.floor(random() * 200) } }));
        refs.push(...(await stack.client.tracked.work.enqueueMany(items)));
      }

      const inFlightAtKills: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        // Kill only once the victim is busy with jobs of its own.
        const pid = victim.pid;
        await eventually(async () => ((await raw.runs()).filter((r) => r.pid === pid).length >= 40 ? true : undefined), 30_000, 50);
        victim.child.process.kill('SIGKILL');
        await victim.child.exit();
        // Commands the victim had already written may still land; then its jobs sit in `active`
        // under locks nobody renews (lockDuration 4 s), untouched until they expire.
        await sleep(150);
        const [runs, active] = await Promise.all([raw.runs(), raw.active()]);
        const lastRunner = new Map(runs.map((r) => [bullIdOf(r.id), r.pid]));
        inFlightAtKills.push(active.filter((id) => lastRunner.get(id) === pid).length);
        victim = await start();
      }

      // Counted and asserted below even if it never gets there.
      await eventually(
        async () => ((await raw.queue.getCompletedCount()) + (await raw.queue.getFailedCount()) >= JOBS ? true : undefined),
        60_000,
        100,
      ).catch(() => undefined);
      // A job re-run after the count was reached would show up as a late duplicate.
      await sleep(1_500);

      const ids = refs.map((r) => r.id);
      const states = await statesOf(raw.queue, ids);
      const counts = countStates(states);
      const t = tally(await raw.runs());
      const lost = ids.filter((id) => states.get(id) !== 'completed' && states.get(id) !== 'failed').length;
      const stuck = await raw.queue.getActiveCount();
      const inFlight = inFlightAtKills.reduce((a, b) => a + b, 0);
      const maxRuns = Math.max(...t.perJob.values());
      console.log(
        `kill -9 ×${KILLS}: ${JOBS} enqueued, ${counts.completed ?? 0} completed, ${counts.failed ?? 0} failed, ${lost} lost, ` +
          `${t.duplicates} duplicates (≤ ${inFlight} in flight at kills: ${inFlightAtKills.join(' + ')}), ${stuck} stuck in active; ` +
          `at most ${maxRuns} runs of one job; steady worker ran ${t.perPid.get(steady.pid) ?? 0}, ` +
          `${spawned.length - 1} other processes ran the rest`,
      );
      expect(counts).toEqual({ completed: JOBS });
      expect(lost).toBe(0);
      expect(stuck).toBe(0);
      expect(ids.filter((id) => !t.perJob.has(id))).toEqual([]);
      expect(t.duplicates).toBeLessThanOrEqual(inFlight);
      expect(maxRuns).toBeLessThanOrEqual(1 + KILLS);
      expect(steady.alive).toBe(true);
    } finally {
      await stopWorkers(spawned);
    }
  });
});
