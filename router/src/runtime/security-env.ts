import { ConfigError } from '@taskwire/shared/node';
import { z } from 'zod';
import { parseCorsOrigins } from './cors.ts';
import type { ApiServerOptions } from './server.ts';
import { parseSessionSecrets } from './sessions.ts';

const count = z.coerce.number().int().min(0).max(1_000);

/** The environment variables of the API's access settings (see {@link securityFromEnv}). */
export const securityEnv = {
  /** Signs dashboard sessions: one or more secrets (comma-separated, ≥ 32 characters; the first signs). Unset: a secret kept in Redis. */
  TASKWIRE_SESSION_SECRET: z.string().min(1).optional(),
  /** Proxies in front of the API that append to X-Forwarded-For (default 0: the socket's peer is the client). */
  TASKWIRE_TRUSTED_PROXIES: count.optional(),
  /** Wrong tokens per client address and minute before it is locked out for the rest of the minute (default 10). */
  TASKWIRE_AUTH_MAX_FAILURES: z.coerce.number().int().min(1).optional(),
  /** `public` serves /metrics to anyone; unset: an admin token or TASKWIRE_METRICS_TOKEN. */
  TASKWIRE_METRICS: z.enum(['public', 'token']).optional(),
  /** A token that may read /metrics and nothing else (for the scraper), at least 16 characters. */
  TASKWIRE_METRICS_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
  /** Origins whose pages may call the API from a browser, comma-separated (`https://app.example.com`); unset: none. */
  TASKWIRE_CORS_ORIGINS: z.string().optional(),
};

type SecurityConfig = { [K in keyof typeof securityEnv]?: z.output<(typeof securityEnv)[K]> };

/**
 * The access settings of `startApiServer` from the environment. Throws a ConfigError on a
 * session secret too short to resist guessing, or a CORS origin that is not one.
 *
 * @example
 * const config = loadConfigOrExit(withRedisEnv({ ...securityEnv }), 'taskwire-api');
 * await startApiServer({ registry, auth, ...securityFromEnv(config) });
 */
export function securityFromEnv(
  config: SecurityConfig,
): Pick<ApiServerOptions<never>, 'sessions' | 'trustedProxies' | 'authThrottle' | 'metricsAccess' | 'corsOrigins'> {
  let secrets: string[] | undefined;
  let corsOrigins: string[];
  try {
    secrets = parseSessionSecrets(config.TASKWIRE_SESSION_SECRET);
    corsOrigins = parseCorsOrigins(config.TASKWIRE_CORS_ORIGINS);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return {
    sessions: { secrets },
    trustedProxies: config.TASKWIRE_TRUSTED_PROXIES ?? 0,
    authThrottle: config.TASKWIRE_AUTH_MAX_FAILURES === undefined ? {} : { maxFailures: config.TASKWIRE_AUTH_MAX_FAILURES },
    metricsAccess: { public: config.TASKWIRE_METRICS === 'public', token: config.TASKWIRE_METRICS_TOKEN },
    corsOrigins,
  };
}
