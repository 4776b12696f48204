/**
 * `npm start`: finds or starts Redis, starts the API and a worker for every family in this
 * process, runs a short demo through the typed client, then keeps serving until Ctrl-C.
 *
 * Ctrl-C or SIGTERM stops it within the workers' 5 s grace period plus `SHUTDOWN_BOUND_MS`,
 * whatever Redis does: exit 0 when every job finished or went back to the queue, exit 1 naming
 * the jobs whose return could not reach Redis (they are retried once their lock expires).
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@taskwire/client';
import { authFromEnv, securityEnv, securityFromEnv, startApiServer, waitReplicasEnv, waitReplicasFromEnv } from '@taskwire/router';
import {
  describeRedis,
  env,
  findOrStartRedis,
  freePort,
  loadConfigOrExit,
  type RedisConnectionConfig,
  SHUTDOWN_BOUND_MS,
  settleWithin,
  withRedisEnv,
} from '@taskwire/shared/node';
import { type FamilyWorker, startFamilyWorker, WorkerMetrics } from '@taskwire/worker';
import { buildWebApp } from '@taskwire-example/web/build';
import { startWebApp, type WebApp } from '@taskwire-example/web/server';
import { z } from 'zod';
import { families } from './contracts/index.ts';
import { closeServices, familyHandlers } from './handlers/index.ts';
import { serviceConfig } from './services/config.ts';

const say = (line = '') => console.log(line);

/** How long in-flight jobs may run after Ctrl-C before they are put back in the queue (ms). */
const GRACE_MS = 5_000;

async function main() {
  const config = loadConfigOrExit(
    withRedisEnv({
      PORT: env.port.default(3000),
      HOST: env.string.default('127.0.0.1'),
      TASKWIRE_PREFIX: env.prefix.default('taskwire'),
      TASKWIRE_TOKENS: env.string.optional(),
      TASKWIRE_API_TOKEN: env.string.optional(),
      TASKWIRE_AUTH: z.enum(['tokens', 'open']).optional(),
      ...waitReplicasEnv,
      ...securityEnv,
      /** DEMO=0 skips the demo. */
      DEMO: z.enum(['0', '1']).default('1'),
      /** Port of the example web app (0: any free port); WEB=0 does not serve it. */
      WEB_PORT: env.port.default(5173),
      WEB: z.enum(['0', '1']).default('1'),
    }),
    'npm start',
  );
  // The web app talks to the API from its own origin: unless told otherwise, the API allows that one.
  const webPort = config.WEB === '1' ? config.WEB_PORT || (await freePort()) : undefined;
  const webOrigins = webPort === undefined ? [] : webOriginsOf(config.HOST, webPort);
  if (webOrigins.length > 0 && config.TASKWIRE_CORS_ORIGINS === undefined) config.TASKWIRE_CORS_ORIGINS = webOrigins.join(',');
  let waitReplicas: ReturnType<typeof waitReplicasFromEnv>;
  let security: ReturnType<typeof securityFromEnv>;
  try {
    waitReplicas = waitReplicasFromEnv(config);
    security = securityFromEnv(config);
  } catch (error) {
    console.error(`npm start: ${(error as Error).message}`);
    process.exit(2);
  }

  // A cluster or sentinels named in the environment are used as given; a single node is found
  // or started (REDIS_URL, else 127.0.0.1:6379, else an embedded redis-server).
  let redis: { config: RedisConnectionConfig; where: string; stop(killAfterMs?: number): Promise<void> };
  if (config.redis.mode !== 'single') {
    redis = { config: config.redis, where: 'from the environment', stop: async () => {} };
  } else {
    try {
      const found = await findOrStartRedis();
      const where = {
        env: 'from REDIS_URL',
        local: 'found on 127.0.0.1:6379',
        embedded: 'embedded redis-server (temp dir, no persistence)',
      };
      redis = { config: { ...config.redis, url: found.url }, where: where[found.source], stop: (killAfterMs) => found.stop(killAfterMs) };
    } catch (error) {
      console.error((error as Error).message);
      process.exit(1);
    }
  }
  say(`redis   ${describeRedis(redis.config)}  (${redis.where})`);

  const { auth, generatedToken } = authFromEnv(config, { devToken: true });
  const workerMetrics = new WorkerMetrics({ processMetrics: false });
  const api = await startApiServer({
    registry: families,
    redis: redis.config,
    prefix: config.TASKWIRE_PREFIX,
    port: config.PORT,
    host: config.HOST,
    auth,
    waitReplicas,
    ...security,
    extraMetrics: [workerMetrics.registry],
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      console.error(`Port ${config.PORT} is in use; set PORT to another port (e.g. PORT=3001 npm start).`);
      process.exit(1);
    }
    throw error;
  });
  say(`api     ${api.url}/trpc   (health: ${api.url}/healthz, ready: ${api.url}/readyz)`);
  say(`admin   ${api.url}/admin/queues   (dashboard; sign in with an admin token)   metrics: ${api.url}/metrics (admin token)`);
  if (generatedToken) say(`token   ${generatedToken}   (admin; generated for this run — set TASKWIRE_TOKENS in production)`);
  const token = generatedToken ?? config.TASKWIRE_API_TOKEN;

  // The demo archives a directory of its own; with BACKUP_SOURCES unset (no directory may be
  // archived), that directory is the one this run allows.
  const demoSource = config.DEMO === '1' ? await mkdtemp(join(tmpdir(), 'taskwire-demo-')) : undefined;
  if (!process.env.BACKUP_SOURCES) {
    if (demoSource) process.env.BACKUP_SOURCES = demoSource;
    say(`backups may archive ${demoSource ?? 'nothing'}   (BACKUP_SOURCES unset; set it to the directories backups may read)`);
  }

  // Small reports finish in milliseconds: the web app's progress bar is paced to be followed by eye.
  if (webPort !== undefined) process.env.REPORTS_MIN_STEP_MS ??= '250';
  const workers: FamilyWorker[] = [];
  for (const handlers of Object.values(familyHandlers)) {
    workers.push(
      await startFamilyWorker({
        handlers: handlers as Parameters<typeof startFamilyWorker>[0]['handlers'],
        redis: redis.config,
        prefix: config.TASKWIRE_PREFIX,
        registry: families,
        graceMs: GRACE_MS,
        onEvent: (event) => workerMetrics.observe(event),
      }),
    );
  }
  say(`workers ${workers.map((w) => `${w.family.name}×${w.family.options.concurrency}`).join(', ')}`);

  let web: WebApp | undefined;
  if (webPort !== undefined) {
    try {
      await buildWebApp();
      web = await startWebApp({
        apiUrl: `${api.url}/trpc`,
        token,
        port: webPort,
        host: config.HOST,
        reportsDir: serviceConfig().REPORTS_DIR,
      });
      say(`web     ${web.url}   (example app: run a report with live progress, list recent jobs; the API allows its origin)`);
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? `port ${webPort} is in use (set WEB_PORT)` : (error as Error).message;
      say(`web     not served: ${reason}`);
    }
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping (in-flight jobs get ${GRACE_MS / 1000} s to finish)…`);
    // Each step is bounded, and the API and the embedded Redis get what is left of one budget.
    const deadline = Date.now() + GRACE_MS + SHUTDOWN_BOUND_MS;
    const left = () => Math.max(0, deadline - Date.now());
    await settleWithin(web?.close() ?? Promise.resolve(), left());
    const closed = await Promise.allSettled(workers.map((w) => w.close()));
    closeServices();
    await settleWithin(api.close(), left());
    await redis.stop(left());
    const unreturned = closed.flatMap((c) => (c.status === 'fulfilled' ? c.value.unreturned : []));
    for (const c of closed) if (c.status === 'rejected') say(`a worker failed to stop: ${(c.reason as Error).message}`);
    if (unreturned.length > 0) {
      say(
        `${unreturned.length} job(s) could not be returned to the queue (their return or result did not reach Redis): ` +
          `${unreturned.join(', ')}; they will be retried after their lock expires, when a worker's stalled check puts them back.`,
      );
    }
    say('stopped.');
    process.exit(unreturned.length > 0 || closed.some((c) => c.status === 'rejected') ? 1 : 0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  if (demoSource) {
    await demo(`${api.url}/trpc`, token, demoSource).catch((error: Error) => console.error(`demo failed: ${error.message}`));
  }
  say(`\ntaskwire is serving at ${api.url}/trpc — Ctrl-C to stop.`);
}

/** The origins a browser may load the web app from on this host (both names of the loopback address). */
function webOriginsOf(host: string, port: number): string[] {
  if (host === '0.0.0.0' || host === '::') return [];
  const names = host === '127.0.0.1' || host === 'localhost' ? ['127.0.0.1', 'localhost'] : [host.includes(':') ? `[${host}]` : host];
  return names.map((name) => `http://${name}:${port}`);
}

/** One typed task per family through the client, printing progress and results. */
async function demo(url: string, token: string | undefined, source: string) {
  const tw = createClient<typeof families>({ url, token });
  say('\n── demo: one task per family, through the typed client ──');

  const mail = await tw.email.send.run(
    { to: 'ada@example.com', subject: 'Welcome to taskwire', html: '<h1>Hello Ada</h1><p>Your account is ready.</p>' },
    { timeoutMs: 30_000, onProgress: (p) => say(`  email.send        progress: ${p.stage}`) },
  );
  say(
    `  email.send        → ${mail.transport} messageId=${mail.messageId} acceptedAt=${mail.acceptedAt.toISOString()}${mail.outboxPath ? ` file=${mail.outboxPath}` : ''}`,
  );

  const health = await tw.maintenance.healthCheck.run({ nonce: 'demo', sentAt: new Date() }, { timeoutMs: 10_000 });
  say(
    `  maintenance.healthCheck → worker pid ${health.worker.pid} on ${health.worker.host}, queue latency ${health.queueLatencyMs.toFixed(1)} ms`,
  );

  const now = new Date();
  const report = await tw.reports.generate.run(
    { title: 'Demo activity', from: new Date(now.getTime() - 86_400_000), to: new Date(now.getTime() + 60_000), bucket: 'hour' },
    {
      timeoutMs: 60_000,
      onProgress: (p) => say(`  reports.generate  progress: ${p.step}/${p.of} ${p.stage}${p.detail ? ` (${p.detail})` : ''}`),
    },
  );
  say(`  reports.generate  → ${report.rows} rows, ${report.bytes} bytes, sha256 ${report.sha256.slice(0, 16)}… at ${report.path}`);

  await mkdir(join(source, 'notes'), { recursive: true });
  await writeFile(join(source, 'README.txt'), 'taskwire demo backup\n');
  await writeFile(join(source, 'notes', 'today.txt'), `${now.toISOString()}\n`);
  const backup = await tw.backups.snapshot.run(
    { source, name: 'demo', keepLast: 3 },
    {
      timeoutMs: 60_000,
      onProgress: (p) => say(`  backups.snapshot  progress: ${p.stage}${p.files === undefined ? '' : ` (${p.files} files)`}`),
    },
  );
  say(`  backups.snapshot  → ${backup.files} files, ${backup.bytes} bytes, sha256 ${backup.sha256.slice(0, 16)}… at ${backup.path}`);
}

await main();
