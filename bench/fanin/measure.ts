/**
 * The fan-in workload of `npm run bench`: one parent with 1,000 children that sums their results,
 * run by one worker process (16 at once), taskwire (`ctx.runAll`, typed) against the same flow
 * written by hand with BullMQ's `FlowProducer`. Reports, per side, the median wall time from the
 * enqueue to the parent's result, children per second, and Redis commands per child (from `INFO
 * commandstats` on the bench's private Redis, the API's own included on the taskwire side).
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlowProducer, QueueEvents } from 'bullmq';
import { createClient } from '../../client/src/node.ts';
import { startApiServer } from '../../router/src/index.ts';
import { createRedis, type RedisConnection } from '../../shared/src/node/index.ts';
import { faninRegistry } from './family.ts';

const here = dirname(fileURLToPath(import.meta.url));
const CHILDREN = 1_000;
const REPS = 5;

export interface FaninSide {
  /** Median enqueue → parent result, ms, and every run's. */
  wallMs: number;
  runsMs: number[];
  childrenPerSecond: number;
  commandsPerChild: number;
}

export interface FaninResult {
  children: number;
  reps: number;
  taskwire: FaninSide;
  flowProducer: FaninSide;
  /** taskwire ÷ FlowProducer children per second (goal ≥ 0.8). */
  ratio: number;
}

/** Every command Redis has run so far (`INFO commandstats`). */
async function commandsSoFar(admin: RedisConnection): Promise<number> {
  const info = (await admin.info('commandstats')) as string;
  let total = 0;
  for (const match of info.matchAll(/calls=(\d+)/g)) total += Number(match[1]);
  return total;
}

function startWorker(side: 'taskwire' | 'raw', redisUrl: string, prefix: string) {
  const child = spawn(process.execPath, ['--conditions=taskwire-source', '--import', 'tsx', resolve(here, 'worker.ts'), side], {
    env: { ...process.env, REDIS_URL: redisUrl, TASKWIRE_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((done) => child.stdout?.once('data', () => done()));
  const stop = () =>
    new Promise<void>((done) => {
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  return { ready, stop };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

function summarize(runs: { ms: number; commands: number }[]): FaninSide {
  const wallMs = median(runs.map((r) => r.ms));
  return {
    wallMs,
    runsMs: runs.map((r) => Math.round(r.ms)),
    childrenPerSecond: CHILDREN / (wallMs / 1_000),
    commandsPerChild: median(runs.map((r) => r.commands)) / CHILDREN,
  };
}

/** Runs both sides `REPS` times, alternating, on the Redis at `redisUrl`. */
export async function measureFanin(redisUrl: string, log: (line: string) => void): Promise<FaninResult> {
  const redis = { mode: 'single' as const, url: redisUrl };
  const prefix = `fanin${Date.now().toString(36)}`;
  const admin = createRedis(redis, 'worker', 'bench-fanin-admin');
  const api = await startApiServer({ registry: faninRegistry, redis, prefix, port: 0, auth: 'open' });
  const tw = createClient<typeof faninRegistry>({ url: `${api.url}/trpc` });
  const flowConnection = createRedis(redis, 'worker', 'bench-fanin-flow');
  const flows = new FlowProducer({ connection: flowConnection, prefix });
  const events = new QueueEvents('{faninraw}', { connection: createRedis(redis, 'blocking', 'bench-fanin-events'), prefix });
  const workers = [startWorker('taskwire', redisUrl, prefix), startWorker('raw', redisUrl, prefix)];
  await Promise.all([...workers.map((w) => w.ready), events.waitUntilReady()]);
  const runs = { taskwire: [] as { ms: number; commands: number }[], raw: [] as { ms: number; commands: number }[] };
  try {
    for (let rep = -1; rep < REPS; rep++) {
      for (const side of rep % 2 === 0 ? (['taskwire', 'raw'] as const) : (['raw', 'taskwire'] as const)) {
        const before = await commandsSoFar(admin);
        const t0 = performance.now();
        let children: number;
        if (side === 'taskwire') {
          children = (await tw.fanin.parent.run({ count: CHILDREN }, { timeoutMs: 120_000 })).children;
        } else {
          const node = await flows.add({
            name: 'parent',
            queueName: '{faninraw}',
            data: { count: CHILDREN },
            children: Array.from({ length: CHILDREN }, (_, i) => ({ name: 'child', queueName: '{faninraw}', data: { i } })),
          });
          children = ((await node.job.waitUntilFinished(events, 120_000)) as { children: number }).children;
        }
        const ms = performance.now() - t0;
        const commands = (await commandsSoFar(admin)) - before;
        if (children !== CHILDREN) throw new Error(`fan-in ${side}: ${children} results, expected ${CHILDREN}`);
        if (rep >= 0) runs[side].push({ ms, commands });
        log(
          `  fan-in ${rep < 0 ? 'warm-up ' : `rep ${rep + 1}/${REPS}`} ${side.padEnd(8)} ${Math.round(ms)} ms, ${(commands / CHILDREN).toFixed(1)} commands per child`,
        );
      }
    }
  } finally {
    tw.close();
    await Promise.all(workers.map((w) => w.stop()));
    await events.close();
    await flows.close();
    flowConnection.disconnect();
    await api.close();
    admin.disconnect();
  }
  const taskwire = summarize(runs.taskwire);
  const flowProducer = summarize(runs.raw);
  return { children: CHILDREN, reps: REPS, taskwire, flowProducer, ratio: taskwire.childrenPerSecond / flowProducer.childrenPerSecond };
}

/** The fan-in table, Markdown. */
export function formatFanin(result: FaninResult): string {
  const row = (name: string, s: FaninSide) =>
    `| ${name} | ${Math.round(s.wallMs).toLocaleString('en-US')} ms | ${Math.round(s.childrenPerSecond).toLocaleString('en-US')} | ${s.commandsPerChild.toFixed(1)} |`;
  return [
    `| fan-in: 1 parent, ${result.children.toLocaleString('en-US')} children, 1 worker process (16 at once), median of ${result.reps} | wall (enqueue → result) | children/s | Redis commands per child |`,
    '|---|---|---|---|',
    row('taskwire `ctx.runAll` (typed)', result.taskwire),
    row('BullMQ `FlowProducer` (by hand)', result.flowProducer),
    `| taskwire ÷ FlowProducer | | **${result.ratio.toFixed(2)}** (goal ≥ 0.8) | |`,
  ].join('\n');
}
