/** taskwire: the real API (`startApiServer`) serving the bench registry, behind an API token. */
import { hashToken, startApiServer } from '@taskwire/router';
import { benchFamily, benchRegistry } from '../contract.ts';

/**
 * As in production: a token scoped to the bench family, without a rate limit (a limit would
 * cap the figure, not measure it).
 */
export async function startTaskwireServer(redisUrl: string, token: string): Promise<{ url: string; close(): Promise<void> }> {
  const api = await startApiServer({
    registry: benchRegistry,
    redisUrl,
    port: 0,
    host: '127.0.0.1',
    auth: { tokens: [{ name: 'bench', sha256: hashToken(token), scopes: [`${benchFamily.name}:enqueue`, `${benchFamily.name}:read`] }] },
  });
  return { url: `${api.url}/trpc`, close: () => api.close() };
}
