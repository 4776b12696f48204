/**
 * The worker completes jobs without `Job.moveToCompleted` (see worker/src/runtime/job-completer.ts):
 * it sends BullMQ's `moveToFinished` script arguments it builds itself, with the finishing options
 * packed once per shape, and decodes the next job the script hands back with its stored options
 * decoded once per string. This test is the guard for that shortcut: the arguments must be the
 * backend's own byte for byte, the next job as BullMQ decodes it, and a job completed by the
 * worker stored as a stock BullMQ Worker stores it — so a BullMQ upgrade that changes any of it
 * fails here, not in production.
 */
import { createRequire } from 'node:module';
import { createRedis } from '@taskwire/shared/node';
import { Job, type JobsOptions, Queue, Worker, type WorkerOptions } from 'bullmq';
import { Command } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { JobCompleter } from '../../worker/src/runtime/job-completer.ts';
import { JobLedger, LedgerWorker } from '../../worker/src/runtime/job-ledger.ts';
import { dropPrefix, redisConfig, uniquePrefix } from '../fixtures/harness.ts';

/** BullMQ's own decoding of a `moveToFinished` reply (not in its public entry). */
const { raw2NextJobData } = createRequire(import.meta.url)('bullmq/dist/cjs/classes/redis-queue-backend.js') as {
  raw2NextJobData(reply: unknown[]): unknown[];
};

const prefix = uniquePrefix('completion');
const connection = createRedis(redisConfig(), 'worker', 'completion-parity');
/** On a Redis Cluster the worker keeps BullMQ's own calls (their keys route them): no bytes of its own. */
const onCluster = connection.isCluster;

afterAll(async () => {
  await dropPrefix(redisConfig(), prefix);
  connection.disconnect();
});

/** Buffers as hex, so a difference shows as bytes. */
const comparable = (args: unknown[]) => args.map((arg) => (Buffer.isBuffer(arg) ? `<${arg.toString('hex')}>` : arg));

function idleWorker(name: string, options: Partial<WorkerOptions> = {}): Worker {
  return new Worker(name, async () => undefined, { connection, prefix, autorun: false, ...options });
}

describe("the worker's completion arguments are BullMQ's", () => {
  const jobOptions: [string, JobsOptions][] = [
    ['defaults', {}],
    ['attempts and backoff', { attempts: 5, backoff: { type: 'exponential', delay: 100 } }],
    ['removeOnComplete true', { removeOnComplete: true }],
    ['removeOnComplete false', { removeOnComplete: false }],
    ['removeOnComplete count', { removeOnComplete: 10 }],
    ['removeOnComplete rule', { removeOnComplete: { age: 3_600, count: 1_000 } }],
    ['parent flags', { failParentOnFailure: true, ignoreDependencyOnFailure: true }],
    ['other parent flags', { continueParentOnFailure: true, removeDependencyOnFailure: true }],
  ];
  const workerOptions: [string, Partial<WorkerOptions>][] = [
    ['worker defaults', {}],
    [
      'worker keep rule, limiter, metrics, lock',
      { removeOnComplete: { count: 50 }, limiter: { max: 10, duration: 1_000 }, metrics: { maxDataPoints: 60 }, lockDuration: 5_000 },
    ],
    ['worker name', { name: 'w-1' }],
  ];
  const tokens = ['short', 'f1c2d3e4-5f60-4718-92a3-b4c5d6e7f809:17', 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(300), 'tökén'];

  it.each(workerOptions)('%s', async (_label, options) => {
    const worker = idleWorker(`{args-${_label.replaceAll(' ', '-').replaceAll(',', '')}}`, options);
    const queue = new Queue(worker.name, { connection, prefix });
    try {
      await worker.waitUntilReady();
      const completer = new JobCompleter(worker, connection);
      let compared = 0;
      for (const [, opts] of jobOptions) {
        for (const token of tokens) {
          for (const fetchNext of [true, false]) {
            // A job as the worker holds it (options decoded, defaults applied by the Job class).
            const job = new Job(queue, 'task', { n: 1 }, opts, `id-${compared}`);
            const value = JSON.stringify({ json: { n: compared } });
            const timestamp = 1_767_000_000_000 + compared;
            const now = vi.spyOn(Date, 'now').mockReturnValue(timestamp);
            let expected: unknown[];
            try {
              expected = worker.backend.moveToCompletedArgs(job, value, job.opts.removeOnComplete as boolean, token, fetchNext);
            } finally {
              now.mockRestore();
            }
            expect(comparable(completer.args(job, value, token, fetchNext, timestamp))).toEqual(comparable(expected));
            // The bytes sent: the script call with its slots filled, as ioredis writes the same call.
            const call = completer.scriptCall();
            if (onCluster) expect(call).toBeUndefined();
            else {
              const written = new Command('evalsha', [call!.sha, call!.numberOfKeys, ...(expected as string[])]).toWritable(
                undefined as never,
              );
              expect(call!.encode(completer.slotValues(job, value, token, fetchNext, timestamp))).toEqual(Buffer.from(written));
            }
            compared++;
          }
        }
      }
      // A second pass reads the packed options from the cache: still the same bytes.
      const job = new Job(queue, 'task', {}, jobOptions[5]![1], 'again');
      const now = vi.spyOn(Date, 'now').mockReturnValue(1);
      try {
        const expected = worker.backend.moveToCompletedArgs(job, 'null', job.opts.removeOnComplete as boolean, tokens[1]!, true);
        expect(comparable(completer.args(job, undefined, tokens[1]!, true, 1))).toEqual(comparable(expected));
      } finally {
        now.mockRestore();
      }
      expect(compared).toBe(jobOptions.length * tokens.length * 2);
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});

describe('the next job handed back is decoded as BullMQ decodes it', () => {
  it('plain, retried, delayed, prioritized, deduplicated, child and processed jobs', async () => {
    const name = '{decode}';
    const queue = new Queue(name, { connection, prefix });
    const worker = idleWorker(name);
    try {
      await worker.waitUntilReady();
      const completer = new JobCompleter(worker, connection);
      const parent = await queue.add('parent', { p: 1 }, { jobId: 'the-parent', delay: 60_000 });
      const jobs = [
        await queue.add('plain', { at: '2026-01-02T03:04:05.678Z', n: 1 }),
        await queue.add(
          'options',
          { n: 2 },
          { attempts: 3, backoff: 500, removeOnComplete: { age: 60, count: 5 }, removeOnFail: 10, keepLogs: 3 },
        ),
        await queue.add('delayed', { n: 3 }, { delay: 30_000 }),
        await queue.add('priority', { n: 4 }, { priority: 9 }),
        await queue.add('dedup', { n: 5 }, { deduplication: { id: 'd-1', ttl: 60_000 } }),
        await queue.add('child', { n: 6 }, { parent: { id: parent.id as string, queue: queue.qualifiedName }, failParentOnFailure: true }),
        await queue.add('traced', { n: 7 }, { telemetry: { metadata: '00-abc-def-01', omitContext: true } }),
      ];
      await jobs[0]!.updateProgress({ done: 3, of: 10 });
      await connection.hset(queue.toKey(jobs[1]!.id as string), {
        atm: '1',
        ats: '2',
        stc: '1',
        failedReason: 'boom',
        stacktrace: JSON.stringify(['Error: boom']),
        processedOn: '1767000000000',
        finishedOn: '1767000000500',
        pb: 'worker-a',
        returnvalue: '{"json":1}',
        defa: 'deferred',
      });
      let decoded = 0;
      for (const job of [parent, ...jobs]) {
        const hash = await connection.hgetall(queue.toKey(job.id as string));
        const fields = Object.entries(hash).flat();
        const reply = [fields, job.id, 0, 0];
        expect(completer.nextJob(reply)).toEqual(raw2NextJobData(reply));
        // The same stored options again: decoded once, the same (frozen) value.
        const [again] = completer.nextJob(reply);
        expect(Object.isFrozen(again?.opts)).toBe(true);
        decoded++;
      }
      for (const reply of [
        [0, '', 2_000, 0],
        [null, 'x', 0, 123],
      ])
        expect(completer.nextJob(reply)).toEqual(raw2NextJobData(reply));
      expect(decoded).toBe(jobs.length + 1);
      // More distinct stored options than the cache keeps (jobs with custom ids): still BullMQ's decoding.
      for (let i = 0; i < 600; i++) {
        const reply = [
          ['name', 'plain', 'data', '{}', 'opts', JSON.stringify({ jobId: `key-${i % 300}`, attempts: 1 + (i % 3) }), 'timestamp', '1'],
          `key-${i}`,
          0,
          0,
        ];
        expect(completer.nextJob(reply)).toEqual(raw2NextJobData(reply));
      }
    } finally {
      await worker.close();
      await queue.close();
    }
  });
});

describe('a job completed by the worker is stored as a stock BullMQ Worker stores it', () => {
  /** A job's hash without the fields that differ between two runs (clocks, the worker's name), and its state. */
  async function stored(queue: Queue, id: string) {
    const hash = await connection.hgetall(queue.toKey(id));
    for (const field of ['timestamp', 'processedOn', 'finishedOn', 'pb']) {
      if (field in hash) hash[field] = `<${field}>`;
    }
    // A failed attempt's stack trace names the worker's class: keep the error's message.
    if (hash.stacktrace) hash.stacktrace = JSON.stringify((JSON.parse(hash.stacktrace) as string[]).map((trace) => trace.split('\n')[0]));
    return { hash, state: await queue.getJobState(id) };
  }

  /** The queue's events, without their ids and clocks. */
  async function events(queue: Queue) {
    const entries = (await connection.xrange(queue.keys.events as string, '-', '+')) as [string, string[]][];
    return entries.map(([, fields]) => fields.map((value, i) => (fields[i - 1] === 'prev' || /^\d{13}$/.test(value) ? '<t>' : value)));
  }

  it('results, retries, keep rules and children, fetched one after another', async () => {
    const plans: { id: string; opts: JobsOptions }[] = [
      { id: 'plain', opts: {} },
      { id: 'retried', opts: { attempts: 2 } },
      { id: 'kept-by-count', opts: { removeOnComplete: 1 } },
      { id: 'removed', opts: { removeOnComplete: true } },
      { id: 'rule', opts: { removeOnComplete: { count: 2 } } },
      { id: 'last', opts: {} },
    ];
    const run = async (name: string, ours: boolean) => {
      const queue = new Queue(name, { connection, prefix });
      const parent = await queue.add('parent', {}, { jobId: 'parent', delay: 3_600_000 });
      for (const { id, opts } of plans) await queue.add('task', { id }, { ...opts, jobId: id });
      await queue.add('task', { id: 'child' }, { jobId: 'child', parent: { id: 'parent', queue: queue.qualifiedName } });
      let failedOnce = false;
      const processor = async (job: Job) => {
        if (job.id === 'retried' && !failedOnce) {
          failedOnce = true;
          throw new Error('first attempt fails');
        }
        return job.id === 'last' ? undefined : { json: { id: job.data.id, at: '2026-01-02T03:04:05.678Z' } };
      };
      const options = { connection, prefix, concurrency: 1, autorun: false };
      const worker = ours ? new LedgerWorker(new JobLedger(), name, processor, options) : new Worker(name, processor, options);
      const done = new Promise<void>((resolve) => {
        let completed = 0;
        worker.on('completed', () => {
          completed++;
          if (completed === plans.length + 1) resolve();
        });
      });
      void worker.run();
      await done;
      await worker.close();
      const ids = ['parent', ...plans.map((p) => p.id), 'child'];
      const jobs = Object.fromEntries(await Promise.all(ids.map(async (id) => [id, await stored(queue, id)] as const)));
      // Finished in the same order; jobs finished within one millisecond are listed by id.
      const completed = (await connection.zrange(queue.keys.completed as string, '0', '-1')).sort();
      const result = {
        jobs,
        completed,
        events: await events(queue),
        parentDependencies: await connection.hgetall(`${queue.toKey(parent.id as string)}:processed`),
      };
      await queue.close();
      return result;
    };
    const stock = await run('{stock}', false);
    const ours = await run('{ours}', true);
    const renamed = JSON.parse(JSON.stringify(ours).replaceAll(`${prefix}:{ours}`, `${prefix}:{stock}`));
    expect(renamed).toEqual(stock);
    expect(stock.completed.length).toBeGreaterThan(3);
    expect(stock.jobs.retried?.hash.atm).toBe('2');
    expect(Object.keys(stock.parentDependencies)).toHaveLength(1);
  });
});
