import { startRedisServer } from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';
import { timedFailure } from '../fixtures/outcomes.ts';

describe('Redis outage', () => {
  it('enqueue fails with QUEUE_UNAVAILABLE within 2 s while Redis is down or frozen, and the API recovers by itself', async () => {
    const redis = await startRedisServer();
    // Disposed by hand below, before the second Redis stops (cleanup needs a Redis).
    const stack = await startStack({ registry: labRegistry, handlers: [labHandlers], redisUrl: redis.url });
    expect(await stack.client.lab.steps.run({ count: 1, delayMs: 0 }, { timeoutMs: 10_000 })).toEqual({ done: 1 });

    // Frozen: the process is alive but answers nothing (SIGSTOP).
    process.kill(redis.pid, 'SIGSTOP');
    const frozen = await timedFailure(stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }));
    console.log(`frozen Redis: ${frozen.code} after ${frozen.ms.toFixed(0)} ms`);
    expect(frozen.code).toBe('QUEUE_UNAVAILABLE');
    expect(frozen.ms).toBeLessThanOrEqual(2_000);
    process.kill(redis.pid, 'SIGCONT');
    await eventually(async () => (await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 })) ?? undefined, 10_000, 100);

    // Killed: connection refused.
    await redis.stop('SIGKILL');
    const ready = await fetch(`${stack.api.url}/readyz`);
    expect(ready.status).toBe(503);
    const down = await timedFailure(stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }));
    console.log(`killed Redis: ${down.code} after ${down.ms.toFixed(0)} ms`);
    expect(down.code).toBe('QUEUE_UNAVAILABLE');
    expect(down.ms).toBeLessThanOrEqual(2_000);
    const health = await stack.client.health();
    expect(health.status).toBe('degraded');

    // Back on the same port: API and worker reconnect with no restart.
    const again = await startRedisServer({ port: redis.port });
    try {
      await eventually(async () => ((await fetch(`${stack.api.url}/readyz`)).status === 200 ? true : undefined), 10_000, 100);
      const result = await eventually(() => stack.client.lab.steps.run({ count: 1, delayMs: 0 }, { timeoutMs: 5_000 }), 15_000, 200);
      expect(result).toEqual({ done: 1 });
    } finally {
      await stack[Symbol.asyncDispose]();
      await again.stop();
    }
  }, 60_000);
});
