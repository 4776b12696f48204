/**
 * `waitReplicas`: an enqueue is acknowledged only once its job is on a replica (Redis `WAIT`), so
 * a failover to that replica cannot lose it (test/reliability/failover.test.ts kills the master).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { type JobRef, parseJobId, TaskwireError } from '@taskwire/shared';
import { ConfigError, loadConfig, type SpawnedRedis, startRedisServer } from '@taskwire/shared/node';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { onlineReplicas, ReplicaWait, waitReplicasEnv, waitReplicasFromEnv } from '../../router/src/runtime/replica-wait.ts';
import { startStack, uniquePrefix } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';
import { waitUntil } from '../fixtures/redis-processes.ts';

/** What an enqueue's error was (or undefined when it succeeded). */
const failureOf = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('waitReplicas: enqueues are acknowledged once their jobs are on a replica', () => {
  let master: SpawnedRedis;
  let replica: SpawnedRedis;
  let onReplica: Redis;

  beforeAll(async () => {
    master = await startRedisServer();
    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    onReplica = new Redis(replica.url, { maxRetriesPerRequest: null });
    await waitUntil(async () => (await onReplica.info('replication')).includes('master_link_status:up'), 'the replica did not sync');
  });

  afterAll(async () => {
    onReplica?.disconnect();
    await replica?.stop();
    await master?.stop();
  });

  it('an enqueue returns once its job is on the replica, single and bulk', async () => {
    await using stack = await startStack({ registry: labRegistry, redisUrl: master.url, waitReplicas: { replicas: 1, timeoutMs: 700 } });
    const queue = stack.api.hub.queue('lab');
    // A paused replica holds the acknowledgements back until it runs again.
    process.kill(replica.pid, 'SIGSTOP');
    let settled = 0;
    const mark = () => {
      settled += 1;
    };
    let single: Promise<JobRef>;
    let many: Promise<JobRef[]>;
    try {
      single = stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 });
      many = stack.client.lab.steps.enqueueMany(Array.from({ length: 250 }, () => ({ input: { count: 1, delayMs: 0 } })));
      single.then(mark, mark);
      many.then(mark, mark);
      await sleep(200);
      expect(settled).toBe(0);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
    // Read from the replica at once: WAIT returned only after it had every one of them.
    const refs = [await single, ...(await many)];
    const stored = await Promise.all(refs.map((ref) => onReplica.hexists(queue.toKey(parseJobId(ref.id)!.bullId), 'data')));
    expect(stored.filter((found) => found === 1).length).toBe(251);
  });

  it('a replica that does not confirm in time fails the enqueue with QUEUE_UNAVAILABLE; a retry with the same key waits for it again, then returns the stored job', async () => {
    const prefix = uniquePrefix('replicas');
    const waitReplicas = { replicas: 1, timeoutMs: 300 };
    await using stack = await startStack({ registry: labRegistry, redisUrl: master.url, prefix, waitReplicas });
    // A second API on the same queues: its connection never wrote the job it finds.
    await using other = await startStack({ registry: labRegistry, redisUrl: master.url, prefix, waitReplicas });
    const queue = stack.api.hub.queue('lab');
    const input = { count: 1, delayMs: 0 };
    const options = { idempotencyKey: `replica-${Date.now()}` };
    process.kill(replica.pid, 'SIGSTOP');
    let first: unknown;
    let sameApi: unknown;
    let otherApi: unknown;
    try {
      first = await failureOf(stack.client.lab.steps.enqueue(input, options));
      sameApi = await failureOf(stack.client.lab.steps.enqueue(input, options));
      otherApi = await failureOf(other.client.lab.steps.enqueue(input, options));
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
    for (const error of [first, sameApi, otherApi]) {
      expect(error).toBeInstanceOf(TaskwireError);
      expect((error as TaskwireError).code).toBe('QUEUE_UNAVAILABLE');
      expect((error as TaskwireError).message).toMatch(/0 of the 1 replicas required confirmed it within 300 ms/);
    }
    // The job is on the master all the same, under its claim.
    expect(await queue.count()).toBe(1);

    const retry = await other.client.lab.steps.enqueue(input, options);
    expect(retry.deduplicated).toBe(true);
    expect(await onReplica.hexists(queue.toKey(parseJobId(retry.id)!.bullId), 'data')).toBe(1);
    expect(await queue.count()).toBe(1);
  });

  it('asking for more replicas than there are fails every enqueue, and says how many confirmed', async () => {
    await using stack = await startStack({ registry: labRegistry, redisUrl: master.url, waitReplicas: { replicas: 2, timeoutMs: 100 } });
    const error = await failureOf(stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 }));
    expect((error as TaskwireError).code).toBe('QUEUE_UNAVAILABLE');
    expect((error as TaskwireError).message).toMatch(/[01] of the 2 replicas required/);
  });

  it('/readyz and /metrics report the replicas online; fewer than required is not ready', async () => {
    await using enough = await startStack({ registry: labRegistry, redisUrl: master.url, waitReplicas: { replicas: 1 } });
    const ready = await fetch(`${enough.api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', replicas: { required: 1, online: 1 } });
    const metrics = await (await fetch(`${enough.api.url}/metrics`)).text();
    expect(metrics).toMatch(/^taskwire_redis_replicas_required 1$/m);
    expect(metrics).toMatch(/^taskwire_redis_replicas_online 1$/m);

    await using short = await startStack({ registry: labRegistry, redisUrl: master.url, waitReplicas: { replicas: 2 } });
    const notReady = await fetch(`${short.api.url}/readyz`);
    expect(notReady.status).toBe(503);
    const body = (await notReady.json()) as { status: string; reason: string; replicas: unknown };
    expect(body).toMatchObject({ status: 'unavailable', replicas: { required: 2, online: 1 } });
    expect(body.reason).toMatch(/1 of the 2 replicas .* are online: enqueues fail with QUEUE_UNAVAILABLE/);

    // Without waitReplicas nothing is said about replicas.
    await using plain = await startStack({ registry: labRegistry, redisUrl: master.url });
    expect(await (await fetch(`${plain.api.url}/readyz`)).json()).not.toHaveProperty('replicas');
    expect(await (await fetch(`${plain.api.url}/metrics`)).text()).not.toContain('taskwire_redis_replicas');
  });
});

describe('waitReplicas configuration', () => {
  it('comes from TASKWIRE_WAIT_REPLICAS and TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS; unset means no waiting', () => {
    const schema = z.object(waitReplicasEnv);
    expect(waitReplicasFromEnv(loadConfig(schema, {}))).toBeUndefined();
    expect(waitReplicasFromEnv(loadConfig(schema, { TASKWIRE_WAIT_REPLICAS: '1' }))).toEqual({ replicas: 1, timeoutMs: undefined });
    expect(waitReplicasFromEnv(loadConfig(schema, { TASKWIRE_WAIT_REPLICAS: '2', TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS: '250' }))).toEqual({
      replicas: 2,
      timeoutMs: 250,
    });
    expect(() => loadConfig(schema, { TASKWIRE_WAIT_REPLICAS: '0' })).toThrow(ConfigError);
    expect(() => waitReplicasFromEnv(loadConfig(schema, { TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS: '200' }))).toThrow(
      /TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS is set but TASKWIRE_WAIT_REPLICAS is not/,
    );
    const cluster = { mode: 'cluster' as const, nodes: [{ host: '127.0.0.1', port: 7000 }] };
    expect(() => waitReplicasFromEnv({ redis: cluster, TASKWIRE_WAIT_REPLICAS: 1 })).toThrow(ConfigError);
    expect(() => waitReplicasFromEnv({ redis: cluster, TASKWIRE_WAIT_REPLICAS: 1 })).toThrow(/Redis Cluster is not supported/);
    expect(() => loadConfig(schema, { TASKWIRE_WAIT_REPLICAS: '1', TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS: '751' })).toThrow(
      /TASKWIRE_WAIT_REPLICAS_TIMEOUT_MS: expected at most 750/,
    );
  });

  it('counts only the replicas a master lists as online (one still loading its copy cannot confirm writes)', () => {
    const info = [
      '# Replication',
      'role:master',
      'connected_slaves:3',
      'slave0:ip=10.0.0.2,port=6379,state=online,offset=1234,lag=0',
      'slave1:ip=10.0.0.3,port=6379,state=wait_bgsave,offset=0,lag=0',
      'slave2:ip=10.0.0.4,port=6379,state=online,offset=1230,lag=1',
      'master_replid:0123456789abcdef0123456789abcdef01234567',
    ].join('\r\n');
    expect(onlineReplicas(info)).toBe(2);
    expect(onlineReplicas('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n')).toBe(0);
  });

  it('refuses a cluster, a replica count below 1 and a timeout over half the Redis deadline', () => {
    const single = new Redis({ lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    try {
      expect(() => new ReplicaWait(cluster, { replicas: 1 }, 1_500)).toThrow(/Redis Cluster is not supported/);
      expect(() => new ReplicaWait(single, { replicas: 0 }, 1_500)).toThrow(/replicas must be an integer ≥ 1, got 0/);
      expect(() => new ReplicaWait(single, { replicas: 1, timeoutMs: 751 }, 1_500)).toThrow(/timeoutMs must be an integer from 1 to 750/);
      expect(() => new ReplicaWait(single, { replicas: 1, timeoutMs: 750 }, 1_500)).not.toThrow();
    } finally {
      single.disconnect();
      cluster.disconnect();
    }
  });
});
