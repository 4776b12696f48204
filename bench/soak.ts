/**
 * `npm run soak`: a million no-op jobs through the real taskwire path (client → API → Redis →
 * worker), printing each process's RSS every slice; fails when the API's or the worker's RSS
 * leaves ±10% of its post-warm-up baseline. Not run by tests or CI. See bench/README.md (Soak).
 */
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { QUEUES } from './contract.ts';
import { type Orchestrator, orchestrate, readCommandLine } from './core/lifecycle.ts';
import { loadAverageNow, machineInfo } from './core/machine.ts';
import { BenchChild, type SpawnOptions } from './core/parent.ts';
import type { ClientCommands, ServerCommands, WorkerCommands } from './core/protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));
const entry = (name: string) => resolve(here, 'procs', `${name}.ts`);
const log = (line: string) => process.stderr.write(`${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

// The taskwire API runs with a token, as in production; its children read it from the environment.
process.env.BENCH_API_TOKEN = `bench_${randomBytes(24).toString('base64url')}`;

const CONCURRENCY = 16;
const IN_FLIGHT = 64;
const BATCH = 1_000;
/** RSS of the API and the worker must stay within this fraction of their baseline. */
const TOLERANCE = 0.1;
/** Jobs sent per client command; the next goes out once the worker's backlog is down to one chunk. */
const CHUNK = 10_000;
const POLL_MS = 100;
/** The worker completing nothing for this long is a failure, not a slow run. */
const STALL_MS = 120_000;
const LONG = 600_000;

const USAGE = `Usage: npm run soak -- [options]

  --jobs N     jobs in all, a multiple of --slice, at least two slices    [1,000,000]
  --slice N    jobs between two RSS readings                              [100,000]
  --warmup N   jobs before the baseline reading, a multiple of --slice    [200,000, or half of a shorter run]
  --verbose    print the children's output
  --help

Slices alternate single enqueues (${IN_FLIGHT} in flight) and enqueueMany (${BATCH.toLocaleString('en-US')} per call); the worker
(concurrency ${CONCURRENCY}) runs throughout. Each process runs a full GC before its RSS is read.
Exits 1 when the API's or the worker's RSS leaves ±${TOLERANCE * 100}% of its reading at the end of the warm-up.`;

interface SoakConfig {
  jobs: number;
  slice: number;
  /** Jobs before the baseline reading. */
  warmup: number;
  verbose: boolean;
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** Parses argv; `undefined` when `--help` was asked for. */
function parseOptions(argv: string[]): SoakConfig | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      jobs: { type: 'string' },
      slice: { type: 'string' },
      warmup: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const jobs = positiveInt(values.jobs, 1_000_000, 'jobs');
  const slice = positiveInt(values.slice, 100_000, 'slice');
  if (jobs % slice !== 0) throw new Error(`--jobs (${jobs}) must be a multiple of --slice (${slice})`);
  if (jobs < 2 * slice) throw new Error(`--jobs (${jobs}) must be at least two slices (${2 * slice}): a baseline and a reading after it`);
  const warmup = positiveInt(values.warmup, Math.min(200_000, Math.floor(jobs / 2 / slice) * slice), 'warmup');
  if (warmup % slice !== 0) throw new Error(`--warmup (${warmup}) must be a multiple of --slice (${slice})`);
  if (warmup >= jobs) throw new Error(`--warmup (${warmup}) must be less than --jobs (${jobs}): the soak needs readings after it`);
  return { jobs, slice, warmup, verbose: values.verbose ?? false };
}

const PROCESSES = ['api', 'worker', 'client'] as const;
type Proc = (typeof PROCESSES)[number];
/** The processes whose RSS decides pass or fail (the client is the bench's own driver). */
const JUDGED: readonly Proc[] = ['api', 'worker'];
const LABELS: Record<Proc, string> = { api: 'API', worker: 'worker', client: 'client' };

interface Soak {
  server: BenchChild<ServerCommands>;
  worker: BenchChild<WorkerCommands>;
  client: BenchChild<ClientCommands>;
}

type Mode = 'single' | 'bulk';

interface Reading {
  jobs: number;
  elapsedS: number;
  mode: Mode;
  /** Jobs/s over the slice: from its first enqueue to its last completion. */
  rate: number;
  rssMB: Record<Proc, number>;
  redisMB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const num = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const percent = (fraction: number) => `${fraction >= 0 ? '+' : '−'}${Math.abs(fraction * 100).toFixed(1)}%`;

async function spawnProcesses(redisUrl: string, verbose: boolean): Promise<Soak> {
  const options: SpawnOptions = { verbose, gcBeforeUsage: true };
  const args = { column: 'taskwire' };
  const server = await BenchChild.spawn<ServerCommands>('taskwire server', entry('server'), {
    ...options,
    args: { ...args, redis: redisUrl },
  });
  const [client, worker] = await Promise.all([
    BenchChild.spawn<ClientCommands>('taskwire client', entry('client'), { ...options, args: { ...args, target: server.info.url ?? '' } }),
    BenchChild.spawn<WorkerCommands>('taskwire worker', entry('worker'), { ...options, args: { ...args, redis: redisUrl } }),
  ]);
  return { server, worker, client };
}

/** Polls the worker until it has completed `target` jobs; fails if it stops making progress. */
async function waitForCompleted(worker: BenchChild<WorkerCommands>, target: number): Promise<number> {
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const { completed } = await worker.request('progress', null, 10_000);
    if (completed >= target) return completed;
    if (completed !== last) {
      last = completed;
      lastChange = performance.now();
    } else if (performance.now() - lastChange > STALL_MS) {
      throw new Error(`the worker completed no job for ${STALL_MS / 1_000} s (${completed} done, waiting for ${target})`);
    }
    await sleep(POLL_MS);
  }
}

/** Failed enqueue calls the soak goes on after; one more fails it. */
const MAX_ENQUEUE_ERRORS = 10;

/**
 * An enqueue call the API answered with QUEUE_UNAVAILABLE: its Redis deadline passed, which a
 * starved shared machine can cause. Whether the job reached Redis is unknown (the command may
 * still run after the deadline).
 */
function isUnavailable(error: unknown): boolean {
  return error instanceof Error && /Queue unavailable/.test(error.message);
}

/**
 * After a failed enqueue call: waits until nothing is waiting or active and the worker's count has
 * not moved for 3 s (the client's other lanes have finished), and returns that count, i.e. the
 * jobs that reached Redis.
 */
async function drained(p: Soak, admin: Redis): Promise<number> {
  const { prefix, name } = QUEUES.taskwire;
  const key = (suffix: string) => `${prefix}:${name}:${suffix}`;
  let last = -1;
  let since = performance.now();
  for (;;) {
    const [{ completed }, wait, active, delayed, prioritized] = await Promise.all([
      p.worker.request('progress', null, 10_000),
      admin.llen(key('wait')),
      admin.llen(key('active')),
      admin.zcard(key('delayed')),
      admin.zcard(key('prioritized')),
    ]);
    if (completed !== last || wait + active + delayed + prioritized > 0) {
      last = completed;
      since = performance.now();
    } else if (performance.now() - since > 3_000) {
      return completed;
    }
    await sleep(250);
  }
}

/**
 * Enqueues jobs `from + 1 … from + size` in chunks, each once the worker's backlog is down to one
 * chunk (so Redis holds at most two chunks of waiting jobs), then waits for the last one. A call
 * failing with QUEUE_UNAVAILABLE is recorded in `errors`; the slice goes on from the jobs that
 * reached Redis.
 */
async function driveSlice(p: Soak, admin: Redis, mode: Mode, from: number, size: number, errors: string[]): Promise<void> {
  const end = from + size;
  let enqueued = from;
  while (enqueued < end) {
    const jobs = Math.min(CHUNK, end - enqueued);
    await waitForCompleted(p.worker, enqueued - CHUNK);
    try {
      if (mode === 'single') await p.client.request('single', { jobs, inFlight: IN_FLIGHT }, LONG);
      else await p.client.request('bulk', { jobs, batch: BATCH }, LONG);
      enqueued += jobs;
    } catch (error) {
      if (!isUnavailable(error) || errors.length >= MAX_ENQUEUE_ERRORS) throw error;
      const reason = ((error as Error).message.split('\n')[0] ?? '').replace(/^taskwire client: /, '');
      errors.push(reason);
      log(`soak: a ${mode} enqueue call failed (${reason}); waiting for the queue to drain…`);
      enqueued = await drained(p, admin);
      log(`soak: ${num(enqueued)} jobs reached Redis and completed; going on`);
    }
  }
  const completed = await waitForCompleted(p.worker, end);
  if (completed !== end) throw new Error(`the worker completed ${completed} jobs, ${end} were enqueued`);
}

async function redisUsedMB(admin: Redis): Promise<number> {
  const info = await admin.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN) / 1_048_576;
}

/** RSS of each process (each runs a full GC first, twice) and Redis `used_memory`, all idle. */
async function read(p: Soak, admin: Redis): Promise<Pick<Reading, 'rssMB' | 'redisMB'>> {
  const children = [p.server, p.worker, p.client];
  // A first GC, then a moment for V8 to hand the pages it freed back to the OS (a background task).
  await Promise.all(children.map((child) => child.usage()));
  await sleep(1_000);
  const [api, worker, client, redisMB] = await Promise.all([p.server.usage(), p.worker.usage(), p.client.usage(), redisUsedMB(admin)]);
  return { rssMB: { api: api.rssMB, worker: worker.rssMB, client: client.rssMB }, redisMB };
}

const HEAD = ['jobs', 'elapsed', 'slice', 'jobs/s', 'API MB', 'worker MB', 'client MB', 'Redis MB', 'API Δ', 'worker Δ', 'client Δ'];
const WIDTHS = [9, 8, 6, 7, 7, 9, 9, 8, 7, 8, 8];
const line = (cells: string[]) =>
  cells
    .map((text, i) => text.padStart(WIDTHS[i] ?? 0))
    .join('  ')
    .trimEnd();

function row(reading: Reading, baseline: Reading | undefined): string {
  const delta = (proc: Proc) => {
    if (!baseline) return '';
    if (baseline === reading) return 'base';
    return percent(reading.rssMB[proc] / baseline.rssMB[proc] - 1);
  };
  return line([
    num(reading.jobs),
    `${num(reading.elapsedS)} s`,
    reading.mode,
    num(reading.rate),
    num(reading.rssMB.api, 1),
    num(reading.rssMB.worker, 1),
    num(reading.rssMB.client, 1),
    num(reading.redisMB, 1),
    ...PROCESSES.map(delta),
  ]);
}

/** The summary lines after the table, and whether the API and the worker stayed within bounds. */
function verdict(config: SoakConfig, readings: Reading[]): { lines: string[]; pass: boolean } {
  const baseline = readings.find((r) => r.jobs === config.warmup) as Reading;
  const after = readings.filter((r) => r.jobs > config.warmup);
  const worst = (proc: Proc) =>
    after
      .map((r) => ({ jobs: r.jobs, mb: r.rssMB[proc], deviation: r.rssMB[proc] / baseline.rssMB[proc] - 1 }))
      .reduce((a, b) => (Math.abs(b.deviation) > Math.abs(a.deviation) ? b : a));
  const lines = [
    `baseline (the reading at ${num(config.warmup)} jobs, after warm-up): ${PROCESSES.map((p) => `${LABELS[p]} ${num(baseline.rssMB[p], 1)} MB`).join(', ')}`,
    `max deviation from baseline after warm-up: ${PROCESSES.map((p) => {
      const w = worst(p);
      return `${LABELS[p]} ${percent(w.deviation)} (at ${num(w.jobs)})`;
    }).join(', ')}`,
  ];
  const outside = JUDGED.map((proc) => ({ proc, ...worst(proc) })).filter((w) => Math.abs(w.deviation) > TOLERANCE);
  for (const w of outside) {
    lines.push(
      `FAIL: ${LABELS[w.proc]} RSS ${percent(w.deviation)} from its baseline at ${num(w.jobs)} jobs (${num(w.mb, 1)} MB against ${num(baseline.rssMB[w.proc], 1)} MB; allowed ±${TOLERANCE * 100}%)`,
    );
  }
  if (outside.length === 0) lines.push(`PASS: API and worker RSS stayed within ±${TOLERANCE * 100}% of their baseline after warm-up.`);
  return { lines, pass: outside.length === 0 };
}

async function main(orchestrator: Orchestrator): Promise<number> {
  const loadAtStart = loadAverageNow();
  const config = readCommandLine(parseOptions, USAGE);
  if (typeof config === 'number') return config;

  log('soak: starting a private redis-server…');
  const { server: redis, admin } = await orchestrator.startRedis();
  const machine = await machineInfo(admin, loadAtStart);
  log(`soak: redis ${machine.redis} on port ${redis.port}; starting the taskwire API, worker and client…`);
  const p = await spawnProcesses(redis.url, config.verbose);
  await p.worker.request('prepare', { concurrency: CONCURRENCY, target: config.jobs, keepLatencies: false });
  await p.worker.request('start', null);

  out(
    `taskwire soak — ${num(config.jobs)} no-op jobs in slices of ${num(config.slice)}, alternating single enqueues (${IN_FLIGHT} in flight) and`,
  );
  out(
    `enqueueMany (${num(BATCH)} per call); worker concurrency ${CONCURRENCY}. RSS after forced full GCs in each process, all idle. Warm-up: ${num(config.warmup)} jobs.`,
  );
  out(
    `${new Date().toISOString()} · ${machine.cpus} × ${machine.model} · node ${machine.node} · redis ${machine.redis} · load average at start ${machine.loadAverageAtStart.join(' ')}`,
  );
  out('');
  out(line(HEAD));

  const readings: Reading[] = [];
  const errors: string[] = [];
  let baseline: Reading | undefined;
  const started = performance.now();
  for (let done = 0, index = 0; done < config.jobs; done += config.slice, index++) {
    const mode: Mode = index % 2 === 0 ? 'single' : 'bulk';
    const sliceStarted = performance.now();
    await driveSlice(p, admin, mode, done, config.slice, errors);
    const sliceMs = performance.now() - sliceStarted;
    const reading: Reading = {
      jobs: done + config.slice,
      elapsedS: (performance.now() - started) / 1_000,
      mode,
      rate: (config.slice / sliceMs) * 1_000,
      ...(await read(p, admin)),
    };
    readings.push(reading);
    if (reading.jobs === config.warmup) baseline = reading;
    out(row(reading, baseline));
  }

  const { lines, pass } = verdict(config, readings);
  out('');
  if (errors.length) {
    out(
      `enqueue calls that failed (QUEUE_UNAVAILABLE; the run went on from the jobs that reached Redis): ${errors.length}, first: ${errors[0]}`,
    );
  }
  for (const text of lines) out(text);
  log(
    `soak: ${num(config.jobs)} jobs in ${num((performance.now() - started) / 1_000)} s; load average at end ${loadAverageNow().join(' ')}`,
  );
  return pass ? 0 : 1;
}

await orchestrate('soak', main);
