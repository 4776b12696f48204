import { createKeys, encodeEnvelope } from '@taskwire/shared';
import { createRedis, type RedisConnectionConfig } from '@taskwire/shared/node';
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { evoHandlers, evoV2, evoV3 } from '../fixtures/evolve.ts';
import { eventually, startStack } from '../fixtures/harness.ts';

function rawQueue(stack: { redis: RedisConnectionConfig; prefix: string }) {
  const connection = createRedis(stack.redis, 'worker');
  const queue = new Queue(createKeys(stack.prefix).queueName('evo'), { connection, prefix: stack.prefix });
  return {
    add: (version: number, payload: unknown) =>
      queue.add('greet', encodeEnvelope(version, payload, { enqueuedAt: Date.now() })).then((j) => `evo.${j.id}`),
    async [Symbol.asyncDispose]() {
      await queue.close();
      connection.disconnect();
    },
  };
}

describe('contract versions', () => {
  it('a v2 worker migrates jobs queued as v1 and runs them', async () => {
    const { v2, log } = evoHandlers();
    await using stack = await startStack({ registry: evoV2, handlers: [v2] });
    await using raw = rawQueue(stack);
    const id = await raw.add(1, { name: 'Ada' });
    const view = await eventually(async () => {
      const v = await stack.client.evo.greet.get(id);
      return v.state === 'completed' ? v : undefined;
    });
    expect(view.result).toEqual({ greeting: 'hello Ada', workerVersion: 2, payloadVersion: 1 });
    expect(view.version).toBe(1);
    expect(log).toEqual([{ jobId: id, workerVersion: 2, payloadVersion: 1 }]);
  });

  it('a v1 worker puts a v2 job back (delayed, counted, no attempt spent) and fails it with UNSUPPORTED_VERSION after the limit', async () => {
    const { v1 } = evoHandlers();
    await using stack = await startStack({ registry: evoV2 });
    await stack.startWorker(v1, { deferral: { maxDeferrals: 2, baseDelayMs: 50, maxDelayMs: 100 } });
    const ref = await stack.client.evo.greet.enqueue({ person: { first: 'Grace' } });
    const deferred = await eventually(async () => {
      const v = await stack.client.evo.greet.get(ref.id);
      return v.deferrals >= 1 ? v : undefined;
    });
    expect(deferred.attemptsMade).toBe(0);
    expect(deferred.error).toBeNull();
    const failed = await eventually(async () => {
      const v = await stack.client.evo.greet.get(ref.id);
      return v.state === 'failed' ? v : undefined;
    });
    expect(failed.deferrals).toBe(2);
    expect(failed.error?.code).toBe('UNSUPPORTED_VERSION');
    expect(failed.error?.message).toMatch(/version 2 but workers know version 1/);
  });

  it('fails a job whose version has no migration any more, and one whose old payload is invalid', async () => {
    const { v2, v3 } = evoHandlers();
    await using stack = await startStack({ registry: evoV3, handlers: [v3] });
    await using raw = rawQueue(stack);
    const noMigration = await raw.add(1, { name: 'Ada' });
    const migrated = await raw.add(2, { person: { first: 'Lin' } });
    const invalidOld = await raw.add(2, { person: { first: '' } });
    const done = async (id: string) =>
      eventually(async () => {
        const v = await stack.client.jobs.get(id);
        return v.state === 'completed' || v.state === 'failed' ? v : undefined;
      });
    expect((await done(noMigration)).error).toMatchObject({
      code: 'UNSUPPORTED_VERSION',
      message: expect.stringMatching(/no migration from version 1/),
    });
    expect((await done(migrated)).result).toEqual({ greeting: 'hi Lin', workerVersion: 3, payloadVersion: 2 });
    const invalid = await done(invalidOld);
    expect(invalid.error?.code).toBe('INVALID_PAYLOAD');
    expect(invalid.error?.issues?.[0]?.path).toEqual(['person', 'first']);
    expect(v2.family.tasks.greet.version).toBe(2);
  });
});
