/**
 * The fairness workload of `npm run bench`: key A enqueues 10,000 jobs, then keys B and C enqueue
 * 100 each while A's backlog drains (one every 10 ms, alternating), on 3 worker processes; the
 * handler waits ~2 ms. Once with a per-key limit of 4 (`flow.concurrency` by key: keys served
 * round-robin), once with one limit of 4 for all keys (the key ignored: arrival order). Reports,
 * per run, B's and C's enqueue → start p50/p99 and A's throughput.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../client/src/node.ts';
import { startApiServer } from '../../router/src/index.ts';
import { createKeys } from '../../shared/src/index.ts';
import { createRedis } from '../../shared/src/node/index.ts';
import { quantile } from '../core/stats.ts';
import { fairRegistry, startsKey } from './family.ts';

const here = dirname(fileURLToPath(import.meta.url));
const BACKLOG = 10_000;
const EACH = 100;
const WORKERS = 3;

export interface FairnessSide {
  /** Enqueue → start, ms. */
  b: { p50: number; p99: number };
  c: { p50: number; p99: number };
  /** A's jobs per second, from its first start to its last finish. */
  aJobsPerSecond: number;
  wallTimeS: number;
}

export interface FairnessResult {
  jobs: { a: number; b: number; c: number };
  workers: number;
  keyed: FairnessSide;
  fifo: FairnessSide;
  /** Keyed ÷ FIFO: B's and C's p99 (goal ≤ 0.05), A's throughput (goal ≥ 0.8). */
  ratios: { bP99: number; cP99: number; aThroughput: number };
}

async function side(redisUrl: string, task: 'keyed' | 'fifo', log: (line: string) => void): Promise<FairnessSide> {
  const prefix = `fair${task}${Date.now().toString(36)}`;
  const keys = createKeys(prefix);
  const redis = createRedis({ mode: 'single', url: redisUrl }, 'worker', 'bench-fairness');
  const token = 'bench-fairness-token';
  const api = await startApiServer({ registry: fairRegistry, redis: { mode: 'single', url: redisUrl }, prefix, port: 0, auth: 'open' });
  const workers = Array.from({ length: WORKERS }, () =>
    spawn(process.execPath, ['--conditions=taskwire-source', '--import', 'tsx', resolve(here, 'worker.ts')], {
      env: { ...process.env, REDIS_URL: redisUrl, TASKWIRE_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  await Promise.all(workers.map((w) => new Promise<void>((ready) => w.stdout?.once('data', () => ready()))));
  const tw = createClient<typeof fairRegistry>({ url: `${api.url}/trpc`, token });
  const t0 = performance.now();
  try {
    const client = tw.fair[task];
    for (let i = 0; i < BACKLOG; i += 1_000) {
      await client.enqueueMany(Array.from({ length: 1_000 }, () => ({ input: { key: 'a' } })));
    }
    for (let i = 0; i < EACH * 2; i++) {
      await client.enqueue({ key: i % 2 === 0 ? 'b' : 'c' });
      await new Promise((r) => setTimeout(r, 10));
    }
    const total = BACKLOG + 2 * EACH;
    for (;;) {
      const done = await redis.llen(startsKey(keys));
      if (done >= total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rows = (await redis.lrange(startsKey(keys), 0, -1)).map((line) => {
      const [, key = '', enqueued = '0', started = '0', finished = '0'] = line.split(' ');
      return { key, wait: Number(started) - Number(enqueued), started: Number(started), finished: Number(finished) };
    });
    const waits = (key: string) =>
      rows
        .filter((r) => r.key === key)
        .map((r) => r.wait)
        .sort((x, y) => x - y);
    const a = rows.filter((r) => r.key === 'a');
    const span = (Math.max(...a.map((r) => r.finished)) - Math.min(...a.map((r) => r.started))) / 1_000;
    const of = (key: string) => ({ p50: quantile(waits(key), 0.5), p99: quantile(waits(key), 0.99) });
    const result = { b: of('b'), c: of('c'), aJobsPerSecond: a.length / span, wallTimeS: (performance.now() - t0) / 1_000 };
    log(
      `bench: fairness ${task}: B p50 ${result.b.p50.toFixed(0)} ms p99 ${result.b.p99.toFixed(0)} ms, C p99 ${result.c.p99.toFixed(0)} ms, A ${Math.round(result.aJobsPerSecond)} jobs/s`,
    );
    return result;
  } finally {
    tw.close();
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((done) => {
            w.once('exit', () => done());
            w.kill('SIGTERM');
          }),
      ),
    );
    await api.close();
    redis.disconnect();
  }
}

/** Runs both sides on the Redis at `redisUrl`, keyed first. */
export async function measureFairness(redisUrl: string, log: (line: string) => void): Promise<FairnessResult> {
  const keyed = await side(redisUrl, 'keyed', log);
  const fifo = await side(redisUrl, 'fifo', log);
  return {
    jobs: { a: BACKLOG, b: EACH, c: EACH },
    workers: WORKERS,
    keyed,
    fifo,
    ratios: { bP99: keyed.b.p99 / fifo.b.p99, cP99: keyed.c.p99 / fifo.c.p99, aThroughput: keyed.aJobsPerSecond / fifo.aJobsPerSecond },
  };
}

/** The fairness table, Markdown. */
export function formatFairness(result: FairnessResult): string {
  const ms = (v: number) => `${Math.round(v).toLocaleString('en-US')} ms`;
  const rows = [
    '| fairness: A 10,000 jobs, then B and C 100 each; 4 running per key, 3 worker processes | keyed (round-robin) | FIFO (key ignored) | keyed ÷ FIFO | goal |',
    '|---|---|---|---|---|',
    `| B enqueue → start p50 | ${ms(result.keyed.b.p50)} | ${ms(result.fifo.b.p50)} | | |`,
    `| B enqueue → start p99 | ${ms(result.keyed.b.p99)} | ${ms(result.fifo.b.p99)} | ${result.ratios.bP99.toFixed(3)} | ≤ 0.05 |`,
    `| C enqueue → start p50 | ${ms(result.keyed.c.p50)} | ${ms(result.fifo.c.p50)} | | |`,
    `| C enqueue → start p99 | ${ms(result.keyed.c.p99)} | ${ms(result.fifo.c.p99)} | ${result.ratios.cP99.toFixed(3)} | ≤ 0.05 |`,
    `| A throughput | ${Math.round(result.keyed.aJobsPerSecond).toLocaleString('en-US')} jobs/s | ${Math.round(result.fifo.aJobsPerSecond).toLocaleString('en-US')} jobs/s | ${result.ratios.aThroughput.toFixed(2)} | ≥ 0.8 |`,
  ];
  return rows.join('\n');
}
