/**
 * Fixtures for the service tests: temp dirs, a real Redis under a unique prefix with BullMQ
 * queues, hand-built handler contexts, a real local SMTP server. Everything is `await using`
 * disposable and leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnyTask, createKeys, type Keys, type Registry, type TaskProgress } from '@taskwire/shared';
import { createRedis } from '@taskwire/shared/node';
import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { inject } from 'vitest';
import { enqueueTask } from '../../worker/src/runtime/enqueue-task.ts';
import type { HandlerContext } from '../../worker/src/runtime/handlers.ts';

export function redisUrl(): string {
  return process.env.REDIS_URL ?? inject('redisUrl');
}

export interface TempDir extends AsyncDisposable {
  path: string;
}

/** A fresh directory under the OS temp dir, removed on dispose. */
export async function tempDir(label = 'svc'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `taskwire-${label}-`));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** Names in a directory, sorted; [] when it does not exist. */
export async function listDir(path: string): Promise<string[]> {
  return (await readdir(path).catch(() => [] as string[])).sort();
}

/** Sets environment variables for the life of the handle, then restores the previous values. */
export function withEnv(vars: Record<string, string | undefined>): Disposable {
  const previous = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  return { [Symbol.dispose]: () => apply(previous) };
}

/** What a job of a test queue does when a plain BullMQ worker runs it. */
export interface TestJob {
  name: string;
  /** Time the job takes, so durations are measurable. */
  ms?: number;
  fail?: boolean;
}

export interface RedisFixture extends AsyncDisposable {
  url: string;
  keys: Keys;
  redis: Redis;
  registry: Registry;
  /** The BullMQ queue of a family under this fixture's prefix (one per family, closed on dispose). */
  queue(family: string): Queue;
  /** Adds jobs to a family queue and runs them to completion or failure with a real BullMQ Worker. */
  runJobs(family: string, jobs: readonly TestJob[]): Promise<Job[]>;
  /** Progress reported through contexts made by {@link RedisFixture.context}, validated like the runtime does. */
  progress: unknown[];
  /** A handler context for `task`, as the worker runtime would build it (signal from `controller`). */
  context<TTask extends AnyTask>(task: TTask, controller?: AbortController): HandlerContext<TTask>;
}

/** A real Redis connection, key builder and queues under a prefix no other test uses. */
export async function redisFixture(registry: Registry = {}): Promise<RedisFixture> {
  const url = redisUrl();
  const keys = createKeys(`t-${randomBytes(5).toString('hex')}`);
  const redis = createRedis(url, 'worker', 'taskwire-test-services');
  const queues = new Map<string, Queue>();
  const progress: unknown[] = [];

  const queue = (family: string) => {
    let q = queues.get(family);
    if (!q) {
      q = new Queue(keys.queueName(family), { connection: redis, prefix: keys.prefix });
      queues.set(family, q);
    }
    return q;
  };

  const runJobs = async (family: string, jobs: readonly TestJob[]) => {
    const q = queue(family);
    const added = await q.addBulk(jobs.map((job) => ({ name: job.name, data: job, opts: { attempts: 1 } })));
    const pending = new Set(added.map((job) => job.id));
    const connection = createRedis(url, 'worker', 'taskwire-test-runner');
    const worker = new Worker(
      q.name,
      async (job: Job<TestJob>) => {
        await new Promise((resolve) => setTimeout(resolve, job.data.ms ?? 0));
        if (job.data.fail) throw new Error(`${job.name} failed on purpose`);
        return 'ok';
      },
      { connection, prefix: keys.prefix, concurrency: 4, autorun: false },
    );
    const finished = new Promise<void>((resolve) => {
      const settle = (job: Job | undefined) => {
        pending.delete(job?.id);
        if (pending.size === 0) resolve();
      };
      worker.on('completed', settle);
      worker.on('failed', settle);
    });
    void worker.run();
    try {
      await finished;
    } finally {
      await worker.close();
      connection.disconnect();
    }
    return Promise.all(added.map(async (job) => (await q.getJob(job.id as string)) as Job));
  };

  const context = <TTask extends AnyTask>(task: TTask, controller = new AbortController()): HandlerContext<TTask> => ({
    signal: controller.signal,
    async progress(value: TaskProgress<TTask>) {
      progress.push(task.progress.parse(value));
    },
    async log() {},
    job: { id: `${task.family}.1`, task: task.id, attempt: 1, attempts: 1, version: task.version, enqueuedAt: new Date() },
    redis,
    keys,
    registry,
    queue,
    enqueue: (other, input, options) => enqueueTask({ registry, queue }, other, input, options),
    // A service test runs a handler once, as one run of a job: its steps run in line.
    step: async (_name, fn) => fn(),
    sleep: () => Promise.reject(new Error('service tests do not sleep: use the test harness')),
    sleepUntil: () => Promise.reject(new Error('service tests do not sleep: use the test harness')),
    run: () => Promise.reject(new Error('service tests run no children: use the test harness')),
    runAll: (() => Promise.reject(new Error('service tests run no children: use the test harness'))) as HandlerContext['runAll'],
  });

  return {
    url,
    keys,
    redis,
    registry,
    queue,
    runJobs,
    progress,
    context,
    async [Symbol.asyncDispose]() {
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${keys.prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (found.length) await redis.unlink(...found);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

/** A message received by {@link smtpFixture}. */
export interface ReceivedMail {
  from: string;
  rcptTo: string[];
  raw: Buffer;
}

export interface SmtpFixture extends AsyncDisposable {
  url: string;
  messages: ReceivedMail[];
}

/** A real SMTP server on a free local port (no TLS, no auth) that keeps what it receives. */
export async function smtpFixture(): Promise<SmtpFixture> {
  const messages: ReceivedMail[] = [];
  const address = (a: SMTPServerAddress | false) => (a ? a.address : '');
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        messages.push({
          from: address(session.envelope.mailFrom),
          rcptTo: session.envelope.rcptTo.map(address),
          raw: Buffer.concat(chunks),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
