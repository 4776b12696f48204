/** The results of a run: what was measured, per repetition, and the JSON written from it. */
import type { MachineInfo } from './machine.ts';
import type { CommandsPerJob, LatencyFigure, Measured, PerProcess, StoredJob } from './measure.ts';
import type { BenchConfig, Workload } from './options.ts';
import { COLUMN_TITLES, type Column } from './protocol.ts';
import { histogramQuantile, ratio, type Spread, spread } from './stats.ts';

export const THROUGHPUT = ['enqueue', 'enqueueMany', 'process'] as const;
export type ThroughputWorkload = (typeof THROUGHPUT)[number];
export const PERCENTILES = ['p50', 'p90', 'p99', 'max'] as const;
export const PROCESSES = ['client', 'server', 'worker'] as const;
export type Process = (typeof PROCESSES)[number];
/** CPU is counted for Redis too (one Redis serves every column, measured during each column's phase). */
export const CPU_PROCESSES = [...PROCESSES, 'redis'] as const;
export type CpuProcess = (typeof CPU_PROCESSES)[number];
/** What (d) records per repetition, besides every job's latency. */
const LATENCY_FIGURES = [...PERCENTILES, 'maxLagMs', 'sentPerS', 'callP50', 'callP99'] as const;
type LatencyFigureName = (typeof LATENCY_FIGURES)[number];

/** What one phase (a workload, or (d) at one rate) cost in each repetition, in run order. */
export interface Costs {
  /** RSS of each process at the end of the repetition (MB). */
  rss: Record<Process, number[]>;
  /** CPU time per job of each process, and of Redis, during the measured phase (µs). */
  cpu: Record<CpuProcess, number[]>;
  /** Redis commands per job, by command. */
  commands: CommandsPerJob[];
}

/** (d) at one send rate: each repetition's figures, and every job's latency over all of them. */
export interface LatencyRecord extends Costs {
  figures: Record<LatencyFigureName, number[]>;
  /** Enqueue → handler start: ms → jobs, merged over the repetitions. */
  histogram: Map<number, number>;
}

/** Every repetition's figure, per column, in run order. */
export interface ColumnRecord {
  throughput: Record<ThroughputWorkload, number[]>;
  costs: Record<ThroughputWorkload, Costs>;
  /** (d), by send rate (jobs/s). */
  latency: Record<number, LatencyRecord>;
  /** One job as the column stored it (read after the enqueue warm-up). */
  storedJob?: StoredJob;
}

function emptyCosts(): Costs {
  return { rss: { client: [], server: [], worker: [] }, cpu: { client: [], server: [], worker: [], redis: [] }, commands: [] };
}

function emptyLatency(): LatencyRecord {
  return {
    ...emptyCosts(),
    figures: { p50: [], p90: [], p99: [], max: [], maxLagMs: [], sentPerS: [], callP50: [], callP99: [] },
    histogram: new Map(),
  };
}

/** A column's record before anything ran; (d) gets an entry per rate. */
export function emptyRecord(rates: readonly number[]): ColumnRecord {
  return {
    throughput: { enqueue: [], enqueueMany: [], process: [] },
    costs: { enqueue: emptyCosts(), enqueueMany: emptyCosts(), process: emptyCosts() },
    latency: Object.fromEntries(rates.map((rate) => [rate, emptyLatency()])),
  };
}

/** The costs of workload `w`; for (d), those at `rate`. */
export function costsOf(record: ColumnRecord, w: Workload, rate: number): Costs | undefined {
  return w === 'latency' ? record.latency[rate] : record.costs[w];
}

/** Total Redis commands per job of each repetition. */
export function commandTotals(perRep: CommandsPerJob[]): number[] {
  return perRep.map((commands) => Object.values(commands).reduce((a, b) => a + b, 0));
}

/** Median per command over repetitions, rounded. */
function commandMedians(perRep: CommandsPerJob[]): Record<string, number> {
  const names = [...new Set(perRep.flatMap((commands) => Object.keys(commands)))].sort();
  return Object.fromEntries(names.map((name) => [name, round(spread(perRep.map((c) => c[name] ?? 0)).median, 3) ?? 0]));
}

function pushPerProcess(into: Record<Process, number[]>, values: PerProcess): void {
  into.client.push(values.client);
  if (values.server !== undefined) into.server.push(values.server);
  into.worker.push(values.worker);
}

function pushCosts(into: Costs, measured: Measured<unknown>, rss: PerProcess): void {
  into.commands.push(measured.commands);
  pushPerProcess(into.cpu, measured.cpuMicrosPerJob);
  into.cpu.redis.push(measured.redisCpuMicrosPerJob);
  pushPerProcess(into.rss, rss);
}

/** Records one measured repetition of a throughput workload: its figure, what it cost, and RSS after it. */
export function recordThroughput(record: ColumnRecord, workload: ThroughputWorkload, measured: Measured<number>, rss: PerProcess): void {
  record.throughput[workload].push(measured.value);
  pushCosts(record.costs[workload], measured, rss);
}

/** Records one measured repetition of (d) at `rate`, and adds its jobs to the rate's distribution. */
export function recordLatency(record: ColumnRecord, rate: number, measured: Measured<LatencyFigure>, rss: PerProcess): void {
  const into = record.latency[rate];
  if (!into) throw new Error(`no record for (d) at ${rate} jobs/s`);
  for (const key of LATENCY_FIGURES) into.figures[key].push(measured.value[key]);
  for (const [ms, jobs] of measured.value.histogram) into.histogram.set(ms, (into.histogram.get(ms) ?? 0) + jobs);
  pushCosts(into, measured, rss);
}

export type Results = Partial<Record<Column, ColumnRecord>>;

const maybe = (samples: number[]): Spread | null => (samples.length ? spread(samples) : null);
const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);
export const median = (samples: number[] | undefined) => (samples?.length ? spread(samples).median : Number.NaN);

/** The 0th, 1st, … 100th percentile of a merged distribution; null when it holds no job. */
function percentiles(histogram: Map<number, number>): number[] | null {
  if (histogram.size === 0) return null;
  const sorted = [...histogram].sort(([a], [b]) => a - b);
  return Array.from({ length: 101 }, (_, i) => histogramQuantile(sorted, i / 100));
}

/** Per-repetition ratios (measured back to back in the same repetition): how noisy a ratio is. */
function paired(a: number[] | undefined, b: number[] | undefined): Spread | null {
  if (!a?.length || !b?.length || a.length !== b.length) return null;
  return spread(a.map((value, i) => ratio(value, b[i])));
}

type ByProcess<P extends string> = Record<P, Spread | null>;

/** What a phase cost, as written to the JSON. */
interface CostsReport {
  rssMB: ByProcess<Process>;
  cpuMicrosPerJob: ByProcess<CpuProcess>;
  redisCommandsPerJob: { total: Spread | null; byCommand: Record<string, number> };
}

/** (d) at one rate, as written to the JSON. */
export interface LatencyReport extends CostsReport {
  /** Enqueue → handler start, ms: each repetition's percentile, over repetitions. */
  latencyMs: Record<(typeof PERCENTILES)[number], Spread | null>;
  senderMaxLagMs: Spread | null;
  /** The send rate the client kept, jobs/s. */
  senderRatePerS: Spread | null;
  enqueueCallMs: { p50: Spread | null; p99: Spread | null };
  /** Jobs measured over all repetitions. */
  jobs: number;
  /**
   * The 0th…100th percentile (101 values, ms) of enqueue → handler start over every job of every
   * repetition: the distribution the chart draws. null when nothing was measured.
   */
  cdfMs: number[] | null;
}

export interface ColumnReport {
  title: string;
  storedJob: StoredJob | null;
  unit: { throughput: 'jobs/s'; latency: 'ms'; rss: 'MB' };
  enqueue: Spread | null;
  enqueueMany: Spread | null;
  process: Spread | null;
  /** At the base rate (the first of `config.latency.rates`, 500/s), as before there were two. */
  latencyMs: LatencyReport['latencyMs'];
  /** At the base rate. */
  senderMaxLagMs: Spread | null;
  /** At the base rate. */
  enqueueCallMs: LatencyReport['enqueueCallMs'];
  /** By workload; `latency` is (d) at the base rate (each rate's own are under `latencyByRate`). */
  rssMB: Partial<Record<Workload, ByProcess<Process>>>;
  cpuMicrosPerJob: Partial<Record<Workload, ByProcess<CpuProcess>>>;
  redisCommandsPerJob: Partial<Record<Workload, CostsReport['redisCommandsPerJob']>>;
  /** (d) at each rate, keyed by jobs/s ("500", "2000"). */
  latencyByRate: Record<string, LatencyReport>;
}

export interface Report {
  date: string;
  mode: BenchConfig['mode'];
  wallTimeS: number;
  config: Record<string, unknown>;
  machine: MachineInfo;
  /** taskwire ÷ raw BullMQ, medians of the same run (throughput: < 1 is slower). */
  ratios: Record<ThroughputWorkload, number | null>;
  /** naive tRPC ÷ raw BullMQ. */
  ratiosNaive: Record<ThroughputWorkload, number | null>;
  /** taskwire ÷ naive tRPC. */
  ratiosTaskwireToNaive: Record<ThroughputWorkload, number | null>;
  /** The same ratios per repetition (median, min, max). */
  pairedRatios: Record<'taskwire' | 'naive', Record<ThroughputWorkload, Spread | null>>;
  /** Whether every column stored its jobs with the same BullMQ options (the comparison is fair). */
  sameJobOptions: boolean | null;
  /** At the base rate (500/s): median over repetitions of each repetition's p50 / p99. */
  latencyMs: Partial<Record<Column, LatencyMedians>>;
  /** The same at every rate, keyed by jobs/s ("500", "2000"), then column. */
  latencyMsByRate: Record<string, Partial<Record<Column, LatencyMedians>>>;
  columns: Partial<Record<Column, ColumnReport>>;
}

export interface LatencyMedians {
  p50: number | null;
  p99: number | null;
}

function costsReport(costs: Costs): CostsReport {
  const byProcess = <P extends string>(names: readonly P[], samples: Record<P, number[]>) =>
    Object.fromEntries(names.map((name) => [name, maybe(samples[name])])) as ByProcess<P>;
  return {
    rssMB: byProcess(PROCESSES, costs.rss),
    cpuMicrosPerJob: byProcess(CPU_PROCESSES, costs.cpu),
    redisCommandsPerJob: { total: maybe(commandTotals(costs.commands)), byCommand: commandMedians(costs.commands) },
  };
}

function latencyReport(record: LatencyRecord): LatencyReport {
  const { figures } = record;
  return {
    latencyMs: Object.fromEntries(PERCENTILES.map((p) => [p, maybe(figures[p])])) as LatencyReport['latencyMs'],
    senderMaxLagMs: maybe(figures.maxLagMs),
    senderRatePerS: maybe(figures.sentPerS),
    enqueueCallMs: { p50: maybe(figures.callP50), p99: maybe(figures.callP99) },
    jobs: [...record.histogram.values()].reduce((a, b) => a + b, 0),
    cdfMs: percentiles(record.histogram),
    ...costsReport(record),
  };
}

function columnReport(config: BenchConfig, column: Column, record: ColumnRecord): ColumnReport {
  const base = config.latency.rates[0] ?? Number.NaN;
  const byRate = Object.fromEntries(
    config.latency.rates.flatMap((rate) => {
      const latency = record.latency[rate];
      return latency ? [[String(rate), latencyReport(latency)]] : [];
    }),
  ) as Record<string, LatencyReport>;
  const atBase = byRate[String(base)] ?? latencyReport(emptyLatency());
  const costs = Object.fromEntries(config.workloads.map((w) => [w, costsReport(costsOf(record, w, base) ?? emptyCosts())])) as Partial<
    Record<Workload, CostsReport>
  >;
  const pick = <K extends keyof CostsReport>(key: K) =>
    Object.fromEntries(Object.entries(costs).map(([w, c]) => [w, c?.[key]])) as Partial<Record<Workload, CostsReport[K]>>;
  return {
    title: COLUMN_TITLES[column],
    storedJob: record.storedJob ?? null,
    unit: { throughput: 'jobs/s', latency: 'ms', rss: 'MB' },
    enqueue: maybe(record.throughput.enqueue),
    enqueueMany: maybe(record.throughput.enqueueMany),
    process: maybe(record.throughput.process),
    latencyMs: atBase.latencyMs,
    senderMaxLagMs: atBase.senderMaxLagMs,
    enqueueCallMs: atBase.enqueueCallMs,
    rssMB: pick('rssMB'),
    cpuMicrosPerJob: pick('cpuMicrosPerJob'),
    redisCommandsPerJob: pick('redisCommandsPerJob'),
    latencyByRate: byRate,
  };
}

export function buildReport(config: BenchConfig, machine: MachineInfo, results: Results, startedAt: Date, wallTimeS: number): Report {
  const tp = (column: Column, workload: ThroughputWorkload) => results[column]?.throughput[workload];
  const ratios = (a: Column, b: Column) =>
    Object.fromEntries(THROUGHPUT.map((w) => [w, round(ratio(median(tp(a, w)), median(tp(b, w))), 3)])) as Record<
      ThroughputWorkload,
      number | null
    >;
  const pairs = (a: Column) =>
    Object.fromEntries(THROUGHPUT.map((w) => [w, paired(tp(a, w), tp('raw', w))])) as Record<ThroughputWorkload, Spread | null>;
  const medians = (record: LatencyRecord | undefined): LatencyMedians => ({
    p50: round(median(record?.figures.p50), 2),
    p99: round(median(record?.figures.p99), 2),
  });
  const latencyMsByRate: Report['latencyMsByRate'] = {};
  for (const rate of config.latency.rates) latencyMsByRate[String(rate)] = {};
  const columns: Report['columns'] = {};
  for (const column of config.columns) {
    const record = results[column];
    if (!record) continue;
    for (const rate of config.latency.rates) {
      const into = latencyMsByRate[String(rate)] ?? {};
      into[column] = medians(record.latency[rate]);
    }
    columns[column] = columnReport(config, column, record);
  }
  const base = String(config.latency.rates[0]);
  return {
    date: startedAt.toISOString(),
    mode: config.mode,
    wallTimeS: round(wallTimeS, 1) ?? wallTimeS,
    config: {
      jobs: config.jobs,
      repetitions: config.reps,
      warmupJobs: config.warmupJobs,
      enqueueInFlight: config.inFlight,
      bulkBatch: config.batch,
      workerConcurrency: config.concurrency,
      latency: config.latency,
      columns: config.columns,
      workloads: config.workloads,
    },
    machine,
    ratios: ratios('taskwire', 'raw'),
    ratiosNaive: ratios('naive', 'raw'),
    ratiosTaskwireToNaive: ratios('taskwire', 'naive'),
    pairedRatios: { taskwire: pairs('taskwire'), naive: pairs('naive') },
    sameJobOptions: sameJobOptions(results),
    latencyMs: latencyMsByRate[base] ?? {},
    latencyMsByRate,
    columns,
  };
}

/** null when no enqueue ran (nothing to compare). */
function sameJobOptions(results: Results): boolean | null {
  const stored = Object.values(results)
    .map((record) => record?.storedJob?.opts)
    .filter((opts): opts is string => opts !== undefined);
  return stored.length ? stored.every((opts) => opts === stored[0]) : null;
}
