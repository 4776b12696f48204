/** The table `npm run bench` prints on stdout. */
import type { BenchConfig, Workload } from './options.ts';
import { COLUMN_TITLES, COLUMNS, type Column } from './protocol.ts';
import {
  type ColumnRecord,
  type Costs,
  CPU_PROCESSES,
  commandTotals,
  costsOf,
  median,
  PERCENTILES,
  PROCESSES,
  type Report,
  type Results,
  type ThroughputWorkload,
} from './report.ts';
import { ratio, spread } from './stats.ts';

function num(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** "500/s", "2,000/s". */
export function rateLabel(rate: number): string {
  return `${num(rate)}/s`;
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

/** "500 and 2,000 jobs/s". */
function ratesText(rates: readonly number[]): string {
  const names = rates.map((rate) => num(rate));
  const last = names.pop();
  return `${names.length ? `${names.join(', ')} and ` : ''}${last ?? '?'} jobs/s`;
}

/** A phase whose costs get rows: a workload, or (d) at one rate. */
interface CostPhase {
  label: string;
  costs: (record: ColumnRecord) => Costs | undefined;
}

function costPhases(config: BenchConfig): CostPhase[] {
  return config.workloads.flatMap((w): CostPhase[] =>
    w === 'latency'
      ? config.latency.rates.map((rate) => ({ label: `${WORKLOAD_LABELS[w]} ${rateLabel(rate)}`, costs: (r) => costsOf(r, w, rate) }))
      : [{ label: WORKLOAD_LABELS[w], costs: (r) => r.costs[w] }],
  );
}

/** (d): a block of rows per rate. */
function latencyRows(config: BenchConfig, results: Results): string[][] {
  const rows = [HEAD('(d) enqueue → handler start, ms (lower is better)')];
  config.latency.rates.forEach((rate, i) => {
    const at = rateLabel(rate);
    const figures = (c: Column) => results[c]?.latency[rate]?.figures;
    if (i > 0) rows.push(['']);
    for (const p of PERCENTILES) rows.push(row(`${p} at ${at}`, (c) => figures(c)?.[p], 1));
    rows.push(row(`enqueue call alone, p50 at ${at}`, (c) => figures(c)?.callP50, 1));
    rows.push(row(`enqueue call alone, p99 at ${at}`, (c) => figures(c)?.callP99, 1));
    rows.push(row(`sender max lag at ${at}`, (c) => figures(c)?.maxLagMs, 1));
    rows.push(row(`sender rate at ${at}, jobs/s`, (c) => figures(c)?.sentPerS, 0));
  });
  return rows;
}

/** The table printed on stdout. */
export function formatTable(config: BenchConfig, report: Report, results: Results): string {
  const m = report.machine;
  const out: string[] = [];
  const lat = config.latency;
  out.push(
    `taskwire bench — ${config.mode} mode: ${num(config.jobs)} jobs per measurement of (a)–(c), ${repetitionsText(config)} after a warm-up,`,
    `latency at ${ratesText(lat.rates)} for ${lat.durationMs / 1_000} s each. Figures: median [min–max] over repetitions; ratios: medians of the same run.`,
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
  if (config.workloads.includes('latency')) out.push(render(latencyRows(config, results)), '');

  const phases = costPhases(config);
  const commandRows = [HEAD('Redis commands per job (all processes of the column)')];
  for (const phase of phases) {
    commandRows.push(
      row(
        phase.label,
        (c) => {
          const costs = results[c] && phase.costs(results[c]);
          return costs ? commandTotals(costs.commands) : undefined;
        },
        2,
      ),
    );
  }
  out.push(render(commandRows), '');
  /** One row per process and phase; rows where every column is below `idleBelow` are left out. */
  const perProcess = <P extends string>(
    title: string,
    processes: readonly P[],
    pick: (costs: Costs) => Record<P, number[]>,
    idleBelow = 0,
  ) => {
    const rows = [HEAD(title)];
    for (const phase of phases) {
      let label = phase.label;
      for (const proc of processes) {
        const samples = (c: Column) => {
          const record = results[c];
          const costs = record ? phase.costs(record) : undefined;
          const values = costs ? pick(costs)[proc] : undefined;
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
    perProcess('CPU time per job, µs (user + system; idle processes left out; redis: the one Redis)', CPU_PROCESSES, (c) => c.cpu, 1),
    '',
  );
  out.push(
    perProcess('(e) RSS at end of workload, MB', PROCESSES, (c) => c.rss),
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
