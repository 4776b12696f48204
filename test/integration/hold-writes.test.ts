import { createRedis, holdWrites } from '@taskwire/shared/node';
import { Cluster } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { redisConfig, uniquePrefix } from '../fixtures/harness.ts';

/** Sends `count` SETs in one turn, each after `holdWrites`; returns the socket writes and the replies. */
async function burst(count: number) {
  const redis = createRedis(redisConfig(), 'worker', 'taskwire-test-hold');
  try {
    await redis.ping();
    const prefix = uniquePrefix('hold');
    const socket = redis instanceof Cluster ? undefined : (redis.stream as unknown as { _writev: () => void; _write: () => void });
    const writev = socket && vi.spyOn(socket, '_writev');
    const write = socket && vi.spyOn(socket, '_write');
    const replies = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        holdWrites(redis);
        return redis.set(`{${prefix}}:${i}`, String(i), 'PX', 10_000);
      }),
    );
    const writes = writev && write ? writev.mock.calls.length + write.mock.calls.length : undefined;
    const values = await redis.mget(...Array.from({ length: count }, (_, i) => `{${prefix}}:${i}`));
    return { replies, values, writes };
  } finally {
    redis.disconnect();
  }
}

describe('holdWrites', () => {
  it('sends the commands of one turn in one write, and every command is answered', async () => {
    const { replies, values, writes } = await burst(10);
    expect(replies).toEqual(Array(10).fill('OK'));
    expect(values).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
    // A cluster client writes to a socket per node and is not held.
    if (writes !== undefined) expect(writes).toBe(1);
  });

  it('holds nothing across turns: a command sent in a later turn is not delayed', async () => {
    const redis = createRedis(redisConfig(), 'worker', 'taskwire-test-hold');
    try {
      await redis.ping();
      holdWrites(redis);
      await redis.ping(); // answered: the hold ended with the turn
      await new Promise((resolve) => setImmediate(resolve));
      holdWrites(redis);
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });
});
