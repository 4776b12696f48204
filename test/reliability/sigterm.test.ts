import { describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { trackedRegistry } from '../fixtures/tracked.ts';
import { bullIdOf, countStates, startTrackedWorker, statesOf, stopWorkers, type TrackedWorker, tally, trackedQueue } from './support.ts';

const IN_FLIGHT = 100;
const GRACE_MS = 3_000;
/** Exiting takes the grace period plus putting the rest back and closing connections. */
const EXIT_SLACK_MS = 1_000;

describe('SIGTERM to a worker with 100 jobs in flight', () => {
  it('each job finishes or goes back to the queue (attempt unspent), 0 lost, and the process exits within its grace period', async () => {
    await using stack = await startStack({ registry: trackedRegistry });
    await using raw = trackedQueue(stack.redisUrl, stack.prefix);
    const spawned: TrackedWorker[] = [];
    try {
      const worker = await startTrackedWorker(stack.redisUrl, stack.prefix, {
        WORKER_CONCURRENCY: String(IN_FLIGHT),
        WORKER_GRACE_MS: String(GRACE_MS),
      });
      spawned.push(worker);
      // Half finish within the grace period, half could never make it.
      const items = Array.from({ length: IN_FLIGHT }, (_, i) => ({ input: { n: i, ms: i % 2 ? 30_000 : 1_200 + 10 * i } }));
      const refs = await stack.client.tracked.work.enqueueMany(items);
      const short = refs.filter((_, i) => i % 2 === 0).map((r) => r.id);
      const long = refs.filter((_, i) => i % 2 === 1).map((r) => r.id);
      await eventually(async () =>
        (await raw.queue.getActiveCount()) === IN_FLIGHT && (await raw.runs()).length === IN_FLIGHT ? true : undefined,
      );

      const signalled = performance.now();
      worker.child.process.kill('SIGTERM');
      const code = await worker.child.exit();
      const exitMs = performance.now() - signalled;
      const stopping = JSON.parse(await worker.child.waitFor(/"event":"stopping"/, 1)) as { activeJobs: number };

      const ids = refs.map((r) => r.id);
      const after = await statesOf(raw.queue, ids);
      const afterCounts = countStates(after);
      const longJobs = await Promise.all(long.map((id) => raw.queue.getJob(bullIdOf(id))));
      const spent = longJobs.filter((job) => (job?.attemptsMade ?? 0) > 0).length;
      const finished = short.filter((id) => after.get(id) === 'completed').length;
      const returned = long.filter((id) => after.get(id) === 'waiting').length;
      const lost = IN_FLIGHT - (afterCounts.completed ?? 0) - (afterCounts.waiting ?? 0);

      // A new worker (no sleeping this time) drains what was put back.
      spawned.push(await startTrackedWorker(stack.redisUrl, stack.prefix, { TRACK_MAX_SLEEP_MS: '0' }));
      // Counted and asserted below even if it never gets there.
      await eventually(
        async () => ((await raw.queue.getCompletedCount()) + (await raw.queue.getFailedCount()) >= IN_FLIGHT ? true : undefined),
        20_000,
        100,
      ).catch(() => undefined);
      const final = countStates(await statesOf(raw.queue, ids));
      const t = tally(await raw.runs());
      const rerunLong = long.filter((id) => t.perJob.get(id) === 2).length;
      console.log(
        `SIGTERM with ${stopping.activeJobs} in flight: exit code ${code} after ${exitMs.toFixed(0)} ms (grace ${GRACE_MS} ms); ` +
          `${finished} finished within the grace period, ${returned} returned to the queue (${spent} with an attempt spent), ${lost} lost; ` +
          `after restart ${final.completed ?? 0} completed, ${final.failed ?? 0} failed, ${rerunLong} returned jobs run again`,
      );
      expect(stopping.activeJobs).toBe(IN_FLIGHT);
      expect(code).toBe(0);
      expect(exitMs).toBeGreaterThanOrEqual(GRACE_MS - 100);
      expect(exitMs).toBeLessThanOrEqual(GRACE_MS + EXIT_SLACK_MS);
      expect(lost).toBe(0);
      expect(finished).toBe(short.length);
      expect(returned).toBe(long.length);
      expect(spent).toBe(0);
      expect(final).toEqual({ completed: IN_FLIGHT });
      expect(rerunLong).toBe(long.length);
      expect(t.duplicates).toBe(long.length);
    } finally {
      await stopWorkers(spawned);
    }
  });
});
