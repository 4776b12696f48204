import { findOrStartRedis, freePort, pingRedis } from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';
import { redisUrl } from '../fixtures/harness.ts';

describe('findOrStartRedis', () => {
  it('prefers REDIS_URL', async () => {
    const handle = await findOrStartRedis({ env: { REDIS_URL: 'redis://example:1' } });
    expect(handle).toMatchObject({ url: 'redis://example:1', source: 'env' });
  });

  it('uses a local Redis that answers', async () => {
    const port = Number(new URL(redisUrl()).port || 6379);
    const handle = await findOrStartRedis({ env: {}, localPort: port });
    expect(handle).toMatchObject({ url: `redis://127.0.0.1:${port}`, source: 'local' });
  });

  it('starts an embedded redis-server when nothing answers, and stops it', async () => {
    const silent = await freePort();
    const handle = await findOrStartRedis({ env: {}, localPort: silent });
    expect(handle.source).toBe('embedded');
    const port = Number(new URL(handle.url).port);
    expect(port).not.toBe(silent);
    expect(await pingRedis('127.0.0.1', port)).toBe(true);
    await handle.stop();
    expect(await pingRedis('127.0.0.1', port)).toBe(false);
  });

  it('says how to get Redis when there is none and no redis-server on PATH', async () => {
    const silent = await freePort();
    const error = await findOrStartRedis({ env: { PATH: '/nonexistent' }, localPort: silent }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/apt-get install -y redis-server/);
  });
});
