import net from 'node:net';
import { createClient } from '@taskwire/client';
import { SHUTDOWN_BOUND_MS, type SpawnedRedis, startRedisServer } from '@taskwire/shared/node';
import type { Families } from '@taskwire-example/reference/contracts';
import { families } from '@taskwire-example/reference/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { type Stack, startStack, uniquePrefix } from '../fixtures/harness.ts';
import { type Child, REFERENCE_CONFIG, spawnTs } from '../fixtures/processes.ts';
import { track, waitUntil } from '../fixtures/redis-processes.ts';
import { trackedRegistry } from '../fixtures/tracked.ts';
import { redisChildEnv, sleep, startTrackedWorker, trackedQueue, within } from './support.ts';

const GRACE_MS = 2_000;
/** `npm start` gives in-flight jobs 5 s. */
const START_GRACE_MS = 5_000;
/** Between the signal and the exit, on top of the guarantee: process exit and a loaded machine. */
const EXIT_SLACK_MS = 1_000;

/** Everything a test started, stopped whatever happened (children first: SIGKILL, then Redis). */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function ownRedis(): Promise<SpawnedRedis> {
  const redis = track(await startRedisServer());
  cleanups.push(() => redis.stop('SIGKILL'));
  return redis;
}

function spawn(file: string, args: string[], env: Record<string, string>): Child {
  const child = spawnTs(file, args, env);
  cleanups.push(() => child.stop('SIGKILL'));
  return child;
}

/** An SMTP server that never greets: an email job runs until it is stopped. Resolves with its URL. */
async function silentSmtp(): Promise<string> {
  const sockets = new Set<net.Socket>();
  const smtp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => smtp.close(resolve));
  });
  return `smtp://127.0.0.1:${(smtp.address() as net.AddressInfo).port}`;
}

/** An in-process API to enqueue through; closed within a bound (its Redis may be gone). */
async function enqueuer<const TRegistry extends Parameters<typeof startStack>[0]['registry']>(
  registry: TRegistry,
  redis: SpawnedRedis,
  prefix: string,
): Promise<Stack<TRegistry>> {
  const stack = await startStack({ registry, redisUrl: redis.url, prefix });
  cleanups.push(() => within(stack.api.close(), 5_000, 'closing the test API'));
  return stack;
}

/**
 * Sends SIGTERM and resolves with the exit code and how long the process took to exit (ms);
 * rejects with the process's output if it is still running after `timeoutMs`.
 */
async function terminate(child: Child, timeoutMs: number): Promise<{ code: number | null; ms: number }> {
  const signalled = performance.now();
  child.process.kill('SIGTERM');
  const exited = await Promise.race([child.exit().then((code) => ({ code })), sleep(timeoutMs).then(() => undefined)]);
  const ms = performance.now() - signalled;
  if (!exited) throw new Error(`still running ${ms.toFixed(0)} ms after SIGTERM; output:\n${child.lines.join('\n')}`);
  return { code: exited.code, ms };
}

describe(`shutdown while Redis is unreachable (bound: ${SHUTDOWN_BOUND_MS} ms past the grace period)`, () => {
  it('taskwire-worker with nothing in flight, Redis killed: SIGTERM exits within grace + bound with code 0', async () => {
    const redis = await ownRedis();
    const worker = spawn(
      'worker/src/bin/worker.ts',
      ['--config', REFERENCE_CONFIG, '--family', 'maintenance', '--grace-ms', String(GRACE_MS)],
      {
        ...redisChildEnv(redis.url),
        TASKWIRE_PREFIX: uniquePrefix('down'),
      },
    );
    await worker.waitFor(/"event":"worker.started"/, 30_000);
    await redis.stop('SIGKILL');

    const { code, ms } = await terminate(worker, GRACE_MS + SHUTDOWN_BOUND_MS + 10_000);
    console.log(`taskwire-worker, Redis killed, nothing in flight: exit code ${code} after ${ms.toFixed(0)} ms (grace ${GRACE_MS} ms)`);
    expect(code).toBe(0);
    expect(ms).toBeLessThanOrEqual(GRACE_MS + SHUTDOWN_BOUND_MS + EXIT_SLACK_MS);
    expect(worker.lines.some((l) => l.includes('"event":"worker.stopped"'))).toBe(true);
    expect(worker.lines.some((l) => l.includes('"event":"worker.unreturned"'))).toBe(false);
  });

  it('taskwire-worker with a job in flight, Redis killed: SIGTERM exits within grace + bound, non-zero, naming the job', async () => {
    const redis = await ownRedis();
    const prefix = uniquePrefix('down');
    const worker = spawn('worker/src/bin/worker.ts', ['--config', REFERENCE_CONFIG, '--family', 'email', '--grace-ms', String(GRACE_MS)], {
      ...redisChildEnv(redis.url),
      TASKWIRE_PREFIX: prefix,
      SMTP_URL: await silentSmtp(),
    });
    await worker.waitFor(/"event":"worker.started"/, 30_000);
    const stack = await enqueuer(families, redis, prefix);
    const ref = await stack.client.email.send.enqueue({ to: 'ada@example.com', subject: 'never sent', html: '<p>hi</p>' });
    await worker.waitFor(/"event":"job.started"/);
    await redis.stop('SIGKILL');

    const { code, ms } = await terminate(worker, GRACE_MS + SHUTDOWN_BOUND_MS + 10_000);
    const line = worker.lines.find((l) => l.includes('"event":"worker.unreturned"'));
    console.log(
      `taskwire-worker, Redis killed, 1 job in flight: exit code ${code} after ${ms.toFixed(0)} ms (grace ${GRACE_MS} ms); ${line}`,
    );
    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(ms).toBeLessThanOrEqual(GRACE_MS + SHUTDOWN_BOUND_MS + EXIT_SLACK_MS);
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ jobs: [ref.id] });
    expect(line).toMatch(/retried after (its|their) lock/);
  });

  it('a worker with a job in flight, Redis frozen (SIGSTOP): SIGTERM exits within grace + bound, non-zero, naming the job', async () => {
    const redis = await ownRedis();
    const prefix = uniquePrefix('frozen');
    const stack = await enqueuer(trackedRegistry, redis, prefix);
    const raw = trackedQueue(redis.url, prefix);
    cleanups.push(async () => raw.redis.disconnect());
    const worker = await startTrackedWorker(redis.url, prefix, { WORKER_GRACE_MS: String(GRACE_MS) });
    cleanups.push(() => worker.child.stop('SIGKILL'));
    const ref = await stack.client.tracked.work.enqueue({ n: 1, ms: 30_000 });
    await waitUntil(async () => (await raw.runs()).length === 1, 'the job started');
    process.kill(redis.pid, 'SIGSTOP');
    cleanups.push(async () => process.kill(redis.pid, 'SIGCONT'));

    const { code, ms } = await terminate(worker.child, GRACE_MS + SHUTDOWN_BOUND_MS + 10_000);
    const line = worker.child.lines.find((l) => l.includes('"event":"unreturned"'));
    console.log(
      `tracked worker, Redis frozen, 1 job in flight: exit code ${code} after ${ms.toFixed(0)} ms (grace ${GRACE_MS} ms); ${line}`,
    );
    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(ms).toBeLessThanOrEqual(GRACE_MS + SHUTDOWN_BOUND_MS + EXIT_SLACK_MS);
    expect(JSON.parse(line as string)).toMatchObject({ jobs: [ref.id] });
  });

  it('taskwire-api with a watcher open, Redis killed: SIGTERM exits within the bound with code 0', async () => {
    const redis = await ownRedis();
    const api = spawn('router/src/bin/api.ts', ['--config', REFERENCE_CONFIG], {
      ...redisChildEnv(redis.url),
      TASKWIRE_PREFIX: uniquePrefix('down'),
      PORT: '0',
      HOST: '127.0.0.1',
      TASKWIRE_AUTH: 'open',
    });
    const { url } = JSON.parse(await api.waitFor(/"event":"api.started"/, 30_000)) as { url: string };
    // No worker runs: the call waits on the family's event reader until the API goes away.
    const tw = createClient<Families>({ url });
    const abort = new AbortController();
    cleanups.push(async () => abort.abort());
    void tw.maintenance.healthCheck.run({ nonce: 'down', sentAt: new Date() }, { timeoutMs: 60_000, signal: abort.signal }).catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
    await redis.stop('SIGKILL');

    const { code, ms } = await terminate(api, SHUTDOWN_BOUND_MS + 10_000);
    console.log(`taskwire-api, Redis killed, 1 watcher: exit code ${code} after ${ms.toFixed(0)} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThanOrEqual(SHUTDOWN_BOUND_MS + EXIT_SLACK_MS);
  });

  it('npm start (DEMO=0) with its Redis killed: SIGTERM exits within 5 s + bound with code 0', async () => {
    const redis = await ownRedis();
    const start = spawn('examples/reference/start.ts', [], {
      ...redisChildEnv(redis.url),
      TASKWIRE_PREFIX: uniquePrefix('down'),
      PORT: '0',
      DEMO: '0',
    });
    await start.waitFor(/taskwire is serving at http:\/\/127\.0\.0\.1:\d+\/trpc/, 60_000);
    await redis.stop('SIGKILL');

    const { code, ms } = await terminate(start, START_GRACE_MS + SHUTDOWN_BOUND_MS + 10_000);
    console.log(`npm start, Redis killed: exit code ${code} after ${ms.toFixed(0)} ms (grace ${START_GRACE_MS} ms)`);
    expect(code).toBe(0);
    expect(ms).toBeLessThanOrEqual(START_GRACE_MS + SHUTDOWN_BOUND_MS + EXIT_SLACK_MS);
    expect(start.lines).toContain('stopped.');
  });

  it('npm start with a watched job in flight and its Redis killed: SIGTERM exits within 5 s + bound, non-zero, naming the job', async () => {
    const redis = await ownRedis();
    const start = spawn('examples/reference/start.ts', [], {
      ...redisChildEnv(redis.url),
      TASKWIRE_PREFIX: uniquePrefix('down'),
      PORT: '0',
      DEMO: '0',
      SMTP_URL: await silentSmtp(),
    });
    const serving = await start.waitFor(/taskwire is serving at http:\/\/127\.0\.0\.1:\d+\/trpc/, 60_000);
    const url = /(http:\S+\/trpc)/.exec(serving)?.[1] as string;
    const token = /^token\s+(\S+)/.exec(await start.waitFor(/^token\s/, 1))?.[1];
    const tw = createClient<Families>({ url, token });
    const ref = await tw.email.send.enqueue({ to: 'ada@example.com', subject: 'never sent', html: '<p>hi</p>' });
    // Watching keeps the API's event reader of the family open while Redis goes away.
    const abort = new AbortController();
    cleanups.push(async () => abort.abort());
    void (async () => {
      for await (const _ of tw.email.send.watch(ref.id, { signal: abort.signal }));
    })().catch(() => {});
    await waitUntil(async () => (await tw.email.send.get(ref.id)).state === 'active', 'the job running');
    await redis.stop('SIGKILL');

    const { code, ms } = await terminate(start, START_GRACE_MS + SHUTDOWN_BOUND_MS + 10_000);
    const line = start.lines.find((l) => l.includes('could not be returned to the queue'));
    console.log(
      `npm start, Redis killed, 1 job in flight: exit code ${code} after ${ms.toFixed(0)} ms (grace ${START_GRACE_MS} ms); ${line}`,
    );
    expect(code).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(START_GRACE_MS - 100);
    expect(ms).toBeLessThanOrEqual(START_GRACE_MS + SHUTDOWN_BOUND_MS + EXIT_SLACK_MS);
    expect(line).toContain(ref.id);
    expect(start.lines).toContain('stopped.');
  });
});
