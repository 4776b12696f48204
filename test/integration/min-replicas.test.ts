import { TaskwireError } from '@taskwire/shared';
import { startRedisServer } from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';
import { startStack } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';

describe('a master with min-replicas-to-write and no replica in reach', () => {
  it('refuses enqueues with QUEUE_UNAVAILABLE instead of acknowledging jobs a failover could lose', async () => {
    const redis = await startRedisServer({ args: ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '10'] });
    try {
      await using stack = await startStack({ registry: labRegistry, redisUrl: redis.url });
      const error = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TaskwireError);
      expect((error as TaskwireError).code).toBe('QUEUE_UNAVAILABLE');
      expect((error as TaskwireError).message).toMatch(/NOREPLICAS/);
      // Reads still work: the API stays useful while writes are refused.
      expect((await stack.client.queues.stats('lab'))[0]?.waiting).toBe(0);
    } finally {
      await redis.stop();
    }
  });
});
