import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { type ChainableCommander, Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { type RedisConnectionConfig, type RedisTls, toRedisConfig } from './redis-config.ts';

/**
 * How a connection is used, which decides how it behaves while Redis is away:
 * - `fail-fast`: request/response paths (the API). Commands fail at once when disconnected and
 *   are never replayed later, so a caller told "unavailable" never gets a job enqueued behind
 *   its back.
 * - `worker`: BullMQ workers and their helpers. Commands wait for the reconnection.
 * - `blocking`: connections that block (QueueEvents, worker fetches, pub/sub).
 */
export type RedisRole = 'fail-fast' | 'worker' | 'blocking';

/** A connection to a single node or Sentinel-managed master (`Redis`) or to a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

// Reconnect forever, quickly at first, at most every 1 s.
const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1_000);

/** ioredis options for a role; every connection of a role behaves the same way. */
export function redisOptions(role: RedisRole, name?: string): RedisOptions {
  const common: RedisOptions = { connectionName: name, connectTimeout: 2_000, retryStrategy: backoff };
  if (role === 'fail-fast') {
    return { ...common, enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 };
  }
  return { ...common, maxRetriesPerRequest: null };
}

const caCache = new Map<string, Buffer>();

function tlsOptions(tls: RedisTls | undefined): ConnectionOptions | undefined {
  if (!tls) return undefined;
  let ca: Buffer | undefined;
  if (tls.caFile) {
    ca = caCache.get(tls.caFile) ?? readFileSync(tls.caFile);
    caCache.set(tls.caFile, ca);
  }
  return { ...(ca ? { ca } : {}), ...(tls.servername ? { servername: tls.servername } : {}) };
}

function access(config: RedisConnectionConfig): RedisOptions {
  const tls = tlsOptions(config.tls);
  return {
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(tls ? { tls } : {}),
  };
}

/** ioredis Cluster options for a role: the same semantics as {@link redisOptions}, per node and for the cluster. */
export function clusterOptions(role: RedisRole, config: RedisConnectionConfig, name?: string): ClusterOptions {
  const { retryStrategy: _perNode, enableOfflineQueue, ...node } = redisOptions(role, name);
  return {
    redisOptions: { ...node, ...access(config) },
    // The cluster client queues commands itself while it (re)discovers the slots; fail-fast
    // connections must not, exactly like a single node's offline queue.
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: backoff,
    slotsRefreshTimeout: 2_000,
  };
}

/**
 * Opens a Redis connection for a role: a URL or a {@link RedisConnectionConfig} (single node,
 * Redis Cluster or Sentinel). The caller owns it and must `disconnect()` it.
 *
 * @example
 * const redis = createRedis(redisConfigFromEnv(), 'worker', 'taskwire-worker-email');
 */
export function createRedis(target: string, role: RedisRole, name?: string): Redis;
export function createRedis(target: string | RedisConnectionConfig, role: RedisRole, name?: string): RedisConnection;
export function createRedis(target: string | RedisConnectionConfig, role: RedisRole, name?: string): RedisConnection {
  const config = toRedisConfig(target);
  let client: RedisConnection;
  if (config.mode === 'cluster') {
    client = new Cluster(config.nodes, clusterOptions(role, config, name));
  } else if (config.mode === 'sentinel') {
    const sentinelTls = tlsOptions(config.sentinelTls);
    client = new Redis({
      ...redisOptions(role, name),
      ...access(config),
      sentinels: config.sentinels,
      name: config.masterName,
      sentinelUsername: config.sentinelUsername,
      sentinelPassword: config.sentinelPassword,
      ...(sentinelTls ? { sentinelTLS: sentinelTls } : {}),
      enableTLSForSentinelMode: config.tls !== undefined,
      // Follow `+switch-master` announcements, so a demoted master that is still reachable is
      // left at once instead of at its first refused write.
      failoverDetector: true,
    });
  } else {
    client = new Redis(config.url, { ...redisOptions(role, name), ...access(config) });
  }
  // Errors surface through the commands that fail; without a listener ioredis would print
  // every reconnection attempt as an unhandled error event.
  client.on('error', () => {});
  return client;
}

/** True when the connection can take commands now (a cluster once its slots are known). */
export function isRedisReady(connection: RedisConnection): boolean {
  return connection.status === 'ready';
}

const held = new WeakSet<Socket>();

/**
 * Holds the commands a connection sends during this turn of the event loop and writes them
 * together (`cork`, then `uncork` on `setImmediate`): the enqueues of one WebSocket frame cost one
 * syscall instead of one each. Call it once per command about to be sent. Not for a worker's
 * completions: Redis spends about as long on a job's completion as the worker on the job, so
 * they must reach Redis while the worker still works on the next ones (see bench/README.md).
 * Single-node connections only; a cluster client writes to a socket per node and is left alone.
 *
 * @example
 * holdWrites(redis); // then send the command as usual
 */
export function holdWrites(redis: RedisConnection): void {
  const socket = (redis as { stream?: unknown }).stream;
  if (!(socket instanceof Socket) || held.has(socket)) return;
  held.add(socket);
  socket.cork();
  setImmediate(() => {
    held.delete(socket);
    socket.uncork();
  });
}

/**
 * Runs `write` with the connection's socket corked, so the commands it sends leave in one system
 * call (what a pipeline gives, for commands sent one by one). Inside a turn already held by
 * {@link holdWrites}, the commands simply join that write. Single-node connections only; on any
 * other `write` just runs.
 *
 * @example
 * const replies = writeTogether(redis, () => jobs.map((job) => call.send(redis, valuesOf(job), fallback)));
 */
export function writeTogether<T>(redis: RedisConnection, write: () => T): T {
  const socket = (redis as { stream?: unknown }).stream;
  if (!(socket instanceof Socket) || held.has(socket)) return write();
  socket.cork();
  try {
    return write();
  } finally {
    socket.uncork();
  }
}

/**
 * Runs a pipeline and answers its replies in order; the first command that failed throws its error.
 *
 * @example
 * const [length, members] = await pipelineReplies(redis.pipeline().llen(list).smembers(set));
 */
export async function pipelineReplies(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = await pipeline.exec();
  if (!replies) throw new Error('Redis gave no answer');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
