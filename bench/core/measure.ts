/**
 * One measurement of one workload on one column, run from the orchestrator: clean Redis, drive
 * the column's processes, check that every job arrived, read the figure.
 */
import type { Redis } from 'ioredis';
import { QUEUES } from '../contract.ts';
import type { BenchConfig } from './options.ts';
import type { BenchChild } from './parent.ts';
import type { ClientCommands, Column, LatencySummary, ServerCommands, WorkerCommands } from './protocol.ts';

/** The processes of one column (raw has no server: its client talks to Redis). */
export interface ColumnProcesses {
  column: Column;
  client: BenchChild<ClientCommands>;
  server: BenchChild<ServerCommands> | undefined;
  worker: BenchChild<WorkerCommands>;
}

/** A figure per process of a column (raw has no server). */
export interface PerProcess {
  client: number;
  server: number | undefined;
  worker: number;
}

export interface LatencyFigure extends LatencySummary {
  /** Worst lateness of the sender against its schedule (a busy client shows here). */
  maxLagMs: number;
  /** The send rate the client kept (jobs/s, first send to last). */
  sentPerS: number;
  /** The enqueue call alone (send → reply, in the client), p50 and p99. */
  callP50: number;
  callP99: number;
}

/** Redis commands the column sent per job during the measured phase, by command (`INFO commandstats`). */
export type CommandsPerJob = Record<string, number>;

/** A measurement's figure, with what it cost per job: Redis commands, and CPU time of each process (µs). */
export interface Measured<T> {
  value: T;
  commands: CommandsPerJob;
  cpuMicrosPerJob: PerProcess;
  /** Redis's own CPU time per job (µs, `INFO cpu`): the same work for every column, or not. */
  redisCpuMicrosPerJob: number;
}

const LONG = 600_000;

/** What one stored job looks like: to check that the columns do the same Redis work. */
export interface StoredJob {
  /** BullMQ's stored options, keys sorted. */
  opts: string;
  /** Size of the stored job data (JSON) in bytes. */
  dataBytes: number;
}

function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

export class Lab {
  constructor(
    private readonly admin: Redis,
    private readonly config: BenchConfig,
  ) {}

  /** Empties the private Redis (FLUSHALL): every measurement starts from nothing. */
  async clean(): Promise<void> {
    await this.admin.flushall();
  }

  /** Calls per command so far (`INFO commandstats`). */
  private async commandCalls(): Promise<Record<string, number>> {
    const info = await this.admin.info('commandstats');
    const calls: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1] as string] = Number(match[2]);
    return calls;
  }

  /** CPU time Redis has used so far (s, user + system, `INFO cpu`). */
  private async redisCpuS(): Promise<number> {
    const info = await this.admin.info('cpu');
    const seconds = (field: string) => Number(new RegExp(`^${field}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    return seconds('used_cpu_user') + seconds('used_cpu_sys');
  }

  /** CPU time each process of the column has used so far (ms). */
  private async cpuMs(p: ColumnProcesses): Promise<PerProcess> {
    const [client, server, worker] = await Promise.all([p.client.usage(), p.server?.usage(), p.worker.usage()]);
    return { client: client.cpuMs, server: server?.cpuMs, worker: worker.cpuMs };
  }

  /**
   * Runs `phase` and counts what it cost per job: the Redis commands it caused (the bench's own
   * INFO calls excluded), the CPU time of each process of the column, and Redis's.
   */
  private async counting<T>(p: ColumnProcesses, jobs: number, phase: () => Promise<T>): Promise<Measured<T>> {
    const [before, cpuBefore, redisBefore] = await Promise.all([this.commandCalls(), this.cpuMs(p), this.redisCpuS()]);
    const value = await phase();
    const [after, cpuAfter, redisAfter] = await Promise.all([this.commandCalls(), this.cpuMs(p), this.redisCpuS()]);
    const commands: CommandsPerJob = {};
    for (const [name, calls] of Object.entries(after)) {
      const delta = calls - (before[name] ?? 0) - (name === 'info' ? 2 : 0);
      if (delta > 0) commands[name] = delta / jobs;
    }
    const perJob = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? undefined : ((b - a) * 1_000) / jobs;
    const cpuMicrosPerJob: PerProcess = {
      client: perJob(cpuBefore.client, cpuAfter.client) ?? 0,
      server: perJob(cpuBefore.server, cpuAfter.server),
      worker: perJob(cpuBefore.worker, cpuAfter.worker) ?? 0,
    };
    return { value, commands, cpuMicrosPerJob, redisCpuMicrosPerJob: ((redisAfter - redisBefore) * 1_000_000) / jobs };
  }

  private async expectWaiting(column: Column, jobs: number): Promise<void> {
    const { prefix, name } = QUEUES[column];
    const waiting = await this.admin.llen(`${prefix}:${name}:wait`);
    if (waiting !== jobs) throw new Error(`${column}: expected ${jobs} waiting jobs after enqueue, found ${waiting}`);
  }

  /** The first job of the column's queue as stored (call after an enqueue measurement). */
  async storedJob(column: Column): Promise<StoredJob> {
    const { prefix, name } = QUEUES[column];
    const [opts, data] = await this.admin.hmget(`${prefix}:${name}:1`, 'opts', 'data');
    return { opts: sortedJson(JSON.parse(opts ?? 'null')), dataBytes: Buffer.byteLength(data ?? '') };
  }

  /** (a): jobs/s of single enqueues, `inFlight` outstanding. */
  async enqueue(p: ColumnProcesses, jobs: number): Promise<Measured<number>> {
    await this.clean();
    const measured = await this.counting(p, jobs, () => p.client.request('single', { jobs, inFlight: this.config.inFlight }, LONG));
    await this.expectWaiting(p.column, jobs);
    return { ...measured, value: (jobs / measured.value.ms) * 1_000 };
  }

  /** (b): jobs/s of bulk enqueues, `batch` per call, one call at a time. */
  async enqueueMany(p: ColumnProcesses, jobs: number): Promise<Measured<number>> {
    await this.clean();
    const measured = await this.counting(p, jobs, () => p.client.request('bulk', { jobs, batch: this.config.batch }, LONG));
    await this.expectWaiting(p.column, jobs);
    return { ...measured, value: (jobs / measured.value.ms) * 1_000 };
  }

  /** (c): jobs/s processed from a full queue (enqueued through the column's own bulk path). */
  async process(p: ColumnProcesses, jobs: number): Promise<Measured<number>> {
    await this.clean();
    await p.client.request('bulk', { jobs, batch: this.config.batch }, LONG);
    await this.expectWaiting(p.column, jobs);
    await p.worker.request('prepare', { concurrency: this.config.concurrency, target: jobs });
    try {
      const measured = await this.counting(p, jobs, async () => {
        await p.worker.request('start', null);
        return p.worker.request('finish', null, LONG);
      });
      return { ...measured, value: (jobs / measured.value.ms) * 1_000 };
    } finally {
      await p.worker.request('stop', null);
    }
  }

  /** (d): enqueue → handler-start latency at a steady `rate` (jobs/s) for `durationMs`, worker running. */
  async latency(p: ColumnProcesses, rate: number, durationMs: number): Promise<Measured<LatencyFigure>> {
    await this.clean();
    const total = Math.round((rate * durationMs) / 1_000);
    await p.worker.request('prepare', { concurrency: this.config.concurrency, target: total });
    try {
      await p.worker.request('start', null);
      return await this.counting(p, total, async () => {
        const sent = await p.client.request('paced', { rate, durationMs }, LONG);
        if (sent.sent !== total) throw new Error(`${p.column}: sent ${sent.sent} jobs, expected ${total}`);
        const { latency } = await p.worker.request('finish', null, LONG);
        return {
          ...latency,
          maxLagMs: sent.maxLagMs,
          sentPerS: sent.sentPerS,
          callP50: sent.roundTripMs.p50,
          callP99: sent.roundTripMs.p99,
        };
      });
    } finally {
      await p.worker.request('stop', null);
    }
  }

  /** RSS of each process of the column now (MB). */
  async rss(p: ColumnProcesses): Promise<PerProcess> {
    const [client, server, worker] = await Promise.all([p.client.usage(), p.server?.usage(), p.worker.usage()]);
    return { client: client.rssMB, server: server?.rssMB, worker: worker.rssMB };
  }
}
