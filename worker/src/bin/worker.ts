/**
 * `taskwire-worker --family <name> [--config file] [--concurrency N] [--grace-ms N]`: runs the
 * workers of one family of a deployment (several processes or hosts may run the same family). The
 * deployment — its registry and its handlers — comes from the config file (`--config`, default
 * `taskwire.config.{ts,mjs,js}` in the working directory; see `defineConfig`). Stops on
 * SIGTERM/SIGINT: takes no new jobs, lets in-flight jobs finish within the grace period, puts
 * back the rest.
 *
 * It exits within the grace period plus `SHUTDOWN_BOUND_MS` (2 s) whatever Redis does (down,
 * refusing connections, frozen): exit 0 when every job finished or went back to the queue; exit 1
 * with a `worker.unreturned` line naming the jobs whose return (or result) could not reach Redis.
 * Those come back by themselves once their lock expires, through BullMQ's stalled check.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';
import {
  ConfigError,
  describeRedis,
  env,
  type LoadedDeployment,
  loadConfigOrExit,
  loadDeployment,
  SHUTDOWN_BOUND_MS,
  settleWithin,
  withRedisEnv,
} from '@taskwire/shared/node';
import { z } from 'zod';
import type { FamilyHandlers } from '../runtime/handlers.ts';
import { createLogger, jobEventLogger } from '../runtime/logger.ts';
import { WorkerMetrics } from '../runtime/metrics.ts';
import { startFamilyWorker } from '../runtime/worker.ts';

const USAGE = `Usage: taskwire-worker --family <name> [--config file] [--concurrency N] [--grace-ms N]

--config: the deployment (registry and handlers); env TASKWIRE_CONFIG; default taskwire.config.ts, .mjs or .js here.

Environment: REDIS_URL (default redis://127.0.0.1:6379) or REDIS_CLUSTER_NODES (host:port,…) or
REDIS_SENTINELS (host:port,…) with REDIS_SENTINEL_MASTER; REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS,
REDIS_TLS_CA; TASKWIRE_PREFIX (default taskwire),
WORKER_GRACE_MS (default 30000), METRICS_PORT (serves /metrics and /healthz; unset = off, 0 = any free port),
METRICS_HOST (default 127.0.0.1), METRICS_TOKEN (when set, /metrics needs Authorization: Bearer <it>),
LOG_LEVEL (default info), plus whatever the deployment's handlers read.`;

function fail(message: string): never {
  console.error(`taskwire-worker: ${message}\n\n${USAGE}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        family: { type: 'string', short: 'f' },
        config: { type: 'string' },
        concurrency: { type: 'string', short: 'c' },
        'grace-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const config = loadConfigOrExit(
  withRedisEnv({
    TASKWIRE_PREFIX: env.prefix.default('taskwire'),
    WORKER_GRACE_MS: env.positiveInt.default(30_000),
    METRICS_PORT: env.port.optional(),
    // Metrics stay on this host unless an operator opens them (e.g. 0.0.0.0 inside a container network).
    METRICS_HOST: env.string.default('127.0.0.1'),
    /** When set, /metrics wants `Authorization: Bearer <METRICS_TOKEN>`. */
    METRICS_TOKEN: z.string().min(16, 'expected at least 16 characters').optional(),
  }),
  'taskwire-worker',
);

const deployment: LoadedDeployment = await loadDeployment(values.config ?? (process.env.TASKWIRE_CONFIG || undefined)).catch(
  (error: Error) => fail(error instanceof ConfigError ? error.message : `cannot load the config: ${error.message}`),
);
const { registry, handlers: handlersByFamily = {}, checkEnv, close: closeDeployment } = deployment.config;
const runnable = Object.keys(handlersByFamily).filter((name) => isFamilyHandlers(handlersByFamily[name as keyof typeof handlersByFamily]));
const familyName = values.family ?? fail(`--family is required (${runnable.join(', ') || 'no family has handlers'} in ${deployment.file})`);
const handlers = handlersByFamily[familyName as keyof typeof handlersByFamily];
if (!Object.hasOwn(registry, familyName))
  fail(`unknown family '${familyName}'; ${deployment.file} declares ${Object.keys(registry).join(', ')}`);
if (!isFamilyHandlers(handlers) || handlers.family.name !== familyName) {
  fail(`${deployment.file} has no handlers for the family '${familyName}' (handlers: ${runnable.join(', ') || 'none'})`);
}
const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) fail('--concurrency must be a positive integer');
const graceMs = values['grace-ms'] === undefined ? config.WORKER_GRACE_MS : Number(values['grace-ms']);
if (!(Number.isInteger(graceMs) && graceMs >= 0)) fail('--grace-ms must be a non-negative integer');

// The deployment checks what its services read, once: a typo stops the process instead of failing every job.
try {
  checkEnv?.(familyName);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`taskwire-worker: ${error.message}`);
  process.exit(2);
}

const logger = createLogger({ family: familyName });
const metrics = new WorkerMetrics();
const logJobEvent = jobEventLogger(logger);

const digest = (text: string) => createHash('sha256').update(text).digest();
const metricsToken = config.METRICS_TOKEN === undefined ? undefined : digest(config.METRICS_TOKEN);
/** Whether a request may read /metrics: anyone without METRICS_TOKEN, else its bearer (compared in constant time). */
const mayReadMetrics = (req: http.IncomingMessage) => {
  if (!metricsToken) return true;
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') === true && timingSafeEqual(digest(header.slice(7).trim()), metricsToken);
};

// /metrics and /healthz for Prometheus and orchestrators, when METRICS_PORT is set (0 picks a free port).
if (config.METRICS_PORT !== undefined) {
  http
    .createServer((req, res) => {
      if (req.url === '/metrics' && !mayReadMetrics(req)) {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
        res.end(JSON.stringify({ error: 'Send Authorization: Bearer <METRICS_TOKEN>' }));
      } else if (req.url === '/metrics') {
        metrics.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        });
      } else if (req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: stopping ? 'stopping' : 'ok', activeJobs: worker.activeJobs }));
      } else {
        res.writeHead(404).end();
      }
    })
    .listen(config.METRICS_PORT, config.METRICS_HOST, function (this: http.Server) {
      const address = this.address();
      logger.info(
        {
          event: 'metrics.listening',
          host: config.METRICS_HOST,
          port: typeof address === 'object' && address ? address.port : config.METRICS_PORT,
        },
        'serving /metrics',
      );
    })
    .unref();
}

const worker = await startFamilyWorker({
  handlers,
  redis: config.redis,
  prefix: config.TASKWIRE_PREFIX,
  concurrency,
  graceMs,
  registry,
  onEvent: (event) => {
    metrics.observe(event);
    logJobEvent(event);
  },
});
logger.info(
  { event: 'worker.started', concurrency: concurrency ?? handlers.family.options.concurrency, graceMs, redis: describeRedis(config.redis) },
  'worker started',
);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ event: 'worker.stopping', signal, activeJobs: worker.activeJobs, graceMs }, 'stopping');
  worker.close(graceMs).then(
    async ({ unreturned, forced }) => {
      // The deployment's own resources (mail pools…) get the same bound as everything else.
      await settleWithin(Promise.resolve(closeDeployment?.()), SHUTDOWN_BOUND_MS);
      if (unreturned.length > 0) {
        const lockMs = handlers.family.options.lockDurationMs;
        logger.error(
          { event: 'worker.unreturned', jobs: unreturned, lockDurationMs: lockMs },
          `${unreturned.length} job(s) could not be returned to the queue (their return or result did not reach Redis): ${unreturned.join(', ')}; ` +
            `they will be retried after their lock expires (${lockMs} ms), when a worker's stalled check puts them back`,
        );
      }
      logger.info({ event: 'worker.stopped', forced, unreturned: unreturned.length }, 'stopped');
      process.exit(unreturned.length > 0 ? 1 : 0);
    },
    (error: Error) => {
      logger.error({ event: 'worker.error', message: error.message }, error.message);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

function isFamilyHandlers(value: unknown): value is FamilyHandlers {
  const candidate = value as Partial<FamilyHandlers> | undefined;
  return typeof candidate?.family?.name === 'string' && typeof candidate.handlers === 'object' && candidate.handlers !== null;
}
