import { describe, expect, it } from 'vitest';
import { evoHandlers, evoV1, evoV2 } from '../fixtures/evolve.ts';
import { eventually, startStack, uniquePrefix } from '../fixtures/harness.ts';

const JOBS_PER_PHASE = 300;

describe('rolling deploy from contract v1 to v2', () => {
  it('v1 jobs queued, v2 producer starts while the v1 worker runs, then v2 worker up and v1 worker down: all complete, 0 failed, 0 lost', async () => {
    const prefix = uniquePrefix('deploy');
    const handlers = evoHandlers([], 10);
    // Deployment 1: producer and worker at v1.
    await using old = await startStack({ registry: evoV1, prefix });
    const oldWorker = await old.startWorker(handlers.v1, { deferral: { baseDelayMs: 100, maxDelayMs: 400 } });
    const v1Refs = await old.client.evo.greet.enqueueMany(
      Array.from({ length: JOBS_PER_PHASE }, (_, i) => ({ input: { name: `old-${i}` } })),
    );

    // Deployment 2 rolls out: its API (v2 producer) serves while the v1 worker still runs, and
    // old producers keep enqueuing v1 jobs at the same time.
    await using next = await startStack({ registry: evoV2, prefix });
    const v2Refs: typeof v1Refs = [];
    for (let i = 0; i < JOBS_PER_PHASE; i += 50) {
      const [v1, v2] = await Promise.all([
        old.client.evo.greet.enqueueMany(Array.from({ length: 25 }, (_, j) => ({ input: { name: `late-${i + j}` } }))),
        next.client.evo.greet.enqueueMany(
          Array.from({ length: 50 }, (_, j) => ({ input: { person: { first: `new-${i + j}`, last: 'v2' } } })),
        ),
      ]);
      v1Refs.push(...v1);
      v2Refs.push(...v2);
    }
    // Some v2 jobs reached the v1 worker and were put back for a newer worker.
    const deferredSeen = await eventually(async () => {
      const views = await Promise.all(v2Refs.slice(0, 20).map((r) => next.client.evo.greet.get(r.id)));
      return views.some((v) => v.deferrals > 0) ? views.filter((v) => v.deferrals > 0).length : undefined;
    });

    // The v2 worker starts, then the v1 worker is stopped (graceful).
    await next.startWorker(handlers.v2);
    await oldWorker.close();

    const all = [...v1Refs, ...v2Refs];
    const views = await eventually(
      async () => {
        const vs = await Promise.all(all.map((r) => next.client.jobs.get(r.id)));
        return vs.every((v) => v.state === 'completed' || v.state === 'failed') ? vs : undefined;
      },
      30_000,
      200,
    );
    const failed = views.filter((v) => v.state === 'failed');
    const completed = views.filter((v) => v.state === 'completed');
    const handledIds = handlers.log.map((h) => h.jobId);
    const lost = all.filter((r) => !handledIds.includes(r.id)).length;
    const duplicates = handledIds.length - new Set(handledIds).size;
    const misunderstood = handlers.log.filter((h) => h.payloadVersion > h.workerVersion).length;
    const byWorker = {
      v1: handlers.log.filter((h) => h.workerVersion === 1).length,
      v2: handlers.log.filter((h) => h.workerVersion === 2).length,
    };
    const deferred = views.filter((v) => v.deferrals > 0).length;
    console.log(
      `rolling deploy: ${all.length} jobs, ${completed.length} completed, ${failed.length} failed, ${lost} lost, ${duplicates} handled twice; ` +
        `handled by v1 worker ${byWorker.v1}, by v2 worker ${byWorker.v2} (of which v1 payloads migrated: ${handlers.log.filter((h) => h.workerVersion === 2 && h.payloadVersion === 1).length}); ` +
        `v2 jobs put back by the v1 worker: ${deferred} (seen early: ${deferredSeen})`,
    );
    expect(failed).toHaveLength(0);
    expect(completed).toHaveLength(all.length);
    expect(lost).toBe(0);
    expect(duplicates).toBe(0);
    expect(misunderstood).toBe(0);
    expect(deferred).toBeGreaterThan(0);
    expect(byWorker.v1).toBeGreaterThan(0);
    expect(handlers.log.some((h) => h.workerVersion === 2 && h.payloadVersion === 1)).toBe(true);
    for (const view of completed) {
      expect((view.result as { payloadVersion: number }).payloadVersion).toBe(view.version);
    }
  }, 60_000);
});
