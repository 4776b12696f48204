/** Command-line options of `npm run bench`. */
import { parseArgs } from 'node:util';
import { COLUMNS, type Column } from './protocol.ts';

export const WORKLOADS = ['enqueue', 'enqueueMany', 'process', 'latency'] as const;
export type Workload = (typeof WORKLOADS)[number];

/** (d)'s send rates, jobs/s: the base rate, then one where a path's per-job cost starts to show. */
export const LATENCY_RATES = [500, 2_000] as const;

export interface BenchConfig {
  mode: 'full' | 'quick';
  /** Jobs per measurement of workloads (a), (b) and (c). */
  jobs: number;
  /**
   * Measured repetitions of each workload's figures (after one unrecorded warm-up). (c) gets more
   * in full mode: its measurements are the shortest (about a second each), so the noisiest.
   */
  reps: Record<Workload, number>;
  /**
   * Jobs of the unrecorded warm-up of (a)–(c). A whole measurement in full mode: after 2,000 jobs
   * the first repetition still ran slower than the rest in every column (code not yet optimized).
   */
  warmupJobs: number;
  /** (a): single enqueues outstanding at any time. */
  inFlight: number;
  /** (b): jobs per `enqueueMany` / `addBulk` call. */
  batch: number;
  /** (c), (d): worker concurrency. */
  concurrency: number;
  /**
   * (d): the steady send rates (jobs/s), each measured on its own with the same duration, warm-up
   * and repetitions. The first is the base rate, whose figures keep the JSON's older keys.
   */
  latency: { rates: number[]; durationMs: number; warmupMs: number };
  columns: Column[];
  workloads: Workload[];
  /** (f) fairness: per-key limits round-robin against arrival order, on taskwire alone. */
  fairness: boolean;
  /** (g) fan-in: a parent with 1,000 children, taskwire's `ctx.runAll` against BullMQ's FlowProducer. */
  fanin: boolean;
  /** Write V8 CPU profiles of every child here (`node --cpu-prof`). */
  cpuProfDir: string | undefined;
  verbose: boolean;
  /** Where the JSON goes. */
  out: string;
}

export const USAGE = `Usage: npm run bench -- [options]

  --quick              4,000 jobs, 2 repetitions, 3 s per latency rate, shorter warm-ups (under 2 minutes)
  --jobs N             jobs per measurement of (a) (b) (c)        [full 20,000]
  --reps N             measured repetitions per figure            [full 5, (c) 9]
  --columns a,b        subset of raw,naive,taskwire               [all]
  --only a,b           subset of enqueue,enqueueMany,process,latency,fairness,fanin  [all]
  --cpu-prof DIR       write a .cpuprofile of every child process to DIR
  --out FILE           JSON output [bench/results/latest.json; bench/results/subset.json for a subset]
  --verbose            print the children's output
  --help`;

function list<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T[] {
  if (value === undefined) return [...allowed];
  const items = value.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) throw new Error(`--${name}: '${item}' is not one of ${allowed.join(', ')}`);
  }
  return allowed.filter((item) => items.includes(item));
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

function repetitions(value: string | undefined, quick: boolean): Record<Workload, number> {
  const given = value === undefined ? undefined : positiveInt(value, 0, 'reps');
  const each = given ?? (quick ? 2 : 5);
  return { enqueue: each, enqueueMany: each, process: given ?? (quick ? 2 : 9), latency: each };
}

/** Parses argv; `undefined` when `--help` was asked for. */
export function parseOptions(argv: string[]): BenchConfig | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      jobs: { type: 'string' },
      reps: { type: 'string' },
      columns: { type: 'string' },
      only: { type: 'string' },
      'cpu-prof': { type: 'string' },
      out: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const quick = values.quick ?? false;
  const jobs = positiveInt(values.jobs, quick ? 4_000 : 20_000, 'jobs');
  const columns = list(values.columns, COLUMNS, 'columns');
  const only = values.only?.split(',').map((item) => item.trim());
  const fairness = only === undefined || only.includes('fairness');
  const fanin = only === undefined || only.includes('fanin');
  const rest = only?.filter((item) => item !== 'fairness' && item !== 'fanin');
  const workloads = rest === undefined ? [...WORKLOADS] : rest.length === 0 ? [] : list(rest.join(','), WORKLOADS, 'only');
  const subset = columns.length < COLUMNS.length || workloads.length < WORKLOADS.length || !fairness || !fanin;
  return {
    mode: quick ? 'quick' : 'full',
    jobs,
    reps: repetitions(values.reps, quick),
    warmupJobs: quick ? Math.min(jobs, 1_000) : jobs,
    inFlight: 64,
    batch: 1_000,
    concurrency: 16,
    latency: { rates: [...LATENCY_RATES], durationMs: quick ? 3_000 : 10_000, warmupMs: quick ? 500 : 3_000 },
    columns,
    workloads,
    fairness,
    fanin,
    cpuProfDir: values['cpu-prof'],
    verbose: values.verbose ?? false,
    out: values.out ?? (subset ? 'bench/results/subset.json' : 'bench/results/latest.json'),
  };
}
