import { QueueHub } from '@taskwire/router';
import { createRedis } from '@taskwire/shared/node';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { dropPrefix, eventually, redisUrl, uniquePrefix } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';

/** Event readers run only while someone watches, and a late reader still misses nothing. */
describe('job event bus', () => {
  const url = redisUrl();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const prefix = uniquePrefix('events');
    const hub = new QueueHub(labRegistry, { redisUrl: url, prefix, eventIdleMs: 100 });
    const connection = createRedis(url, 'worker');
    const producer = new Queue(hub.keys.queueName('lab'), { connection, prefix });
    cleanups.push(async () => {
      await hub.close();
      await producer.close();
      connection.disconnect();
      await dropPrefix(url, prefix);
    });
    return { hub, producer, prefix };
  }

  /** Names of the API's event-reader connections now open on the server. */
  async function readers(family: string): Promise<number> {
    const redis = createRedis(url, 'worker');
    try {
      const list = (await redis.client('LIST')) as string;
      return list.split('\n').filter((line) => line.includes(`name=taskwire-api-events-${family}`)).length;
    } finally {
      redis.disconnect();
    }
  }

  it('starts a reader on the first watcher, stops it when idle, and a restarted reader sees the first event after ready()', async () => {
    const { hub, producer } = await setup();
    const before = await readers('lab');

    // Events of jobs nobody watches are not read at all.
    const unwatched = await producer.add('echo', {});
    await unwatched.updateProgress({ step: 1 });
    expect(await readers('lab')).toBe(before);

    for (let round = 0; round < 2; round += 1) {
      const job = await producer.add('echo', {});
      const seen: unknown[] = [];
      const bus = hub.events('lab');
      const unsubscribe = bus.subscribe(job.id as string, (event) => seen.push(event));
      await bus.ready();
      // Reported right after ready(): a reader that started at "now" when its XREAD ran could miss it.
      await job.updateProgress({ step: 1 });
      await job.updateProgress({ step: 2 });
      await eventually(() => (seen.length === 2 ? true : undefined));
      expect(seen).toEqual([
        { type: 'progress', data: { step: 1 } },
        { type: 'progress', data: { step: 2 } },
      ]);
      expect(await readers('lab')).toBe(before + 1);
      unsubscribe();
      // idle for 100 ms → the reader's connection is closed
      await eventually(async () => ((await readers('lab')) === before ? true : undefined), 5_000, 50);
    }
  });
});
