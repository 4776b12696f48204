import { Redis, type RedisOptions } from 'ioredis';

/**
 * How a connection is used, which decides how it behaves while Redis is away:
 * - `fail-fast`: request/response paths (the API). Commands fail at once when disconnected and
 *   are never replayed later, so a caller told "unavailable" never gets a job enqueued behind
 *   its back.
 * - `worker`: BullMQ workers and their helpers. Commands wait for the reconnection.
 * - `blocking`: connections that block (QueueEvents, worker fetches, pub/sub).
 */
export type RedisRole = 'fail-fast' | 'worker' | 'blocking';

/** ioredis options for a role; every connection of a role behaves the same way. */
export function redisOptions(role: RedisRole, name?: string): RedisOptions {
  const common: RedisOptions = {
    connectionName: name,
    connectTimeout: 2_000,
    // Reconnect forever, quickly at first, at most every 1 s.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1_000),
  };
  if (role === 'fail-fast') {
    return { ...common, enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 0 };
  }
  return { ...common, maxRetriesPerRequest: null };
}

/** Opens a Redis connection for a role. The caller owns it and must `disconnect()` it. */
export function createRedis(url: string, role: RedisRole, name?: string): Redis {
  const client = new Redis(url, redisOptions(role, name));
  // Errors surface through the commands that fail; without a listener ioredis would print
  // every reconnection attempt as an unhandled error event.
  client.on('error', () => {});
  return client;
}
