import { describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { trackedRegistry } from '../fixtures/tracked.ts';
import { countStates, startTrackedWorker, statesOf, stopWorkers, type TrackedWorker, tally, trackedQueue } from './support.ts';

const JOBS = 5_000;

describe('two worker processes on one family, no faults', () => {
  it('5,000 jobs: each handled exactly once, all completed, both processes took part', async () => {
    await using stack = await startStack({ registry: trackedRegistry });
    await using raw = trackedQueue(stack.redisUrl, stack.prefix);
    const workers: TrackedWorker[] = [];
    try {
      workers.push(...(await Promise.all([1, 2].map(() => startTrackedWorker(stack.redisUrl, stack.prefix)))));
      const refs = [];
      for (let i = 0; i < JOBS; i += 1_000) {
        const items = Array.from({ length: 1_000 }, (_, j) => ({ input: { n: i + j, ms: 2 } }));
        refs.push(...(await stack.client.tracked.work.enqueueMany(items)));
      }
      const started = performance.now();
      // Counted and asserted below even if it never gets there.
      await eventually(
        async () => ((await raw.queue.getCompletedCount()) + (await raw.queue.getFailedCount()) >= JOBS ? true : undefined),
        60_000,
        100,
      ).catch(() => undefined);
      const elapsed = performance.now() - started;
      // Anything still in flight would show up as a late duplicate: give it a stall interval.
      await new Promise((r) => setTimeout(r, 1_500));

      const ids = refs.map((r) => r.id);
      const counts = countStates(await statesOf(raw.queue, ids));
      const t = tally(await raw.runs());
      const notRun = ids.filter((id) => !t.perJob.has(id)).length;
      const twice = [...t.perJob.values()].filter((n) => n > 1).length;
      const perWorker = workers.map((w) => t.perPid.get(w.pid) ?? 0);
      console.log(
        `exactly once: ${JOBS} enqueued, ${counts.completed ?? 0} completed, ${counts.failed ?? 0} failed, ${t.executions} executions, ` +
          `${t.unique} distinct jobs run, ${t.duplicates} duplicates (${twice} jobs run more than once), ${notRun} never run; ` +
          `per worker ${perWorker.join(' / ')}; ${(JOBS / (elapsed / 1_000)).toFixed(0)} jobs/s`,
      );
      expect(counts).toEqual({ completed: JOBS });
      expect(t.executions).toBe(JOBS);
      expect(t.duplicates).toBe(0);
      expect(notRun).toBe(0);
      for (const n of perWorker) expect(n).toBeGreaterThan(0);
      expect(await raw.queue.getActiveCount()).toBe(0);
      for (const w of workers) expect(w.alive).toBe(true);
    } finally {
      await stopWorkers(workers);
    }
  });
});
