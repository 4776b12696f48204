import { QueueHub } from '@taskwire/router';
import { TaskwireError } from '@taskwire/shared';
import { freePort, type RedisConnectionConfig, redisConfigFromEnv, startRedisServer } from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';
import { startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';
import { createTestCertificates } from '../fixtures/tls-certs.ts';

describe('Redis over TLS with an ACL user', () => {
  it('runs a round trip configured from REDIS_URL=rediss://… REDIS_USERNAME REDIS_PASSWORD REDIS_TLS_CA, and refuses wrong credentials or an unknown CA', async () => {
    await using certs = await createTestCertificates();
    const tlsPort = await freePort();
    // The plain port only answers the start-up PING (NOAUTH: the default user is off).
    const redis = await startRedisServer({
      args: [
        ...['--tls-port', String(tlsPort), '--tls-cert-file', certs.certFile, '--tls-key-file', certs.keyFile],
        ...['--tls-ca-cert-file', certs.caFile, '--tls-auth-clients', 'no'],
        ...['--user', 'default', 'off', '--user', 'app', 'on', '>s3cret', '~*', '&*', '+@all'],
      ],
    });
    try {
      const config = redisConfigFromEnv({
        REDIS_URL: `rediss://127.0.0.1:${tlsPort}`,
        REDIS_USERNAME: 'app',
        REDIS_PASSWORD: 's3cret',
        REDIS_TLS_CA: certs.caFile,
      });
      {
        await using stack = await startStack({ registry: labRegistry, handlers: [labHandlers], redis: config });
        expect(await stack.client.lab.steps.run({ count: 2, delayMs: 0 }, { timeoutMs: 10_000 })).toEqual({ done: 2 });
      }

      const refused = async (bad: RedisConnectionConfig) => {
        const hub = new QueueHub(labRegistry, { redis: bad });
        try {
          expect(await hub.waitUntilConnected(1_000)).toBe(false);
          const error = await hub.ping().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(TaskwireError);
          return (error as TaskwireError).code;
        } finally {
          await hub.close();
        }
      };
      expect(await refused({ ...config, password: 'wrong' })).toBe('QUEUE_UNAVAILABLE');
      expect(await refused({ ...config, tls: {} })).toBe('QUEUE_UNAVAILABLE');
    } finally {
      await redis.stop();
    }
  });
});
