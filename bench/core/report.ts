/** The results of a run: what was measured, the JSON written, the table printed. */
import type { MachineInfo } from './machine.ts';
import type { CommandsPerJob, LatencyFigure, Measured, PerProcess, StoredJob } from './measure.ts';
import type { BenchConfig, Workload } from './options.ts';
import { COLUMN_TITLES, COLUMNS, type Column } from './protocol.ts';
import { ratio, type Spread, spread } from './stats.ts';

export const THROUGHPUT = ['enqueue', 'enqueueMany', 'process'] as const;
export type ThroughputWorkload = (typeof THROUGHPUT)[number];
const PERCENTILES = ['p50', 'p90', 'p99', 'max'] as const;
const PROCESSES = ['client', 'server', 'worker'] as const;
type Process = (typeof PROCESSES)[number];
/** CPU is counted for Redis too (one Redis serves every column, measured during each column's phase). */
const CPU_PROCESSES = [...PROCESSES, 'redis'] as const;
type CpuProcess = (typeof CPU_PROCESSES)[number];

/** Every repetition's figure, per column, in run order. */
export interface ColumnRecord {
  throughput: Record<ThroughputWorkload, number[]>;
  latency: Record<(typeof PERCENTILES)[number] | 'maxLagMs' | 'callP50' | 'callP99', number[]>;
  rss: Record<Workload, Record<Process, number[]>>;
  /** CPU time per job of each process, and of Redis, during the measured phase (µs). */
  cpu: Record<Workload, Record<CpuProcess, number[]>>;
  /** Redis commands per job during each repetition, by command. */
  commands: Record<Workload, CommandsPerJob[]>;
  /** One job as the column stored it (read after the enqueue warm-up). */
  storedJob?: StoredJob;
}

export function emptyRecord(): ColumnRecord {
  const processes = () => ({ client: [], server: [], worker: [], redis: [] });
  const perWorkload = () => ({ enqueue: processes(), enqueueMany: processes(), process: processes(), latency: processes() });
  return {
    throughput: { enqueue: [], enqueueMany: [], process: [] },
    latency: { p50: [], p90: [], p99: [], max: [], maxLagMs: [], callP50: [], callP99: [] },
    rss: perWorkload(),
    cpu: perWorkload(),
    commands: { enqueue: [], enqueueMany: [], process: [], latency: [] },
  };
}

/** Total Redis commands per job of each repetition. */
function commandTotals(perRep: CommandsPerJob[]): number[] {
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

/** Records one measured repetition: its figure, Redis commands and CPU per job, and RSS after it. */
export function recordRepetition(
  record: ColumnRecord,
  workload: Workload,
  measured: Measured<number | LatencyFigure>,
  rss: PerProcess,
): void {
  const { value } = measured;
  if (typeof value === 'number') {
    if (workload !== 'latency') record.throughput[workload].push(value);
  } else {
    for (const key of [...PERCENTILES, 'maxLagMs', 'callP50', 'callP99'] as const) record.latency[key].push(value[key]);
  }
  record.commands[workload].push(measured.commands);
  pushPerProcess(record.cpu[workload], measured.cpuMicrosPerJob);
  record.cpu[workload].redis.push(measured.redisCpuMicrosPerJob);
  pushPerProcess(record.rss[workload], rss);
}

export type Results = Partial<Record<Column, ColumnRecord>>;

const maybe = (samples: number[]): Spread | null => (samples.length ? spread(samples) : null);
const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : null);
const median = (samples: number[] | undefined) => (samples?.length ? spread(samples).median : Number.NaN);

/** Per-repetition ratios (measured back to back in the same repetition): how noisy a ratio is. */
function paired(a: number[] | undefined, b: number[] | undefined): Spread | null {
  if (!a?.length || !b?.length || a.length !== b.length) return null;
  return spread(a.map((value, i) => ratio(value, b[i])));
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
  /** Median over repetitions of each repetition's p50 / p99. */
  latencyMs: Partial<Record<Column, { p50: number | null; p99: number | null }>>;
  columns: Partial<Record<Column, unknown>>;
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
  const latencyMs: Report['latencyMs'] = {};
  const columns: Report['columns'] = {};
  for (const column of config.columns) {
    const record = results[column];
    if (!record) continue;
    latencyMs[column] = { p50: round(median(record.latency.p50), 2), p99: round(median(record.latency.p99), 2) };
    columns[column] = {
      title: COLUMN_TITLES[column],
      storedJob: record.storedJob ?? null,
      unit: { throughput: 'jobs/s', latency: 'ms', rss: 'MB' },
      ...Object.fromEntries(THROUGHPUT.map((w) => [w, maybe(record.throughput[w])])),
      latencyMs: Object.fromEntries(PERCENTILES.map((p) => [p, maybe(record.latency[p])])),
      senderMaxLagMs: maybe(record.latency.maxLagMs),
      enqueueCallMs: { p50: maybe(record.latency.callP50), p99: maybe(record.latency.callP99) },
      rssMB: Object.fromEntries(
        config.workloads.map((w) => [w, Object.fromEntries(PROCESSES.map((proc) => [proc, maybe(record.rss[w][proc])]))]),
      ),
      cpuMicrosPerJob: Object.fromEntries(
        config.workloads.map((w) => [w, Object.fromEntries(CPU_PROCESSES.map((proc) => [proc, maybe(record.cpu[w][proc])]))]),
      ),
      redisCommandsPerJob: Object.fromEntries(
        config.workloads.map((w) => [
          w,
          { total: maybe(commandTotals(record.commands[w])), byCommand: commandMedians(record.commands[w]) },
        ]),
      ),
    };
  }
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
    latencyMs,
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

// ---- the table ----

function num(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(samples: number[] | undefined, digits: number): string {
  if (!samples?.length) return '—';
  const s = spread(samples);
  return `${num(s.median, digits)} [${num(s.min, digits)}–${num(s.max, digits)}]`;
}

function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}

function render(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]) =>
    row
      .map((text, i) => (i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  const [header, ...body] = rows;
  return [line(header ?? []), widths.map((w) => '─'.repeat(w)).join('───'), ...body.map(line)].join('\n');
}

const WORKLOAD_LABELS: Record<Workload, string> = {
  enqueue: '(a) enqueue',
  enqueueMany: '(b) enqueueMany',
  process: '(c) process',
  latency: '(d) latency',
};

/**
 * One row: raw, naive with its ratio to raw, taskwire with its ratios to raw and naive.
 * `samples` gives each column's repetitions.
 */
function row(label: string, samples: (column: Column) => number[] | undefined, digits: number, floor = 0): string[] {
  const m = (column: Column) => median(samples(column));
  // A ratio of two figures near zero (an idle process) says nothing.
  const over = (a: Column, b: Column) => (m(a) >= floor && m(b) >= floor ? times(ratio(m(a), m(b))) : '—');
  return [
    label,
    cell(samples('raw'), digits),
    cell(samples('naive'), digits),
    over('naive', 'raw'),
    cell(samples('taskwire'), digits),
    over('taskwire', 'raw'),
    over('taskwire', 'naive'),
  ];
}

const HEAD = (title: string) => [title, COLUMN_TITLES.raw, COLUMN_TITLES.naive, '÷ raw', COLUMN_TITLES.taskwire, '÷ raw', '÷ naive'];

/** "5 repetitions per figure", or "5 repetitions per figure, 9 for (c)" when (c) gets more. */
function repetitionsText(config: BenchConfig): string {
  const { enqueue: each, process } = config.reps;
  if (config.workloads.every((w) => w === 'process')) return `${process} repetitions per figure`;
  const text = `${each} repetitions per figure`;
  return config.workloads.includes('process') && process !== each ? `${text}, ${process} for (c)` : text;
}

/** The table printed on stdout. */
export function formatTable(config: BenchConfig, report: Report, results: Results): string {
  const m = report.machine;
  const out: string[] = [];
  const lat = config.latency;
  out.push(
    `taskwire bench — ${config.mode} mode: ${num(config.jobs)} jobs per measurement of (a)–(c), ${repetitionsText(config)} after a warm-up,`,
    `latency at ${lat.rate} jobs/s for ${lat.durationMs / 1_000} s. Figures: median [min–max] over repetitions; ratios: medians of the same run.`,
  );
  if (config.mode === 'quick') {
    out.push(
      'QUICK MODE: fewer jobs and repetitions and a shorter latency phase than a full run — a smoke check; do not compare with full runs.',
    );
  }
  out.push(
    `${report.date} · ${m.cpus} × ${m.model} · node ${m.node} · redis ${m.redis} · load average at start ${m.loadAverageAtStart.join(' ')}, at end ${m.loadAverageAtEnd?.join(' ') ?? '?'}`,
    '',
  );

  const tp = config.workloads.filter((w): w is ThroughputWorkload => w !== 'latency');
  if (tp.length) {
    const labels: Record<ThroughputWorkload, string> = {
      enqueue: `(a) enqueue, ${config.inFlight} in flight`,
      enqueueMany: `(b) enqueueMany, ${num(config.batch)} per call`,
      process: `(c) process, concurrency ${config.concurrency}`,
    };
    const rows = [HEAD('throughput, jobs/s (higher is better)')];
    for (const w of tp) rows.push(row(labels[w], (c) => results[c]?.throughput[w], 0));
    out.push(render(rows), '');
  }
  if (config.workloads.includes('latency')) {
    const rows = [HEAD(`(d) enqueue → handler start, ms (lower is better)`)];
    for (const p of PERCENTILES) rows.push(row(p, (c) => results[c]?.latency[p], 1));
    rows.push(row('enqueue call alone, p50', (c) => results[c]?.latency.callP50, 1));
    rows.push(row('enqueue call alone, p99', (c) => results[c]?.latency.callP99, 1));
    rows.push(row('sender max lag', (c) => results[c]?.latency.maxLagMs, 1));
    out.push(render(rows), '');
  }
  const commandRows = [HEAD('Redis commands per job (all processes of the column)')];
  for (const w of config.workloads) {
    commandRows.push(row(WORKLOAD_LABELS[w], (c) => (results[c] ? commandTotals(results[c].commands[w]) : undefined), 2));
  }
  out.push(render(commandRows), '');
  /** One row per process and workload; rows where every column is below `idleBelow` are left out. */
  const perProcess = <P extends string>(
    title: string,
    processes: readonly P[],
    pick: (record: ColumnRecord, w: Workload) => Record<P, number[]>,
    idleBelow = 0,
  ) => {
    const rows = [HEAD(title)];
    for (const w of config.workloads) {
      let label = WORKLOAD_LABELS[w];
      for (const proc of processes) {
        const samples = (c: Column) => {
          const record = results[c];
          const values = record ? pick(record, w)[proc] : undefined;
          return values?.length ? values : undefined;
        };
        if (COLUMNS.every((c) => !(median(samples(c)) >= idleBelow))) continue;
        rows.push(row(`${label}  ${proc}`, samples, 0, idleBelow));
        label = ' '.repeat(label.length);
      }
    }
    return render(rows);
  };
  out.push(
    perProcess('CPU time per job, µs (user + system; idle processes left out; redis: the one Redis)', CPU_PROCESSES, (r, w) => r.cpu[w], 1),
    '',
  );
  out.push(
    perProcess('(e) RSS at end of workload, MB', PROCESSES, (r, w) => r.rss[w]),
    '',
  );

  const stored = config.columns.filter((c) => results[c]?.storedJob);
  if (stored.length) {
    const sizes = stored.map((c) => `${COLUMN_TITLES[c]} ${results[c]?.storedJob?.dataBytes} B`).join(', ');
    out.push(`Job data as stored in Redis: ${sizes}. Same BullMQ job options in every column: ${report.sameJobOptions ? 'yes' : 'NO'}.`);
  }
  out.push(
    'raw BullMQ: Queue.add/addBulk and a plain Worker (the ceiling; no API process). naive tRPC: a minimal tRPC v11 router',
    '(superjson + zod, httpBatchLink) calling queue.add; plain Worker + zod parse. taskwire: createClient → startApiServer → FamilyWorker.',
    'Every column uses the same job options and worker settings; client, API and worker are separate processes; Redis is flushed before',
    'every measurement. Throughput ratios < 1 mean slower than raw; latency and RSS ratios > 1 mean more.',
  );
  return out.join('\n');
}
