import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@taskwire/client';
import { redisConfigToEnv } from '@taskwire/shared/node';
import type { Families } from '@taskwire-example/reference/contracts';
import { describe, expect, it } from 'vitest';
import { dropPrefix, redisConfig, uniquePrefix } from '../fixtures/harness.ts';
import { REFERENCE_CONFIG, spawnTs } from '../fixtures/processes.ts';
import { redisChildEnv } from '../reliability/support.ts';

describe('taskwire-api and taskwire-worker on a Redis Cluster', () => {
  it('are pointed at the cluster by REDIS_CLUSTER_NODES alone, serve a round trip for two families, and stop with exit 0', async () => {
    const redis = redisConfig();
    const token = 'tw_cluster-binaries-token-0123456789';
    const outbox = await mkdtemp(join(tmpdir(), 'taskwire-outbox-'));
    const env = redisChildEnv(redis, {
      OUTBOX_DIR: outbox,
      TASKWIRE_PREFIX: uniquePrefix('cbin'),
      PORT: '0',
      HOST: '127.0.0.1',
      TASKWIRE_TOKENS: JSON.stringify([{ name: 'ops', token, scopes: ['admin'] }]),
    });
    expect(Object.keys(redisConfigToEnv(redis))).toEqual(['REDIS_CLUSTER_NODES']);
    const api = spawnTs('router/src/bin/api.ts', ['--config', REFERENCE_CONFIG], env);
    const workers = ['maintenance', 'email'].map((family) =>
      spawnTs('worker/src/bin/worker.ts', ['--config', REFERENCE_CONFIG, '--family', family, '--concurrency', '2'], env),
    );
    try {
      const started = JSON.parse(await api.waitFor(/"event":"api.started"/)) as { url: string; redis: string };
      expect(started.redis).toMatch(/^cluster 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
      for (const worker of workers) expect(JSON.parse(await worker.waitFor(/"event":"worker.started"/)).redis).toBe(started.redis);
      const tw = createClient<Families>({ url: started.url, token });
      const out = await tw.maintenance.healthCheck.run({ nonce: 'cluster', sentAt: new Date() }, { timeoutMs: 15_000 });
      expect(out.worker.pid).toBe(workers[0]?.process.pid);
      const mail = await tw.email.send.run({ to: 'a@example.test', subject: 'on a cluster', html: '<p>hi</p>' }, { timeoutMs: 15_000 });
      expect(mail.messageId).toMatch(/\S/);
      expect((await tw.queues.stats()).map((s) => [s.family, s.completed])).toEqual(
        expect.arrayContaining([
          ['maintenance', 1],
          ['email', 1],
        ]),
      );
    } finally {
      for (const worker of workers) expect(await worker.stop('SIGTERM')).toBe(0);
      expect(await api.stop('SIGTERM')).toBe(0);
      await dropPrefix(redis, env.TASKWIRE_PREFIX as string);
      await rm(outbox, { recursive: true, force: true });
    }
  });
});
