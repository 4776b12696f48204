/**
 * `taskwire-api`: the HTTP API alone (tRPC at /trpc, /healthz, /readyz), for deployments that run
 * workers as separate services. Stops on SIGTERM/SIGINT within `SHUTDOWN_BOUND_MS` (2 s) whatever
 * Redis does (down, refusing connections, frozen): it closes its connections, or drops them once
 * the bound is reached, and exits 0 (the API holds no jobs, so nothing can be lost by stopping it;
 * 1 only if closing throws).
 */
import { describeRedis, env, loadConfigOrExit, SHUTDOWN_BOUND_MS, settleWithin, withRedisEnv } from '@taskwire/shared/node';
import { families } from '@taskwire/shared/tasks';
import { z } from 'zod';
import { type AuthConfig, authFromEnv } from '../runtime/auth.ts';
import { type WaitReplicasOptions, waitReplicasEnv, waitReplicasFromEnv } from '../runtime/replica-wait.ts';
import { securityEnv, securityFromEnv } from '../runtime/security-env.ts';
import { type ApiServerOptions, startApiServer } from '../runtime/server.ts';

const config = loadConfigOrExit(
  // Redis: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS (+ credentials and TLS); see withRedisEnv.
  withRedisEnv({
    TASKWIRE_PREFIX: env.prefix.default('taskwire'),
    PORT: env.port.default(3000),
    HOST: env.string.default('0.0.0.0'),
    TASKWIRE_TOKENS: env.string.optional(),
    TASKWIRE_API_TOKEN: env.string.optional(),
    TASKWIRE_AUTH: z.enum(['tokens', 'open']).optional(),
    ...waitReplicasEnv,
    ...securityEnv,
  }),
  'taskwire-api',
);

let auth: AuthConfig;
let waitReplicas: WaitReplicasOptions | undefined;
let security: ReturnType<typeof securityFromEnv>;
try {
  auth = authFromEnv(config).auth;
  waitReplicas = waitReplicasFromEnv(config);
  security = securityFromEnv(config);
} catch (error) {
  console.error(`taskwire-api: ${(error as Error).message}`);
  process.exit(2);
}
if (auth === 'open') console.warn('taskwire-api: TASKWIRE_AUTH=open — serving WITHOUT authentication (development only)');

const api = await startApiServer({
  registry: families,
  redis: config.redis,
  prefix: config.TASKWIRE_PREFIX,
  port: config.PORT,
  host: config.HOST,
  auth,
  waitReplicas,
  ...(security satisfies Partial<ApiServerOptions<typeof families>>),
});
console.log(
  JSON.stringify({
    time: new Date().toISOString(),
    level: 'info',
    event: 'api.started',
    url: `${api.url}/trpc`,
    redis: describeRedis(config.redis),
    pid: process.pid,
  }),
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // Closing the hub waits for Redis at most the same bound; this one also covers the HTTP side.
  let failed = false;
  const closed = api.close().catch(() => {
    failed = true;
  });
  settleWithin(closed, SHUTDOWN_BOUND_MS).then(() => process.exit(failed ? 1 : 0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
