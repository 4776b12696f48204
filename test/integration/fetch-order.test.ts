/**
 * The worker starts a job as soon as a fetch brings it (worker/src/runtime/job-ledger.ts,
 * `LedgerWorker.moveToActive`): BullMQ's main loop keeps fetching while fetches bring jobs and
 * starts them only once a fetch comes back empty, so the first job of a burst (jobs written to Redis
 * together, as the API writes the calls of one WebSocket frame) waits a round trip per job behind it,
 * plus the empty one. Here: the order of fetch answers and handler starts on a stock `Worker` and on
 * `LedgerWorker`, and that the shortcut loses nothing (a backlog completes once per job within
 * the concurrency; a job added to a drained queue starts without waiting out a block timeout;
 * jobs that move themselves back to delayed still run).
 */
import { createRedis } from '@taskwire/shared/node';
import { DelayedError, type Job, Queue, Worker, type WorkerOptions } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { JobLedger, LedgerWorker } from '../../worker/src/runtime/job-ledger.ts';
import { dropPrefix, eventually, redisConfig, uniquePrefix } from '../fixtures/harness.ts';

const prefix = uniquePrefix('fetch-order');
const connection = createRedis(redisConfig(), 'worker', 'fetch-order');
let queues = 0;

const waitFor = (condition: () => boolean, timeoutMs: number) => eventually(() => (condition() ? true : undefined), timeoutMs, 5);

afterAll(async () => {
  await dropPrefix(redisConfig(), prefix);
  connection.disconnect();
});

type Processor = (job: Job, token?: string) => Promise<unknown>;

/** A worker (stock or ours) on a fresh queue, with what each fetch from Redis answered logged in order. */
async function setup(ours: boolean, processor: Processor, options: Partial<WorkerOptions> = {}) {
  // One hash slot per queue, as a Redis Cluster requires (the cluster suite runs this file too).
  const name = `{fetch-order-${++queues}}`;
  const queue = new Queue(name, { connection, prefix });
  const settings: WorkerOptions = { connection, prefix, autorun: false, concurrency: 4, ...options };
  const worker = ours ? new LedgerWorker(new JobLedger(), name, processor, settings) : new Worker(name, processor, settings);
  const log: string[] = [];
  const backend = (worker as unknown as { backend: { moveToActive(...args: unknown[]): Promise<unknown[]> } }).backend;
  const fetch = backend.moveToActive.bind(backend);
  backend.moveToActive = async (...args: unknown[]) => {
    const reply = await fetch(...args);
    log.push(reply[0] ? 'fetched a job' : 'fetched nothing');
    return reply;
  };
  await worker.waitUntilReady();
  void worker.run();
  // Idle: the worker waits for jobs.
  await waitFor(() => log.includes('fetched nothing'), 5_000);
  log.length = 0;
  return {
    queue,
    worker,
    log,
    close: async () => {
      await worker.close();
      await queue.close();
    },
  };
}

describe('a fetched job starts before the next fetch answers', () => {
  for (const ours of [false, true]) {
    it(
      ours ? 'LedgerWorker: a burst of three, each started as it is fetched' : 'stock Worker: a burst of three fetched whole, then started',
      async () => {
        let log: string[] = [];
        const { queue, close, ...rest } = await setup(ours, async () => {
          log.push('handler started');
        });
        log = rest.log;
        try {
          for (let i = 0; i < 5; i++) {
            await queue.addBulk([0, 1, 2].map((j) => ({ name: 'burst', data: { i, j } })));
            await waitFor(() => log.filter((entry) => entry === 'handler started').length === 3 * (i + 1), 5_000);
            await waitFor(() => log.at(-1) === 'fetched nothing', 5_000);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          // What came right after each fetch that brought a job.
          const next = log.flatMap((entry, i) => (entry === 'fetched a job' ? [log[i + 1]] : []));
          if (ours) {
            // Each job starts before the next fetch answers (the third of a burst may come with a completion).
            expect(next.length).toBeGreaterThanOrEqual(10);
            expect(next.every((entry) => entry === 'handler started')).toBe(true);
          } else {
            // Stock: a burst is fetched whole (and an empty fetch answered) before its first job starts.
            expect(next).toContain('fetched a job');
          }
        } finally {
          await close();
        }
      },
    );
  }
});

describe('starting at once loses nothing', () => {
  it('a backlog of 200 completes once per job, never more than the concurrency at a time', async () => {
    const started = new Map<string, number>();
    let running = 0;
    let most = 0;
    const { queue, worker, close } = await setup(true, async (job) => {
      started.set(job.id as string, (started.get(job.id as string) ?? 0) + 1);
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, job.data.i % 3));
      running -= 1;
      return job.data.i;
    });
    try {
      let completed = 0;
      worker.on('completed', () => {
        completed += 1;
      });
      await queue.addBulk(Array.from({ length: 200 }, (_, i) => ({ name: 'backlog', data: { i } })));
      await waitFor(() => completed === 200, 20_000);
      expect(started.size).toBe(200);
      expect([...started.values()].every((times) => times === 1)).toBe(true);
      expect(most).toBeLessThanOrEqual(4);
      expect(most).toBeGreaterThan(1);
      expect(await queue.getJobCounts('wait', 'active', 'failed', 'completed')).toEqual({ wait: 0, active: 0, failed: 0, completed: 200 });
    } finally {
      await close();
    }
  });

  it('a job added to a drained queue starts at once, again and again (no block timeout waited)', async () => {
    const startedAfter: number[] = [];
    let addedAt = 0;
    // A long block: a fetch that wrongly waited for the next marker would show as seconds.
    const { queue, close } = await setup(
      true,
      async () => {
        startedAfter.push(Date.now() - addedAt);
      },
      { drainDelay: 30 },
    );
    try {
      for (let i = 0; i < 5; i++) {
        addedAt = Date.now();
        await queue.add('after-drain', { i });
        await waitFor(() => startedAfter.length === i + 1, 10_000);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(Math.max(...startedAfter)).toBeLessThan(2_000);
    } finally {
      await close();
    }
  });

  it('jobs that move themselves back to delayed run again, and the ones behind them run', async () => {
    const runs = new Map<number, number>();
    const { queue, worker, close } = await setup(true, async (job, token) => {
      const i = job.data.i as number;
      runs.set(i, (runs.get(i) ?? 0) + 1);
      if (i % 2 === 0 && runs.get(i) === 1) {
        await job.moveToDelayed(Date.now() + 20, token);
        throw new DelayedError();
      }
    });
    try {
      let completed = 0;
      worker.on('completed', () => {
        completed += 1;
      });
      await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'delayed', data: { i } })));
      await waitFor(() => completed === 20, 20_000);
      for (let i = 0; i < 20; i++) expect(runs.get(i)).toBe(i % 2 === 0 ? 2 : 1);
    } finally {
      await close();
    }
  });
});
