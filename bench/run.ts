/**
 * `npm run bench`: raw BullMQ, a naive tRPC front and taskwire side by side, measured in one run
 * on a private Redis. See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Orchestrator, orchestrate, readCommandLine } from './core/lifecycle.ts';
import { loadAverageNow, machineInfo } from './core/machine.ts';
import { type ColumnProcesses, Lab } from './core/measure.ts';
import { type BenchConfig, parseOptions, USAGE, type Workload } from './core/options.ts';
import { BenchChild } from './core/parent.ts';
import type { ClientCommands, Column, ServerCommands, WorkerCommands } from './core/protocol.ts';
import { buildReport, type ColumnRecord, emptyRecord, formatTable, type Results, recordRepetition } from './core/report.ts';

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

async function runWorkload(lab: Lab, config: BenchConfig, workload: Workload, columns: ColumnProcesses[], results: Results): Promise<void> {
  const once = async (p: ColumnProcesses, warmup: boolean): Promise<string> => {
    const record = results[p.column] as ColumnRecord;
    const measured =
      workload === 'latency'
        ? await lab.latency(p, warmup ? config.latency.warmupMs : config.latency.durationMs)
        : await lab[workload](p, warmup ? config.warmupJobs : config.jobs);
    if (workload === 'enqueue' && warmup) record.storedJob = await lab.storedJob(p.column);
    if (!warmup) recordRepetition(record, workload, measured, await lab.rss(p));
    const { value } = measured;
    return typeof value === 'number'
      ? `${Math.round(value).toLocaleString('en-US')} jobs/s`
      : `p50 ${value.p50.toFixed(1)} ms, p99 ${value.p99.toFixed(1)} ms`;
  };
  for (const p of columns) {
    const t0 = performance.now();
    const figure = await once(p, true);
    log(`  ${workload} warm-up  ${p.column.padEnd(8)} ${figure} (${((performance.now() - t0) / 1_000).toFixed(1)} s)`);
  }
  const reps = config.reps[workload];
  for (let rep = 0; rep < reps; rep++) {
    for (const p of rotate(columns, rep)) {
      const t0 = performance.now();
      const figure = await once(p, false);
      log(`  ${workload} rep ${rep + 1}/${reps} ${p.column.padEnd(8)} ${figure} (${((performance.now() - t0) / 1_000).toFixed(1)} s)`);
    }
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
  for (const column of config.columns) results[column] = emptyRecord();
  const lab = new Lab(admin, config);
  for (const workload of config.workloads) {
    log(`bench: ${workload}`);
    await runWorkload(lab, config, workload, columns, results);
  }

  const wallTimeS = (performance.now() - t0) / 1_000;
  const report = buildReport(config, { ...machine, loadAverageAtEnd: loadAverageNow() }, results, startedAt, wallTimeS);
  if (report.sameJobOptions === false) log('bench: WARNING: the columns stored different BullMQ job options; see "storedJob" in the JSON');
  await mkdir(dirname(config.out), { recursive: true });
  const rounded = (_key: string, value: unknown) =>
    typeof value === 'number' && !Number.isInteger(value) ? Number(value.toFixed(3)) : value;
  await writeFile(config.out, `${JSON.stringify(report, rounded, 2)}\n`);
  process.stdout.write(`${formatTable(config, report, results)}\n\n`);
  log(`bench: wrote ${config.out}; wall time ${wallTimeS.toFixed(1)} s (${config.mode} mode)`);
  return 0;
}

await orchestrate('bench', main);
