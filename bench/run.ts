/**
 * `npm run bench`: raw BullMQ, a naive tRPC front and taskwire side by side, measured in one run
 * on a private Redis. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartPath, renderChart } from './core/chart.ts';
import { type Orchestrator, orchestrate, readCommandLine } from './core/lifecycle.ts';
import { loadAverageNow, machineInfo } from './core/machine.ts';
import { type ColumnProcesses, Lab } from './core/measure.ts';
import { type BenchConfig, parseOptions, USAGE, type Workload } from './core/options.ts';
import { BenchChild } from './core/parent.ts';
import type { ClientCommands, Column, ServerCommands, WorkerCommands } from './core/protocol.ts';
import { buildReport, type ColumnRecord, emptyRecord, type Results, recordLatency, recordThroughput } from './core/report.ts';
import { formatTable, rateLabel } from './core/table.ts';
import { type FairnessResult, formatFairness, measureFairness } from './fairness/measure.ts';
import { type FaninResult, formatFanin, measureFanin } from './fanin/measure.ts';

const here = dirname(fileURLToPath(import.meta.url));
const entry = (name: string) => resolve(here, 'procs', `${name}.ts`);
const log = (line: string) => process.stderr.write(`${line}\n`);

// The taskwire API runs with a token, as in production; its children read it from the environment.
process.env.BENCH_API_TOKEN = `bench_${randomBytes(24).toString('base64url')}`;

async function spawnColumn(column: Column, config: BenchConfig, redisUrl: string): Promise<ColumnProcesses> {
  const options = { cpuProfDir: config.cpuProfDir, verbose: config.verbose };
  const server =
    column === 'raw'
      ? undefined
      : await BenchChild.spawn<ServerCommands>(`${column} server`, entry('server'), { ...options, args: { column, redis: redisUrl } });
  const target = server?.info.url ?? redisUrl;
  const [client, worker] = await Promise.all([
    BenchChild.spawn<ClientCommands>(`${column} client`, entry('client'), { ...options, args: { column, target } }),
    BenchChild.spawn<WorkerCommands>(`${column} worker`, entry('worker'), { ...options, args: { column, redis: redisUrl } }),
  ]);
  return { column, client, server, worker };
}

/** Column order for repetition `rep`: rotated, so no column always runs first (or right after another). */
function rotate<T>(items: readonly T[], rep: number): T[] {
  const k = rep % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** One thing measured on every column, with its own warm-up and repetitions: a throughput workload, or (d) at one rate. */
interface Phase {
  name: string;
  reps: number;
  /** Measures once on the column and records it (unless a warm-up); returns the figure for the log. */
  once(p: ColumnProcesses, warmup: boolean): Promise<string>;
}

function phasesOf(lab: Lab, config: BenchConfig, workload: Workload, results: Results): Phase[] {
  const recordOf = (p: ColumnProcesses) => results[p.column] as ColumnRecord;
  if (workload === 'latency') {
    const { durationMs, warmupMs } = config.latency;
    return config.latency.rates.map((rate) => ({
      name: `latency ${rateLabel(rate)}`,
      reps: config.reps.latency,
      once: async (p, warmup) => {
        const measured = await lab.latency(p, rate, warmup ? warmupMs : durationMs);
        if (!warmup) recordLatency(recordOf(p), rate, measured, await lab.rss(p));
        const { p50, p99, maxLagMs } = measured.value;
        return `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, sender lag ≤ ${maxLagMs.toFixed(1)} ms`;
      },
    }));
  }
  return [
    {
      name: workload,
      reps: config.reps[workload],
      once: async (p, warmup) => {
        const measured = await lab[workload](p, warmup ? config.warmupJobs : config.jobs);
        if (workload === 'enqueue' && warmup) recordOf(p).storedJob = await lab.storedJob(p.column);
        if (!warmup) recordThroughput(recordOf(p), workload, measured, await lab.rss(p));
        return `${Math.round(measured.value).toLocaleString('en-US')} jobs/s`;
      },
    },
  ];
}

async function runPhase(phase: Phase, columns: ColumnProcesses[]): Promise<void> {
  const timed = async (p: ColumnProcesses, warmup: boolean, what: string) => {
    const t0 = performance.now();
    const figure = await phase.once(p, warmup);
    log(`  ${phase.name} ${what} ${p.column.padEnd(8)} ${figure} (${((performance.now() - t0) / 1_000).toFixed(1)} s)`);
  };
  for (const p of columns) await timed(p, true, 'warm-up ');
  for (let rep = 0; rep < phase.reps; rep++) {
    for (const p of rotate(columns, rep)) await timed(p, false, `rep ${rep + 1}/${phase.reps}`);
  }
}

async function main(orchestrator: Orchestrator): Promise<number> {
  const loadAtStart = loadAverageNow();
  const startedAt = new Date();
  const t0 = performance.now();
  const config = readCommandLine(parseOptions, USAGE);
  if (typeof config === 'number') return config;
  if (config.cpuProfDir) await mkdir(config.cpuProfDir, { recursive: true });

  log(`bench: ${config.mode} mode; starting a private redis-server…`);
  const { server: redis, admin } = await orchestrator.startRedis();
  const machine = await machineInfo(admin, loadAtStart);

  log(`bench: redis ${machine.redis} on port ${redis.port}; starting ${config.columns.join(', ')} processes…`);
  const settled = await Promise.allSettled(config.columns.map((column) => spawnColumn(column, config, redis.url)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  const columns = settled.map((s) => (s as PromiseFulfilledResult<ColumnProcesses>).value);

  const results: Results = {};
  for (const column of config.columns) results[column] = emptyRecord(config.latency.rates);
  const lab = new Lab(admin, config);
  for (const workload of config.workloads) {
    for (const phase of phasesOf(lab, config, workload, results)) {
      log(`bench: ${phase.name}`);
      await runPhase(phase, columns);
    }
  }

  let fairness: FairnessResult | undefined;
  if (config.fairness) {
    log('bench: (f) fairness: keyed round-robin, then FIFO (taskwire only)');
    fairness = await measureFairness(redis.url, log);
  }

  let fanin: FaninResult | undefined;
  if (config.fanin) {
    log('bench: (g) fan-in: a parent with 1,000 children, taskwire ctx.runAll against BullMQ FlowProducer');
    fanin = await measureFanin(redis.url, log);
  }

  const wallTimeS = (performance.now() - t0) / 1_000;
  const report = {
    ...buildReport(config, { ...machine, loadAverageAtEnd: loadAverageNow() }, results, startedAt, wallTimeS),
    fairness,
    fanin,
  };
  if (report.sameJobOptions === false) log('bench: WARNING: the columns stored different BullMQ job options; see "storedJob" in the JSON');
  await mkdir(dirname(config.out), { recursive: true });
  const rounded = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(3)) : value;
  await writeFile(config.out, `${JSON.stringify(report, rounded, 2)}\n`);
  const chart = chartPath(config.out);
  await writeFile(chart, renderChart(report));
  process.stdout.write(`${formatTable(config, report, results)}\n\n`);
  if (fairness) process.stdout.write(`${formatFairness(fairness)}\n\n`);
  if (fanin) process.stdout.write(`${formatFanin(fanin)}\n\n`);
  log(`bench: wrote ${config.out} and ${chart}; wall time ${wallTimeS.toFixed(1)} s (${config.mode} mode)`);
  return 0;
}

await orchestrate('bench', main);
