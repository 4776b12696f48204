import { ConfigError, env, type RedisConnection, type RedisConnectionConfig } from '@taskwire/shared/node';
import { Cluster, type Redis } from 'ioredis';
import { z } from 'zod';
import { DEFAULT_REDIS_DEADLINE_MS } from './deadline.ts';

export interface WaitReplicasOptions {
  /** Replicas that must hold the job (at least 1). */
  replicas: number;
  /** How long to wait for them (ms; default 500; at most half the hub's `deadlineMs`). */
  timeoutMs?: number;
}

/**
 * Redis `WAIT` for a connection's writes, one per turn of the event loop: the callers whose
 * writes were answered in the same turn share one WAIT, sent after all of them (it covers every
 * write sent before it on the connection). Redis holds the connection's later commands until
 * WAIT returns, which with replicas on the same network is about one round trip; so only one WAIT
 * is at Redis at a time, and the timeout is at most half the Redis deadline.
 *
 * Single node and Sentinel only: on a cluster, writes go to one connection per master and WAIT
 * would have to follow each of them.
 *
 * @example
 * const wait = new ReplicaWait(redis, { replicas: 1 }, DEFAULT_REDIS_DEADLINE_MS);
 * await redis.set('k', 'v');
 * if ((await wait.confirm()) < wait.replicas) throw new Error('not replicated in time');
 */
export class ReplicaWait {
  readonly replicas: number;
  readonly timeoutMs: number;
  /** The WAIT the next callers share, until it is sent. */
  private next: Promise<number> | undefined;
  /** Settles when the WAIT sent last has its answer. */
  private pending: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisConnection,
    options: WaitReplicasOptions,
    deadlineMs: number,
  ) {
    const { replicas, timeoutMs = 500 } = options;
    if (redis instanceof Cluster) throw new TypeError('waitReplicas needs a single node or Sentinel; Redis Cluster is not supported');
    if (!Number.isSafeInteger(replicas) || replicas < 1)
      throw new TypeError(`waitReplicas.replicas must be an integer ≥ 1, got ${replicas}`);
    // A write can wait behind one pending WAIT, and must still answer within the deadline.
    const maxTimeoutMs = Math.floor(deadlineMs / 2);
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxTimeoutMs) {
      throw new TypeError(
        `waitReplicas.timeoutMs must be an integer from 1 to ${maxTimeoutMs} (half the Redis deadline), got ${timeoutMs}`,
      );
    }
    this.replicas = replicas;
    this.timeoutMs = timeoutMs;
  }

  /**
   * How many replicas have every write this connection sent before the call, once that is
   * `replicas` or the timeout has passed (WAIT's answer).
   */
  confirm(): Promise<number> {
    // At most one WAIT at Redis at a time: Redis holds the connection's other commands behind a
    // pending WAIT, so a second one queued behind it would hold them for two timeouts.
    this.next ??= (this.pending ?? Promise.resolve())
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        // Callers from now on need a WAIT sent after their own writes.
        this.next = undefined;
        const sent = (this.redis as Redis).wait(this.replicas, this.timeoutMs);
        this.pending = sent.then(
          () => undefined,
          () => undefined,
        );
        return sent;
      });
    return this.next;
  }

  /** Replicas the master lists as online now (`INFO replication`). */
  async online(): Promise<number> {
    return onlineReplicas(await (this.redis as Redis).info('replication'));
  }
}

/**
 * Replicas a master's `INFO replication` lists as `online`; one still loading its first copy
 * (`wait_bgsave`, `send_bulk`) cannot confirm writes yet and is not counted.
 */
export function onlineReplicas(info: string): number {
  let online = 0;
  for (const match of info.matchAll(/^slave\d+:.*\bstate=(\w+)/gm)) if (match[1] === 'online') online += 1;
  return online;
}

const MAX_ENV_TIMEOUT_MS = Math.floor(DEFAULT_REDIS_DEADLINE_MS / 2);

/** The environment variables that turn on {@link ReplicaWait} for the API (see {@link waitReplicasFromEnv}). */
export const waitReplicasEnv = {
  /** Replicas that must hold a job before its enqueue is acknowledged; unset: do not wait. */
  TASKWIRE_WAIT_REPLICAS: env.positiveInt.optional(),
  /** How long to wait for them (ms, at most half the API's 1,500 ms Redis deadline; default 500). */
  TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_ENV_TIMEOUT_MS, `expected at most ${MAX_ENV_TIMEOUT_MS} (half the ${DEFAULT_REDIS_DEADLINE_MS} ms Redis deadline)`)
    .optional(),
};

/**
 * The API's `waitReplicas` option from validated environment variables. Throws a
 * {@link ConfigError} for a timeout without a replica count, and on a Redis Cluster.
 *
 * @example
 * const config = loadConfigOrExit(withRedisEnv({ ...waitReplicasEnv }), 'taskwire-api');
 * await startApiServer({ registry, redis: config.redis, auth, waitReplicas: waitReplicasFromEnv(config) });
 */
export function waitReplicasFromEnv(config: {
  redis?: RedisConnectionConfig;
  TASKWIRE_WAIT_REPLICAS?: number | undefined;
  TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS?: number | undefined;
}): WaitReplicasOptions | undefined {
  if (config.TASKWIRE_WAIT_REPLICAS === undefined) {
    if (config.TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS !== undefined) {
      throw new ConfigError('TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS is set but TASKWIRE_WAIT_REPLICAS is not (how many replicas to wait for)');
    }
    return undefined;
  }
  if (config.redis?.mode === 'cluster') {
    throw new ConfigError(
      'TASKWIRE_WAIT_REPLICAS needs a single node or Sentinel (REDIS_URL or REDIS_SENTINELS); Redis Cluster is not supported',
    );
  }
  return { replicas: config.TASKWIRE_WAIT_REPLICAS, timeoutMs: config.TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS };
}
