import { createHash } from 'node:crypto';
import {
  type AnyTask,
  type EnqueueOptions,
  type Envelope,
  encodeEnvelopeSized,
  formatJobId,
  type JobRef,
  TaskwireError,
} from '@taskwire/shared';
import { holdWrites } from '@taskwire/shared/node';
import type { Job, JobsOptions, Queue } from 'bullmq';
import type { QueueHub } from './hub.ts';

export interface EnqueueSettings {
  /** How long an idempotency key is remembered (default 24 h). */
  idempotencyTtlMs: number;
}

export const DEFAULT_ENQUEUE_SETTINGS: EnqueueSettings = { idempotencyTtlMs: 24 * 3_600_000 };

/** One job to add, already validated. */
export interface EnqueueItem {
  input: unknown;
  options?: EnqueueOptions | undefined;
}

/** A job ready to add: validated, encoded, with its options and idempotency claim. */
interface PreparedJob {
  /** Position of the item in the call, where its JobRef goes. */
  index: number;
  name: string;
  data: Envelope;
  /** Upper bound of the size of `data` as JSON: below the size limit, no need to measure it. */
  maxBytes: number;
  opts: JobsOptions;
  enqueuedAt: number;
  /** Set for items with an idempotency key. */
  claim?: { key: string; value: string };
}

/** BullMQ job options from the contract defaults and the caller's overrides. */
export function jobOptions(task: AnyTask, options: EnqueueOptions | undefined, now: number): JobsOptions {
  const d = task.defaults;
  const opts: JobsOptions = {
    attempts: options?.attempts ?? d.attempts,
    backoff: { type: d.backoff.type, delay: d.backoff.delayMs },
    removeOnComplete: { count: d.keepCompleted },
    removeOnFail: { count: d.keepFailed },
    sizeLimit: d.maxPayloadBytes,
  };
  const delay = options?.delayMs ?? (options?.runAt ? Math.max(0, options.runAt.getTime() - now) : 0);
  if (delay > 0) opts.delay = delay;
  if (options?.priority !== undefined) opts.priority = options.priority;
  return opts;
}

/**
 * Encodes one validated item into a job. Throws INVALID_INPUT for input superjson refuses to
 * store, so one bad item fails alone, before anything is written.
 */
function prepareJob(
  hub: QueueHub,
  task: AnyTask,
  item: EnqueueItem,
  index: number,
  now: number,
  traceparent: string | undefined,
): PreparedJob {
  let encoded: ReturnType<typeof encodeEnvelopeSized>;
  try {
    encoded = encodeEnvelopeSized(task.version, item.input, { enqueuedAt: now, timeoutMs: item.options?.timeoutMs, traceparent });
  } catch (error) {
    // superjson refuses keys such as `__proto__` or `constructor` (prototype pollution guard).
    throw new TaskwireError('INVALID_INPUT', `Input cannot be stored: ${(error as Error).message}`, { cause: error });
  }
  const opts = jobOptions(task, item.options, now);
  const prepared: PreparedJob = { index, name: task.name, data: encoded.envelope, maxBytes: encoded.maxBytes, opts, enqueuedAt: now };
  const key = item.options?.idempotencyKey;
  if (key !== undefined) {
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 40);
    // A fresh BullMQ id per claim: once the claim expires, the same key enqueues a new job even
    // if the old one is still kept among finished jobs.
    const bullId = `i${digest.slice(0, 24)}-${now.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    opts.jobId = bullId;
    prepared.claim = { key: hub.keys.idempotency(task.family, task.name, digest), value: `${bullId}|${now}` };
  }
  return prepared;
}

function refOf(task: AnyTask, bullId: string, enqueuedAt: number, deduplicated: boolean): JobRef {
  return { id: formatJobId(task.family, bullId), task: task.id, enqueuedAt: new Date(enqueuedAt), deduplicated };
}

function parseClaim(value: string): { bullId: string; enqueuedAt: number } | undefined {
  const bar = value.lastIndexOf('|');
  if (bar <= 0) return undefined;
  return { bullId: value.slice(0, bar), enqueuedAt: Number(value.slice(bar + 1)) };
}

/**
 * Enqueues validated items of one task: idempotency claims in one pipeline, then every new job
 * in one pipelined `addBulk`. Returns a JobRef per item, in order.
 */
export async function enqueueItems(
  hub: QueueHub,
  task: AnyTask,
  items: readonly EnqueueItem[],
  settings: EnqueueSettings,
  /** W3C trace context to store in each envelope (the enqueue span's). */
  traceparent?: string,
): Promise<JobRef[]> {
  const now = Date.now();
  return addJobs(
    hub,
    task,
    items.map((item, index) => prepareJob(hub, task, item, index, now, traceparent)),
    settings,
  );
}

/**
 * Adds prepared jobs of one task (their `index` is their position in `prepared`): idempotency
 * claims in one pipeline, then every new job in one pipelined `addBulk` (refused as a whole,
 * before anything is written, if one job is over its size limit). Returns a JobRef per job, in
 * order.
 *
 * An idempotency key is claimed with `SET NX` before the job is added; a repeat finds the claim
 * and returns the first JobRef with `deduplicated: true`. If adding fails, the claims are
 * released so a retry by the caller is not mistaken for a duplicate.
 */
async function addJobs(hub: QueueHub, task: AnyTask, prepared: readonly PreparedJob[], settings: EnqueueSettings): Promise<JobRef[]> {
  const refs: (JobRef | undefined)[] = new Array(prepared.length);
  const toAdd: PreparedJob[] = [];
  const claimed = new Set<PreparedJob>();
  const withClaim = prepared.filter((p) => p.claim);

  if (withClaim.length > 0) {
    await hub.run(async () => {
      const pipeline = hub.redis.pipeline();
      for (const p of withClaim) {
        const claim = p.claim as { key: string; value: string };
        pipeline.set(claim.key, claim.value, 'PX', settings.idempotencyTtlMs, 'NX').get(claim.key);
      }
      const results = (await pipeline.exec()) ?? [];
      withClaim.forEach((p, i) => {
        const [setError, setReply] = results[2 * i] ?? [];
        const [getError, holder] = results[2 * i + 1] ?? [];
        if (setError || getError) throw setError ?? getError;
        if (setReply === 'OK') {
          claimed.add(p);
          return;
        }
        // Someone (possibly an earlier item of this batch) holds the key: return its job.
        const claim = typeof holder === 'string' ? parseClaim(holder) : undefined;
        if (!claim) throw new TaskwireError('QUEUE_UNAVAILABLE', 'Idempotency claim vanished; retry the request');
        refs[p.index] = refOf(task, claim.bullId, claim.enqueuedAt, true);
      });
    });
  }

  for (const p of prepared) if (!p.claim || claimed.has(p)) toAdd.push(p);
  if (toAdd.length > 0) {
    const queue = hub.queue(task.family);
    try {
      // Single enqueues of one frame share one write; a bulk is one write already, and its
      // chunks must leave at once so Redis works on one while the next is encoded.
      if (toAdd.length === 1) holdWrites(hub.redis);
      const jobs = await hub.run(() => addInChunks(queue, toAdd));
      jobs.forEach((job, i) => {
        const p = toAdd[i] as PreparedJob;
        refs[p.index] = refOf(task, job.id as string, p.enqueuedAt, false);
      });
    } catch (error) {
      if (claimed.size > 0) {
        await hub.redis.del(...[...claimed].map((p) => p.claim!.key)).catch(() => {});
      }
      throw error;
    }
  }
  return refs as JobRef[];
}

/** Jobs per pipeline when a call carries many: Redis runs one chunk while the next is encoded. */
const CHUNK = 100;

/**
 * `addBulk` in chunks sent back to back, so Redis works on the first while the rest are still
 * being encoded, instead of waiting for the whole call to be encoded. BullMQ refuses an oversized
 * job while encoding its chunk, after earlier chunks were sent, so sizes are checked first: as
 * with one `addBulk`, an oversized job means nothing is added.
 */
async function addInChunks(queue: Queue, jobs: readonly PreparedJob[]): Promise<Job[]> {
  if (jobs.length === 1) return [await queue.add(jobs[0]!.name, jobs[0]!.data, jobs[0]!.opts)];
  if (jobs.length <= CHUNK) return queue.addBulk(jobs.map(({ name, data, opts }) => ({ name, data, opts })));
  for (const { data, opts, name, maxBytes } of jobs) {
    if (opts.sizeLimit === undefined || maxBytes <= opts.sizeLimit) continue;
    if (Buffer.byteLength(JSON.stringify(data)) > opts.sizeLimit) {
      throw new TaskwireError('PAYLOAD_TOO_LARGE', `The ${name} payload exceeds ${opts.sizeLimit} bytes`);
    }
  }
  const chunks: Promise<Job[]>[] = [];
  for (let start = 0; start < jobs.length; start += CHUNK) {
    chunks.push(queue.addBulk(jobs.slice(start, start + CHUNK).map(({ name, data, opts }) => ({ name, data, opts }))));
  }
  return (await Promise.all(chunks)).flat();
}
