import {
  ConfigError,
  describeRedis,
  env,
  loadConfig,
  redisConfigFromEnv,
  redisConfigToEnv,
  redisTarget,
  withRedisEnv,
} from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';

function problems(environment: NodeJS.ProcessEnv): string {
  try {
    redisConfigFromEnv(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('redisConfigFromEnv', () => {
  it('defaults to a single local node', () => {
    expect(redisConfigFromEnv({})).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379' });
    expect(redisConfigFromEnv({ REDIS_URL: '' })).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379' });
  });

  it('reads each topology with its credentials and TLS', () => {
    expect(redisConfigFromEnv({ REDIS_URL: 'rediss://cache:6380', REDIS_USERNAME: 'app', REDIS_PASSWORD: 'pw' })).toEqual({
      mode: 'single',
      url: 'rediss://cache:6380',
      username: 'app',
      password: 'pw',
    });
    expect(redisConfigFromEnv({ REDIS_CLUSTER_NODES: '10.0.0.5:7000, 10.0.0.6:7001,[::1]:7002', REDIS_TLS: 'true' })).toEqual({
      mode: 'cluster',
      nodes: [
        { host: '10.0.0.5', port: 7000 },
        { host: '10.0.0.6', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: {},
    });
    expect(
      redisConfigFromEnv({
        REDIS_SENTINELS: 's1:26379,s2:26379',
        REDIS_SENTINEL_MASTER: 'jobs',
        REDIS_SENTINEL_PASSWORD: 'spw',
        REDIS_PASSWORD: 'pw',
        REDIS_TLS_SERVERNAME: 'redis.internal',
      }),
    ).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      masterName: 'jobs',
      sentinelPassword: 'spw',
      password: 'pw',
      tls: { servername: 'redis.internal' },
    });
  });

  it('allows exactly one topology and names every problem, secrets redacted', () => {
    // Malformed values first (all of them in one message), then how the variables combine.
    const malformed = problems({
      REDIS_URL: 'http://:hunter2@a:1',
      REDIS_TLS: 'maybe',
      REDIS_TLS_CA: '/nonexistent/ca.pem',
      REDIS_PASSWORD: 'x',
    });
    expect(malformed).toMatch(/REDIS_URL: expected redis:\/\/host:port or rediss:\/\/… \(got 'http:\/\/\*\*\*@a:1'\)/);
    expect(malformed).toMatch(/REDIS_TLS: expected true or false \(got 'maybe'\)/);
    expect(malformed).toMatch(/REDIS_TLS_CA: expected a readable PEM file/);
    expect(malformed).not.toMatch(/hunter2/);
    const combined = problems({
      REDIS_URL: 'redis://:hunter2@a:1',
      REDIS_CLUSTER_NODES: 'b:2',
      REDIS_SENTINEL_MASTER: 'm',
      REDIS_PASSWORD: 'hunter2',
    });
    expect(combined).toMatch(
      /REDIS_URL: set only one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS \(also set: REDIS_CLUSTER_NODES\) \(got 'redis:\/\/\*\*\*@a:1'\)/,
    );
    expect(combined).toMatch(/REDIS_CLUSTER_NODES: set only one of .* \(also set: REDIS_URL\)/);
    expect(combined).toMatch(/REDIS_SENTINEL_MASTER: only meaningful with REDIS_SENTINELS/);
    expect(combined).not.toMatch(/hunter2/);
    expect(problems({ REDIS_SENTINELS: 's1:26379' })).toMatch(/REDIS_SENTINEL_MASTER: required with REDIS_SENTINELS/);
    expect(problems({ REDIS_CLUSTER_NODES: 'a:1,b' })).toMatch(/REDIS_CLUSTER_NODES: expected a comma list of host:port \(bad entry 'b'\)/);
    expect(problems({ REDIS_CLUSTER_NODES: 'a:70000' })).toMatch(/bad entry 'a:70000'/);
  });

  it('round-trips through the environment handed to child processes', () => {
    for (const config of [
      redisConfigFromEnv({ REDIS_URL: 'redis://h:1', REDIS_PASSWORD: 'p' }),
      redisConfigFromEnv({ REDIS_CLUSTER_NODES: 'a:1,b:2', REDIS_USERNAME: 'u', REDIS_PASSWORD: 'p', REDIS_TLS: '1' }),
      redisConfigFromEnv({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'm', REDIS_SENTINEL_TLS: 'yes', REDIS_SENTINEL_USERNAME: 'su' }),
    ]) {
      expect(redisConfigFromEnv(redisConfigToEnv(config))).toEqual(config);
    }
  });

  it('extends an entry point schema, so one message lists Redis and other problems', () => {
    const schema = withRedisEnv({ PORT: env.port.default(3000) });
    expect(loadConfig(schema, { REDIS_CLUSTER_NODES: 'a:1' })).toEqual({
      PORT: 3000,
      REDIS_CLUSTER_NODES: [{ host: 'a', port: 1 }],
      redis: { mode: 'cluster', nodes: [{ host: 'a', port: 1 }] },
    });
    expect(() => loadConfig(schema, { PORT: 'x', REDIS_CLUSTER_NODES: 'x' })).toThrow(/REDIS_CLUSTER_NODES: [\s\S]*PORT: /);
  });

  it('describes a connection without its credentials', () => {
    expect(describeRedis({ mode: 'single', url: 'redis://u:secret@h:1' })).toBe('redis://***@h:1');
    expect(describeRedis({ mode: 'cluster', nodes: [{ host: 'a', port: 1 }], password: 'secret', tls: {} })).toBe('cluster a:1 (TLS)');
    expect(describeRedis({ mode: 'sentinel', sentinels: [{ host: 's', port: 2 }], masterName: 'm', username: 'app' })).toBe(
      "sentinel master 'm' via s:2 as app",
    );
  });

  it('takes a URL or a configuration, exactly one', () => {
    expect(redisTarget({ redisUrl: 'redis://h:1' })).toEqual({ mode: 'single', url: 'redis://h:1' });
    expect(redisTarget({ redis: { mode: 'cluster', nodes: [{ host: 'a', port: 1 }] } })).toEqual({
      mode: 'cluster',
      nodes: [{ host: 'a', port: 1 }],
    });
    expect(() => redisTarget({})).toThrow(/exactly one/);
    expect(() => redisTarget({ redisUrl: 'redis://h:1', redis: { mode: 'single', url: 'redis://h:2' } })).toThrow(/exactly one/);
    expect(() => redisTarget({ redis: { mode: 'cluster', nodes: [] } })).toThrow();
  });
});
