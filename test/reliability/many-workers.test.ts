import { createKeys } from '@taskwire/shared';
import { createRedis, type RedisConnectionConfig } from '@taskwire/shared/node';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { type FleetFamily, fleetRegistry, fleetRunsKey } from '../fixtures/fleet.ts';
import { eventually, redisConfig, type Stack, startStack, uniquePrefix } from '../fixtures/harness.ts';
import { startRedisCluster } from '../fixtures/redis-cluster.ts';
import { readRuns } from '../fixtures/tracked.ts';
import { startWorkerProcess, stopWorkers, type TrackedWorker, tally, within } from './support.ts';

/** Raw access to the fleet's queues: pause/resume around a measurement, count, read the executions. */
function fleetQueues(redis: RedisConnectionConfig, prefix: string) {
  const keys = createKeys(prefix);
  const connection = createRedis(redis, 'worker', 'taskwire-test-fleet');
  const queues = Object.fromEntries(
    (Object.keys(fleetRegistry) as FleetFamily[]).map((family) => {
      const queue = new Queue(keys.queueName(family), { connection, prefix });
      queue.on('error', () => {});
      return [family, queue];
    }),
  ) as Record<FleetFamily, Queue>;
  return {
    queues,
    runs: (family: FleetFamily) => readRuns(connection, fleetRunsKey(keys, family)),
    async [Symbol.asyncDispose]() {
      await Promise.allSettled(Object.values(queues).map((q) => q.close()));
      connection.disconnect();
    },
  };
}

type Fleet = ReturnType<typeof fleetQueues>;

async function enqueue(stack: Stack<typeof fleetRegistry>, family: FleetFamily, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1_000) {
    const items = Array.from({ length: Math.min(1_000, count - i) }, (_, j) => ({ input: { n: i + j } }));
    ids.push(...(await stack.client[family].work.enqueueMany(items)).map((ref) => ref.id));
  }
  return ids;
}

/** Resumes a paused family and resolves with the seconds until `count` jobs completed. */
async function drain(fleet: Fleet, family: FleetFamily, count: number): Promise<number> {
  const started = performance.now();
  await fleet.queues[family].resume();
  await eventually(async () => ((await fleet.queues[family].getCompletedCount()) >= count ? true : undefined), 120_000, 20).catch(
    () => undefined,
  );
  return (performance.now() - started) / 1_000;
}

function spawnFleet(redis: RedisConnectionConfig, prefix: string, family: FleetFamily, count: number): Promise<TrackedWorker[]> {
  return Promise.all(
    Array.from({ length: count }, () => startWorkerProcess('test/fixtures/fleet-worker.ts', redis, prefix, { FLEET_FAMILY: family })),
  );
}

describe('many worker processes per family', () => {
  it('on a 3-master cluster: 4 processes on one family and 2 on another, every job handled once', async () => {
    await using cluster = await startRedisCluster();
    const prefix = uniquePrefix('fleet');
    await using stack = await startStack({ registry: fleetRegistry, redis: cluster.config, prefix });
    await using fleet = fleetQueues(cluster.config, prefix);
    const jobs: Record<FleetFamily, number> = { busy: 8_000, quiet: 4_000 };
    const workers: Record<FleetFamily, TrackedWorker[]> = { busy: [], quiet: [] };
    try {
      // Queued while paused, so every process starts from the same full queue.
      for (const queue of Object.values(fleet.queues)) await queue.pause();
      const ids = { busy: await enqueue(stack, 'busy', jobs.busy), quiet: await enqueue(stack, 'quiet', jobs.quiet) };
      [workers.busy, workers.quiet] = await Promise.all([
        spawnFleet(cluster.config, prefix, 'busy', 4),
        spawnFleet(cluster.config, prefix, 'quiet', 2),
      ]);
      const [busySeconds, quietSeconds] = await Promise.all([drain(fleet, 'busy', jobs.busy), drain(fleet, 'quiet', jobs.quiet)]);
      const seconds: Record<FleetFamily, number> = { busy: busySeconds, quiet: quietSeconds };

      for (const family of ['busy', 'quiet'] as const) {
        const t = tally(await fleet.runs(family));
        const perProcess = workers[family].map((w) => t.perPid.get(w.pid) ?? 0);
        console.log(
          `${family}: ${jobs[family]} jobs, ${workers[family].length} processes, drained in ${seconds[family].toFixed(2)} s ` +
            `(${(jobs[family] / seconds[family]).toFixed(0)} jobs/s); per process: ${perProcess
              .map((n, i) => `#${i + 1} ${n} jobs ${(n / seconds[family]).toFixed(0)} jobs/s`)
              .join(', ')}; ${t.duplicates} duplicates`,
        );
        expect(await fleet.queues[family].getCompletedCount()).toBe(jobs[family]);
        expect(t.executions).toBe(jobs[family]);
        expect(t.duplicates).toBe(0);
        expect(new Set(t.perJob.keys())).toEqual(new Set(ids[family]));
        // Every process took part, and only the family's own processes ran its jobs.
        for (const n of perProcess) expect(n).toBeGreaterThan(0);
        expect(perProcess.reduce((a, b) => a + b, 0)).toBe(jobs[family]);
      }
      for (const w of [...workers.busy, ...workers.quiet]) expect(w.alive).toBe(true);
    } finally {
      await within(stopWorkers([...workers.busy, ...workers.quiet]), 20_000, 'worker shutdown').catch(() => undefined);
    }
  });

  it('throughput of one family with 1, 2 and 4 worker processes (printed, one Redis node)', async () => {
    const JOBS = 10_000;
    const rows: string[] = [];
    for (const processes of [1, 2, 4]) {
      const redis = redisConfig();
      await using stack = await startStack({ registry: fleetRegistry, redis });
      await using fleet = fleetQueues(redis, stack.prefix);
      const workers: TrackedWorker[] = [];
      try {
        await fleet.queues.busy.pause();
        await enqueue(stack, 'busy', JOBS);
        workers.push(...(await spawnFleet(redis, stack.prefix, 'busy', processes)));
        const seconds = await drain(fleet, 'busy', JOBS);
        const t = tally(await fleet.runs('busy'));
        const perProcess = workers.map((w) => ((t.perPid.get(w.pid) ?? 0) / seconds).toFixed(0));
        rows.push(`| ${processes} | ${(JOBS / seconds).toFixed(0)} | ${perProcess.join(' / ')} |`);
        expect(t.executions).toBe(JOBS);
        expect(t.duplicates).toBe(0);
      } finally {
        await within(stopWorkers(workers), 20_000, 'worker shutdown').catch(() => undefined);
      }
    }
    console.log(
      [
        `throughput, ${JOBS} jobs of one family (concurrency 16 per process):`,
        '| processes | jobs/s | per process |',
        '|---|---|---|',
        ...rows,
      ].join('\n'),
    );
    expect(rows).toHaveLength(3);
  });
});
