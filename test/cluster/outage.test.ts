import { describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';
import { timedFailure } from '../fixtures/outcomes.ts';
import { startRedisCluster } from '../fixtures/redis-cluster.ts';

describe('Redis Cluster outage', () => {
  it("enqueue fails with QUEUE_UNAVAILABLE within 2 s while the family's master is frozen or killed, and recovers when it rejoins", async () => {
    // A private cluster: this test freezes and kills one of its nodes.
    await using cluster = await startRedisCluster();
    const stack = await startStack({ registry: labRegistry, handlers: [labHandlers], redis: cluster.config });
    try {
      expect(await stack.client.lab.steps.run({ count: 1, delayMs: 0 }, { timeoutMs: 10_000 })).toEqual({ done: 1 });
      const index = await cluster.nodeOf(`${stack.prefix}:{lab}:wait`);
      const node = cluster.nodes[index]!;

      process.kill(node.pid, 'SIGSTOP');
      const frozen = await timedFailure(stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }));
      console.log(`frozen master of {lab}: ${frozen.code} after ${frozen.ms.toFixed(0)} ms (${frozen.message})`);
      expect(frozen.code).toBe('QUEUE_UNAVAILABLE');
      expect(frozen.ms).toBeLessThanOrEqual(2_000);
      process.kill(node.pid, 'SIGCONT');
      await eventually(async () => (await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 })) ?? undefined, 15_000, 100);

      await cluster.kill(index);
      const down = await timedFailure(stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }));
      console.log(`killed master of {lab}: ${down.code} after ${down.ms.toFixed(0)} ms (${down.message})`);
      expect(down.code).toBe('QUEUE_UNAVAILABLE');
      expect(down.ms).toBeLessThanOrEqual(2_000);

      // Back on the same port with its nodes.conf: API and worker reconnect with no restart.
      await cluster.restart(index);
      const started = performance.now();
      const result = await eventually(() => stack.client.lab.steps.run({ count: 1, delayMs: 0 }, { timeoutMs: 5_000 }), 30_000, 200);
      console.log(`round trip again ${(performance.now() - started).toFixed(0)} ms after the node rejoined`);
      expect(result).toEqual({ done: 1 });
    } finally {
      // If the test failed with a node down, dropping the prefix fails too; the cluster goes anyway.
      await Promise.resolve(stack[Symbol.asyncDispose]()).catch(() => undefined);
    }
  }, 90_000);
});
