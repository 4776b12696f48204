/**
 * `taskwire-api [--config file]`: the HTTP API alone (tRPC at /trpc, /healthz, /readyz), for
 * deployments that run workers as separate services. It serves the registry of the deployment in
 * the config file (`--config`, default `taskwire.config.{ts,mjs,js}` in the working directory). Stops on SIGTERM/SIGINT within `SHUTDOWN_BOUND_MS` (2 s) whatever
 * Redis does (down, refusing connections, frozen): it closes its connections, or drops them once
 * the bound is reached, and exits 0 (the API holds no jobs, so nothing can be lost by stopping it;
 * 1 only if closing throws).
 */
import { parseArgs } from 'node:util';
import {
  ConfigError,
  describeRedis,
  env,
  loadConfigOrExit,
  loadDeployment,
  SHUTDOWN_BOUND_MS,
  settleWithin,
  withRedisEnv,
} from '@taskwire/shared/node';
import { z } from 'zod';
import { type AuthConfig, authFromEnv } from '../runtime/auth.ts';
import { type WaitReplicasOptions, waitReplicasEnv, waitReplicasFromEnv } from '../runtime/replica-wait.ts';
import { securityEnv, securityFromEnv } from '../runtime/security-env.ts';
import { type ApiServerOptions, startApiServer } from '../runtime/server.ts';

const USAGE = `Usage: taskwire-api [--config file]

--config: the deployment whose registry is served; env TASKWIRE_CONFIG; default taskwire.config.ts, .mjs or .js here.
Environment: see the README ("Configuration").`;

const args = (() => {
  try {
    return parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    console.error(`taskwire-api: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
})();
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

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

const deployment = await loadDeployment(args.config ?? (process.env.TASKWIRE_CONFIG || undefined)).catch((error: Error) => {
  console.error(`taskwire-api: ${error instanceof ConfigError ? error.message : `cannot load the config: ${error.message}`}`);
  process.exit(2);
});
const registry = deployment.config.registry;

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
  registry,
  redis: config.redis,
  prefix: config.TASKWIRE_PREFIX,
  port: config.PORT,
  host: config.HOST,
  auth,
  waitReplicas,
  ...(security satisfies Partial<ApiServerOptions<typeof registry>>),
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
