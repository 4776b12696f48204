import { createKeys } from '@taskwire/shared';
import { createRedis, keyNodes, scanKeys, unlinkKeys } from '@taskwire/shared/node';
import { families } from '@taskwire-example/reference/contracts';
import { Queue } from 'bullmq';
import type { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { redisConfig, uniquePrefix } from '../fixtures/harness.ts';

const redis = createRedis(redisConfig(), 'worker', 'taskwire-test-slots') as Cluster;
afterAll(() => redis.disconnect());

const slotOf = async (key: string) => Number(await redis.cluster('KEYSLOT', key));

/** The port of the master that serves a slot. */
async function masterOf(slot: number): Promise<number> {
  const range = (await redis.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to);
  const master = range?.[2];
  if (!master) throw new Error(`no master serves slot ${slot}`);
  return master[1];
}

describe('key layout on a Redis Cluster', () => {
  it('keeps every key of a family in one slot, and spreads the reference families over the masters', async () => {
    const keys = createKeys('taskwire');
    const placement: Record<string, { slot: number; master: number }> = {};
    for (const family of Object.keys(families)) {
      const queue = new Queue(keys.queueName(family), { connection: redis, prefix: keys.prefix });
      const names = [
        ...Object.values(queue.keys),
        queue.toKey('42'),
        `${queue.toKey('42')}:lock`,
        keys.idempotency(family, 'task', 'digest'),
        keys.service(family, 'licenses', 'reminded', 'x'),
        keys.schedule(family, 'task~nightly'),
        keys.cancelChannel(family),
        keys.deduplication(family, 'task:debounce:k'),
        keys.flowWindow(family, 'task:debounce:k'),
      ];
      // The flow window script reads BullMQ's deduplication key by the name taskwire builds.
      expect(keys.deduplication(family, 'task:debounce:k')).toBe(`${queue.keys.de}:task:debounce:k`);
      await queue.close();
      const slots = new Set(await Promise.all(names.map(slotOf)));
      expect(slots.size, family).toBe(1);
      const [slot] = [...slots] as [number];
      placement[family] = { slot, master: await masterOf(slot) };
    }
    console.log(
      `family → slot → master: ${Object.entries(placement)
        .map(([family, p]) => `${family} → ${p.slot} → :${p.master}`)
        .join(', ')}`,
    );
    expect(new Set(Object.values(placement).map((p) => p.master)).size).toBeGreaterThan(1);
  });

  it('finds and deletes keys on every master, whatever their slots', async () => {
    const prefix = uniquePrefix('slots');
    const written = Array.from({ length: 60 }, (_, i) => `${prefix}:{f${i}}:k`);
    for (const key of written) await redis.set(key, '1');
    const masters = await keyNodes(redis);
    const holding = await Promise.all(masters.map(async (node) => (await node.keys(`${prefix}:*`)).length));
    console.log(`60 keys over ${masters.length} masters: ${holding.join(' / ')}`);
    expect(holding.filter((n) => n > 0).length).toBe(masters.length);
    expect((await scanKeys(redis, `${prefix}:*`)).sort()).toEqual([...written].sort());
    await unlinkKeys(redis, written);
    expect(await scanKeys(redis, `${prefix}:*`)).toEqual([]);
  });
});
