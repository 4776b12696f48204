/**
 * Shared pieces of the reliability suite: tracked worker processes, a raw view of the tracked
 * queue, counting job states and executions, and cleanup that cannot hang.
 */
import { createKeys, parseJobId } from '@taskwire/shared';
import { createRedis, type RedisConnection, type RedisConnectionConfig, redisConfigToEnv, toRedisConfig } from '@taskwire/shared/node';
import { Queue } from 'bullmq';
import { type Child, spawnTs } from '../fixtures/processes.ts';
import { type Run, readRuns, runsKey } from '../fixtures/tracked.ts';

export interface TrackedWorker {
  child: Child;
  pid: number;
  /** True while the process has not exited. */
  readonly alive: boolean;
}

/** Spawns `test/fixtures/tracked-worker.ts` (on a URL, a cluster or sentinels) and waits for its `ready` line. */
export function startTrackedWorker(
  redis: string | RedisConnectionConfig,
  prefix: string,
  env: Record<string, string> = {},
): Promise<TrackedWorker> {
  return startWorkerProcess('test/fixtures/tracked-worker.ts', redis, prefix, env);
}

/** Spawns a worker entry point that prints a JSON `ready` line with its pid, and waits for that line. */
export async function startWorkerProcess(
  entry: string,
  redis: string | RedisConnectionConfig,
  prefix: string,
  env: Record<string, string> = {},
): Promise<TrackedWorker> {
  const child = spawnTs(entry, [], redisChildEnv(redis, { TASKWIRE_PREFIX: prefix, ...env }));
  try {
    const ready = JSON.parse(await child.waitFor(/"event":"ready"/, 30_000)) as { pid: number };
    return {
      child,
      pid: ready.pid,
      get alive() {
        return child.process.exitCode === null && child.process.signalCode === null;
      },
    };
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
}

/**
 * A child's environment naming exactly one Redis topology: the parent's own REDIS_* variables
 * are blanked (empty means unset), so they cannot contradict the one given.
 */
export function redisChildEnv(redis: string | RedisConnectionConfig, env: Record<string, string> = {}): Record<string, string> {
  const blank = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith('REDIS_'))
      .map((name) => [name, '']),
  );
  return { ...blank, ...redisConfigToEnv(toRedisConfig(redis)), ...env };
}

/** Stops worker processes (SIGTERM, SIGKILL after `timeoutMs`); never throws. */
export async function stopWorkers(workers: Iterable<TrackedWorker | undefined>, timeoutMs = 5_000): Promise<void> {
  await Promise.allSettled([...workers].map((w) => w?.child.stop('SIGTERM', timeoutMs)));
}

/** Resolves with `promise`, or rejects after `ms` naming `what` (cleanup must not hang a run). */
export async function within<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A raw BullMQ view of the tracked family's queue, and the list of executions. */
export interface TrackedQueue extends AsyncDisposable {
  queue: Queue;
  redis: RedisConnection;
  runs(): Promise<Run[]>;
  /** Bull ids in the `active` list right now. */
  active(): Promise<string[]>;
}

export function trackedQueue(target: string | RedisConnectionConfig, prefix: string): TrackedQueue {
  const keys = createKeys(prefix);
  const redis = createRedis(target, 'worker', 'taskwire-reliability');
  const queue = new Queue(keys.queueName('tracked'), { connection: redis, prefix });
  queue.on('error', () => {});
  return {
    queue,
    redis,
    runs: () => readRuns(redis, runsKey(keys)),
    active: () => redis.lrange(`${prefix}:${keys.queueName('tracked')}:active`, 0, -1),
    async [Symbol.asyncDispose]() {
      await queue.close().catch(() => {});
      redis.disconnect();
    },
  };
}

/** The Bull id in a public job id (`tracked.42` → `42`). */
export function bullIdOf(publicId: string): string {
  const parsed = parseJobId(publicId);
  if (!parsed) throw new Error(`not a job id: ${publicId}`);
  return parsed.bullId;
}

/** The state of every job (by public id), read in parallel chunks. */
export async function statesOf(queue: Queue, publicIds: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < publicIds.length; i += 500) {
    const chunk = publicIds.slice(i, i + 500);
    const states = await Promise.all(chunk.map((id) => queue.getJobState(bullIdOf(id))));
    chunk.forEach((id, j) => {
      out.set(id, states[j] as string);
    });
  }
  return out;
}

/** How many jobs are in each state. */
export function countStates(states: Map<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const state of states.values()) counts[state] = (counts[state] ?? 0) + 1;
  return counts;
}

/** Executions per job and per process. */
export interface Tally {
  executions: number;
  unique: number;
  duplicates: number;
  perJob: Map<string, number>;
  perPid: Map<number, number>;
}

export function tally(runs: readonly Run[]): Tally {
  const perJob = new Map<string, number>();
  const perPid = new Map<number, number>();
  for (const run of runs) {
    perJob.set(run.id, (perJob.get(run.id) ?? 0) + 1);
    perPid.set(run.pid, (perPid.get(run.pid) ?? 0) + 1);
  }
  return { executions: runs.length, unique: perJob.size, duplicates: runs.length - perJob.size, perJob, perPid };
}

/** A deterministic PRNG (mulberry32), so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
