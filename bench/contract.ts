/**
 * The benchmark's task, and the BullMQ settings every column shares so that all three do the
 * same Redis work per job: only the layer in front of BullMQ differs.
 */
import { createKeys, defineFamily, defineRegistry, defineTask } from '@taskwire/shared';
import type { JobsOptions, WorkerOptions } from 'bullmq';
import { z } from 'zod';
import type { Column } from './core/protocol.ts';

/**
 * A job that does nothing: the benchmark measures the path around the handler. `at` is when the
 * caller sent it (enqueue → handler-start latency).
 */
export const benchNoop = defineTask({
  id: 'bench.noop',
  version: 1,
  description: 'Does nothing; used by `npm run bench`.',
  input: z.object({ n: z.number().int().nonnegative(), at: z.date() }),
  output: z.object({ n: z.number().int() }),
});

export const benchFamily = defineFamily('bench', { noop: benchNoop }, { concurrency: 16 });

export const benchRegistry = defineRegistry({ bench: benchFamily });

export type BenchRegistry = typeof benchRegistry;

/** What every column enqueues: the bench task's input. */
export interface BenchInput {
  n: number;
  at: Date;
}

const defaults = benchNoop.defaults;

/** The job options taskwire derives from the contract defaults (router `jobOptions`), used by every column. */
export const JOB_OPTIONS: JobsOptions = {
  attempts: defaults.attempts,
  backoff: { type: defaults.backoff.type, delay: defaults.backoff.delayMs },
  removeOnComplete: { count: defaults.keepCompleted },
  removeOnFail: { count: defaults.keepFailed },
  sizeLimit: defaults.maxPayloadBytes,
};

const family = benchFamily.options;

/** The worker settings taskwire derives from the family options, used by every column. */
export const WORKER_SETTINGS: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'> = {
  lockDuration: family.lockDurationMs,
  stalledInterval: family.stalledIntervalMs,
  maxStalledCount: family.maxStalledCount,
};

const keys = createKeys();

/** Each column's BullMQ queue (taskwire's is named by its key module). */
export const QUEUES: Record<Column, { prefix: string; name: string }> = {
  raw: { prefix: 'bull', name: 'raw' },
  naive: { prefix: 'bull', name: 'naive' },
  taskwire: { prefix: keys.prefix, name: keys.queueName(benchFamily.name) },
};

/** ioredis options from a `redis://host:port` URL, for BullMQ's own connections. */
export function connectionOf(redisUrl: string): { host: string; port: number } {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port || 6379) };
}

/** The taskwire API token of this run (the orchestrator makes one up and hands it to its children). */
export function apiToken(): string {
  const token = process.env.BENCH_API_TOKEN;
  if (!token) throw new Error('BENCH_API_TOKEN is not set (children get it from bench/run.ts)');
  return token;
}
