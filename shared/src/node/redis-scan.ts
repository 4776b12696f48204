import { Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from './redis-client.ts';

/**
 * The nodes that hold keys: the connection itself, or every master of a cluster (a `SCAN` or
 * `KEYS` sent to a cluster client reaches one random node and silently misses the others).
 *
 * @example
 * for (const node of await keyNodes(redis)) console.log(await node.dbsize());
 */
export async function keyNodes(connection: RedisConnection): Promise<Redis[]> {
  if (!(connection instanceof Cluster)) return [connection];
  if (connection.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis Cluster not ready (${connection.status})`)), 10_000);
      connection.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return connection.nodes('master');
}

/**
 * Every key matching a `SCAN` pattern, on a single node or across all masters of a cluster.
 *
 * @example
 * const keys = await scanKeys(redis, 'taskwire:{email}:*');
 */
export async function scanKeys(connection: RedisConnection, match: string, count = 1_000): Promise<string[]> {
  const out: string[] = [];
  for (const node of await keyNodes(connection)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', count);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out;
}

/**
 * Deletes keys that may live in different slots: one multi-key `UNLINK` per chunk on a single
 * node; one `UNLINK` per key on a cluster (a multi-key command across slots is a CROSSSLOT error).
 *
 * @example
 * await unlinkKeys(redis, await scanKeys(redis, `${prefix}:*`));
 */
export async function unlinkKeys(connection: RedisConnection, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1_000) {
    const chunk = keys.slice(i, i + 1_000);
    if (chunk.length === 0) continue;
    if (connection instanceof Cluster) await Promise.all(chunk.map((key) => connection.unlink(key)));
    else await connection.unlink(...chunk);
  }
}
