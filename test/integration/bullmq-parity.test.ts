/**
 * The API adds jobs without `Queue.add` (see router/src/runtime/job-writer.ts): through the queue's
 * BullMQ backend with a `JobJson`, and plain jobs straight to BullMQ's `addStandardJob` script with
 * arguments it encodes itself. This test is the guard for those shortcuts: for every kind of
 * enqueue the API makes, the job it stores must be byte for byte the job `Queue.add` stores for the
 * same name, data, options and clock, and the script arguments must be the backend's own — so a
 * BullMQ upgrade that changes either fails here, not in production.
 */
import { type EnqueueOptions, parseJobId } from '@taskwire/shared';
import { Queue } from 'bullmq';
import { type Cluster, Command, type Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { jobOptions } from '../../router/src/runtime/enqueue.ts';
import { startStack } from '../fixtures/harness.ts';
import { echo, labRegistry } from '../fixtures/lab.ts';

const input = (note: string) => ({ at: new Date('2026-01-02T03:04:05.678Z'), tags: new Map([['a', 1]]), big: 1n, note });

/** A job's hash, its state and the event it was added with (without the ids that differ). */
async function snapshot(client: Redis | Cluster, queue: Queue, bullId: string) {
  const hash = await client.hgetall(queue.toKey(bullId));
  const events = (await client.xrange(queue.keys.events as string, '-', '+')) as [string, string[]][];
  const added = events.filter(([, fields]) => fields[fields.indexOf('jobId') + 1] === bullId).map(([, fields]) => fields);
  return { hash, state: await queue.getJobState(bullId), added: added.map((f) => f.map((v) => (v === bullId ? '<id>' : v))) };
}

describe('jobs added by the API are stored as Queue.add stores them', () => {
  const cases: [string, EnqueueOptions | undefined][] = [
    ['contract defaults', undefined],
    ['attempts override', { attempts: 5 }],
    ['timeout (in the envelope only)', { timeoutMs: 5_000 }],
    ['delay', { delayMs: 60_000 }],
    ['run at', { runAt: new Date(Date.now() + 3_600_000) }],
    ['priority', { priority: 7 }],
    ['idempotency key (custom job id)', { idempotencyKey: 'parity' }],
  ];

  it.each(cases)('%s: single enqueue and enqueueMany', async (_label, options) => {
    await using stack = await startStack({ registry: labRegistry });
    const { hub } = stack.api;
    const ours = hub.queue('lab');
    const reference = new Queue(hub.keys.queueName('parity'), { connection: hub.redis, prefix: hub.keys.prefix });
    // Plain jobs take the writer's own encoding of BullMQ's script arguments; the others go
    // through the backend's addJobToTransaction, as in Queue.add.
    const viaBackend = vi.spyOn(ours.getBackend(), 'addJobToTransaction');
    const plain = options?.delayMs === undefined && !options?.runAt && !options?.priority && !options?.idempotencyKey;
    try {
      const single = await stack.client.lab.echo.enqueue(input('one'), options);
      const [many] = await stack.client.lab.echo.enqueueMany([
        { input: input('many'), options: options?.idempotencyKey ? { ...options, idempotencyKey: 'parity-many' } : options },
        { input: input('second') },
      ]);
      for (const ref of [single, many!]) {
        const bullId = parseJobId(ref.id)!.bullId;
        const stored = await snapshot(hub.redis, ours, bullId);
        const timestamp = Number(stored.hash.timestamp);
        // What the API gave Queue.add before: the envelope, the contract's options (with the
        // idempotency job id), at the same clock.
        const contract = jobOptions(echo, options, timestamp);
        const opts = options?.idempotencyKey ? { ...contract, jobId: bullId } : { ...contract };
        const now = vi.spyOn(Date, 'now').mockReturnValue(timestamp);
        let job: Awaited<ReturnType<Queue['add']>>;
        try {
          job = await reference.add(echo.name, JSON.parse(stored.hash.data as string), opts);
        } finally {
          now.mockRestore();
        }
        const expected = await snapshot(hub.redis, reference, job.id as string);
        expect(stored.hash).toEqual(expected.hash);
        expect(stored.state).toBe(expected.state);
        expect(stored.added).toEqual(expected.added);
        expect(stored.added.length).toBeGreaterThan(0);
      }
      // The second item of the enqueueMany has no options: always plain.
      expect(viaBackend).toHaveBeenCalledTimes(plain ? 0 : 2);
      console.log(
        `${_label} (${plain ? "the writer's own arguments" : 'addJobToTransaction'}): ${Object.keys((await snapshot(hub.redis, ours, parseJobId(single.id)!.bullId)).hash).length} hash fields identical`,
      );
    } finally {
      await reference.close();
    }
  });

  it("sends BullMQ's addStandardJob script exactly the arguments and bytes BullMQ builds for the same job", async () => {
    await using stack = await startStack({ registry: labRegistry });
    const writer = stack.api.hub.writer('lab');
    const backend = stack.api.hub.queue('lab').getBackend();
    const add = vi.spyOn(writer, 'add');
    await stack.client.lab.echo.enqueue(input('args'));
    await stack.client.lab.echo.enqueue(input('args'));
    const jobs = add.mock.calls.map(([job]) => job);
    expect(jobs).toHaveLength(2);
    const exec = vi.spyOn(backend, 'execCommand');
    for (const job of jobs) await backend.addJobToTransaction(await backend.client, job, '');
    const theirs = exec.mock.calls.filter(([, name]) => name === 'addStandardJob').map(([, , args]) => args as string[]);
    // Keys, packed argument list (name, timestamp, the nils), data and packed options, byte for byte.
    const ours = jobs.map((job) => writer.standardArgs(job));
    expect(ours).toEqual(theirs);
    // What goes on the wire: the script call with the keys written once, as ioredis writes the same call.
    const call = writer.scriptCall();
    if (stack.api.hub.redis.isCluster) expect(call).toBeUndefined();
    else {
      for (const [i, args] of ours.entries()) {
        const written = new Command('evalsha', [call!.sha, call!.numberOfKeys, ...theirs[i]!]).toWritable(undefined as never);
        expect(call!.encode(args!.slice(call!.numberOfKeys))).toEqual(Buffer.from(written));
      }
    }
    console.log(
      `addStandardJob: ${theirs[0]!.length} arguments identical to the backend's, for 2 jobs (the second with the cached encodings)${call ? ', and the bytes sent' : ''}`,
    );
  });
});
