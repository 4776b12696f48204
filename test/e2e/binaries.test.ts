import { createClient } from '@taskwire/client';
import type { Families } from '@taskwire-example/reference/contracts';
import { describe, expect, it } from 'vitest';
import { dropPrefix, redisUrl, uniquePrefix } from '../fixtures/harness.ts';
import { REFERENCE_CONFIG, spawnTs } from '../fixtures/processes.ts';

describe('taskwire-api and taskwire-worker as separate processes', () => {
  it('serve a typed round trip, and stop cleanly on SIGTERM with exit 0', async () => {
    const token = 'tw_binaries-test-token-0123456789';
    const env = {
      REDIS_URL: redisUrl(),
      TASKWIRE_PREFIX: uniquePrefix('bin'),
      PORT: '0',
      HOST: '127.0.0.1',
      TASKWIRE_TOKENS: JSON.stringify([{ name: 'ops', token, scopes: ['maintenance:enqueue', 'maintenance:read'] }]),
    };
    const api = spawnTs('router/src/bin/api.ts', ['--config', REFERENCE_CONFIG], env);
    const worker = spawnTs('worker/src/bin/worker.ts', ['--config', REFERENCE_CONFIG, '--family', 'maintenance', '--concurrency', '2'], {
      ...env,
      METRICS_PORT: '0',
      METRICS_TOKEN: 'tw_scraper-token-for-worker-metrics',
    });
    try {
      const started = JSON.parse(await api.waitFor(/"event":"api.started"/)) as { url: string };
      await worker.waitFor(/"event":"worker.started"/);
      const tw = createClient<Families>({ url: started.url, token });
      const sentAt = new Date();
      const out = await tw.maintenance.healthCheck.run({ nonce: 'bin-test', sentAt }, { timeoutMs: 15_000 });
      expect(out.nonce).toBe('bin-test');
      expect(out.sentAt).toEqual(sentAt);
      expect(out.worker.pid).toBe(worker.process.pid);
      expect(out.receivedAt.getTime()).toBeGreaterThanOrEqual(sentAt.getTime());
      const done = JSON.parse(await worker.waitFor(/"event":"job.completed"/)) as Record<string, unknown>;
      expect(done).toMatchObject({ task: 'maintenance.healthCheck', family: 'maintenance', attempt: 1, input: { nonce: 'bin-test' } });
      const { port, host } = JSON.parse(await worker.waitFor(/"event":"metrics.listening"/)) as { port: number; host: string };
      expect(host).toBe('127.0.0.1'); // not every interface unless METRICS_HOST says so
      expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
      const scraper = { authorization: 'Bearer tw_scraper-token-for-worker-metrics' };
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: scraper })).text();
      expect(metrics).toMatch(/^taskwire_jobs_completed_total\{task="maintenance.healthCheck"\} 1$/m);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0);
      expect(await api.stop('SIGTERM')).toBe(0);
      await dropPrefix(env.REDIS_URL, env.TASKWIRE_PREFIX);
    }
    expect(worker.lines.some((l) => l.includes('"event":"worker.stopped"'))).toBe(true);
  });

  it('taskwire-api refuses to start without tokens unless told to serve open, and waitReplicas on a cluster', async () => {
    const api = spawnTs('router/src/bin/api.ts', ['--config', REFERENCE_CONFIG], {
      REDIS_URL: redisUrl(),
      PORT: '0',
      TASKWIRE_TOKENS: '',
      TASKWIRE_API_TOKEN: '',
      TASKWIRE_AUTH: '',
    });
    await api.waitFor(/No API tokens configured\. Set TASKWIRE_TOKENS/);
    expect(await api.exit()).toBe(2);
    const bad = spawnTs('router/src/bin/api.ts', ['--config', REFERENCE_CONFIG], {
      REDIS_URL: redisUrl(),
      PORT: '0',
      TASKWIRE_TOKENS: '[{"name":"x","token":"short","scopes":["root"]}]',
    });
    await bad.waitFor(/TASKWIRE_TOKENS: 0\.token: tokens must be at least 16 characters; 0\.scopes\.0: expected 'admin'/);
    expect(await bad.exit()).toBe(2);
    const waitOnCluster = spawnTs('router/src/bin/api.ts', ['--config', REFERENCE_CONFIG], {
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      PORT: '0',
      TASKWIRE_AUTH: 'open',
      TASKWIRE_WAIT_REPLICAS: '1',
    });
    await waitOnCluster.waitFor(/TASKWIRE_WAIT_REPLICAS needs a single node or Sentinel/);
    expect(await waitOnCluster.exit()).toBe(2);
  });

  it('taskwire-worker refuses bad arguments and bad configuration with exit 2 and a clear message', async () => {
    const unknown = spawnTs('worker/src/bin/worker.ts', ['--config', REFERENCE_CONFIG, '--family', 'nope']);
    await unknown.waitFor(/unknown family 'nope'/);
    expect(await unknown.exit()).toBe(2);
    const missing = spawnTs('worker/src/bin/worker.ts', ['--config', REFERENCE_CONFIG]);
    await missing.waitFor(/--family is required/);
    expect(await missing.exit()).toBe(2);
    const badEnv = spawnTs('worker/src/bin/worker.ts', ['--config', REFERENCE_CONFIG, '--family', 'email'], {
      REDIS_URL: 'http://nope',
      WORKER_GRACE_MS: '-1',
    });
    await badEnv.waitFor(/WORKER_GRACE_MS/);
    expect(badEnv.lines.join('\n')).toMatch(/REDIS_URL: expected redis:\/\/host:port/);
    expect(await badEnv.exit()).toBe(2);
    // The services' variables are checked at start too, not on every job.
    const badServices = spawnTs('worker/src/bin/worker.ts', ['--config', REFERENCE_CONFIG, '--family', 'backups'], {
      BACKUP_SOURCES: 'relative/dir',
    });
    await badServices.waitFor(/BACKUP_SOURCES: expected absolute paths/);
    expect(await badServices.exit()).toBe(2);
  });
});
