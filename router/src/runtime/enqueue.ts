import {
  type AnyTask,
  contractJobOptions,
  type EnqueueOptions,
  encodeEnvelopeSized,
  type FlowWrite,
  flowJobOptions,
  formatJobId,
  type JobRef,
  TaskwireError,
} from '@taskwire/shared';
import { holdWrites } from '@taskwire/shared/node';
import type { JobJson, JobsOptions } from 'bullmq';
import { applyFlowWindows, joinedJobTimes, parkOnGate } from './flow-writes.ts';
import type { QueueHub } from './hub.ts';
import {
  type Claim,
  type KeyedJob,
  markWritten,
  newClaim,
  releaseUnwritten,
  settleClaims,
  takeClaims,
  type Write,
} from './idempotency-claims.ts';

/**
 * The enqueue write path: validated items in, JobRefs out. Each item is encoded into its envelope
 * and checked against its size limit before anything is written; keyed items go through their
 * idempotency claims (idempotency-claims.ts); the jobs are added through the queue's BullMQ
 * backend (job-writer.ts). Only the admission function (admission.ts) calls it: scopes, rate
 * budget, validation, metrics and traces are done there, once for every transport.
 */

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

/** A job ready to add: validated, encoded, within its size limit, with its idempotency claim. */
interface PreparedJob extends KeyedJob {
  /** The job as BullMQ's `Job.asJSON()` gives it to its backend: data as JSON, normalized options. */
  job: JobJson;
  /** For a task with flow control: its deduplication (see flow-writes.ts). */
  flow?: FlowWrite | undefined;
}

/** Per task, the job options of an enqueue without overrides: one object, so it is encoded once. */
const defaultJobOptions = new WeakMap<AnyTask, Readonly<JobsOptions>>();

/**
 * BullMQ job options from the contract defaults and the caller's overrides, in the normalized form
 * a BullMQ `Job` gives them (`attempts` first, `backoff` an object), so they are stored as
 * `Queue.add` would store them. Without overrides, the same frozen object for every call of a task.
 */
export function jobOptions(task: AnyTask, options: EnqueueOptions | undefined, now: number): Readonly<JobsOptions> {
  const delay = options?.delayMs ?? (options?.runAt ? Math.max(0, options.runAt.getTime() - now) : 0);
  if (options?.attempts === undefined && delay <= 0 && options?.priority === undefined) {
    let shared = defaultJobOptions.get(task);
    if (!shared) {
      shared = Object.freeze(contractJobOptions(task, undefined));
      defaultJobOptions.set(task, shared);
    }
    return shared;
  }
  const opts: JobsOptions = contractJobOptions(task, options?.attempts);
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
    const options = item.options;
    // A time to live counts from when the job may first run: its enqueue, or the end of its delay.
    const ttlMs = options?.ttlMs ?? task.defaults.ttlMs;
    const start = options?.runAt ? Math.max(now, options.runAt.getTime()) : now + (options?.delayMs ?? 0);
    const expiresAt = options?.expiresAt?.getTime() ?? (ttlMs === undefined ? undefined : start + ttlMs);
    encoded = encodeEnvelopeSized(task.version, item.input, {
      enqueuedAt: now,
      timeoutMs: options?.timeoutMs,
      traceparent,
      expiresAt,
      // The worker that takes a gated job finds its key here, as the enqueue gave it.
      flowKey: options?.flowKey,
    });
  } catch (error) {
    // superjson refuses keys such as `__proto__` or `constructor` (prototype pollution guard).
    throw new TaskwireError('INVALID_INPUT', `Input cannot be stored: ${(error as Error).message}`, { cause: error });
  }
  let opts = jobOptions(task, item.options, now);
  const data = JSON.stringify(encoded.envelope);
  if (opts.sizeLimit !== undefined && encoded.maxBytes > opts.sizeLimit && Buffer.byteLength(data) > opts.sizeLimit) {
    throw new TaskwireError('PAYLOAD_TOO_LARGE', `The ${task.name} payload exceeds ${opts.sizeLimit} bytes`);
  }
  const key = item.options?.idempotencyKey;
  let claim: Claim | undefined;
  if (key !== undefined) {
    const claimed = newClaim(hub, task, key, now);
    claim = claimed.claim;
    opts = { ...opts, jobId: claimed.jobId };
  }
  if (!task.flow) {
    if (item.options?.flowKey !== undefined)
      throw new TaskwireError('INVALID_INPUT', `${task.id} has no flow control: flowKey is not accepted`);
    return claim ? { index, job: asJobJson(task.name, data, opts, now), claim } : { index, job: asJobJson(task.name, data, opts, now) };
  }
  const planned = flowJobOptions(task, item.input, opts, now, item.options?.flowKey);
  return { index, job: asJobJson(task.name, data, planned.opts, now), claim, flow: planned.flow };
}

/**
 * What BullMQ's `Job.asJSON()` returns for a new job, built without a `Job` (whose constructor and
 * `asJSON` cost more than the rest of the API's per-job work): the backend stores the same hash.
 */
function asJobJson(name: string, data: string, opts: JobsOptions, timestamp: number): JobJson {
  const json: JobJson = {
    id: opts.jobId ?? '',
    name,
    data,
    opts,
    timestamp,
    progress: 0,
    attemptsMade: 0,
    attemptsStarted: 0,
    stalledCounter: 0,
    failedReason: 'null',
    stacktrace: 'null',
    returnvalue: 'null',
  };
  // What tells BullMQ's scripts the deduplication key (flow control; see flow-writes.ts).
  if (opts.deduplication) json.deduplicationId = opts.deduplication.id;
  return json;
}

function refOf(task: AnyTask, bullId: string, enqueuedAt: number, deduplicated: boolean): JobRef {
  return { id: formatJobId(task.family, bullId), task: task.id, enqueuedAt: new Date(enqueuedAt), deduplicated };
}

/**
 * Enqueues validated items of one task: idempotency claims in one pipeline, then every new job
 * through the queue's BullMQ backend (pipelined for many). Returns a JobRef per item, in order.
 * An item over its size limit or with input superjson refuses fails the whole call before
 * anything is written. Not exported from the package: callers go through admission.
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
 * Adds prepared jobs of one task (their `index` is their position in `prepared`): the claims of
 * keyed jobs first (see idempotency-claims.ts; a job whose key is held already answers with the
 * holder's job), then every new job (see {@link addInChunks}). Returns a JobRef per job, in order.
 */
async function addJobs(hub: QueueHub, task: AnyTask, prepared: readonly PreparedJob[], settings: EnqueueSettings): Promise<JobRef[]> {
  const [only] = prepared;
  if (prepared.length === 1 && only && !only.claim && !only.flow) {
    // Nearly every enqueue: one job, no idempotency key. Its write shares the turn's socket write.
    holdWrites(hub.redis);
    const id = await hub.run(() => hub.writer(task.family).add(only.job));
    if (hub.waitsForReplicas) await hub.replicated();
    return [refOf(task, id, only.job.timestamp, false)];
  }
  const refs: (JobRef | undefined)[] = new Array(prepared.length);
  const keyed = prepared.filter((p) => p.claim);
  const claims = keyed.length > 0 ? await takeClaims(hub, keyed, settings.idempotencyTtlMs) : undefined;
  for (const { job, bullId, enqueuedAt } of claims?.held ?? []) refs[job.index] = refOf(task, bullId, enqueuedAt, true);
  const toAdd = claims ? prepared.filter((p) => !p.claim || claims.ours.has(p)) : prepared;
  if (toAdd.length > 0) {
    const writes: Write<PreparedJob>[] = [];
    try {
      // Single enqueues of one frame share one write; a bulk is one write already, and its
      // chunks must leave at once so Redis works on one while the next is encoded.
      if (task.flow) await applyFlowWindows(hub, task, toAdd);
      if (toAdd.length === 1) holdWrites(hub.redis);
      const ids = await hub.run(() => addInChunks(hub, task.family, toAdd, writes, settings.idempotencyTtlMs));
      // A repeat that flow control joined to an earlier job answers that job, as enqueued then.
      const written = toAdd.map((p, i) => ({ ...p, id: ids[i] as string }));
      const joined = task.flow ? await joinedJobTimes(hub, task.family, written) : [];
      // A job waiting on a concurrency or rate limit is queued by key, and promoted if there is room.
      if (task.flowSettings?.kind === 'gate') await parkOnGate(hub, task, written);
      ids.forEach((id, i) => {
        const { index, job } = toAdd[i] as PreparedJob;
        const joinedAt = joined[i];
        refs[index] = refOf(task, id, joinedAt ?? job.timestamp, joinedAt !== undefined);
      });
    } catch (error) {
      if (claims && claims.ours.size > 0) releaseUnwritten(hub, toAdd, writes);
      throw error;
    }
  }
  if (claims) await settleClaims(hub, task, claims, settings.idempotencyTtlMs);
  // With `waitReplicas`, acknowledged means on the replicas. The jobs are stored by now, so their
  // claims stay if the replicas do not confirm in time: a retry with the same key finds the job
  // and waits for the replicas again.
  if (hub.waitsForReplicas) await hub.replicated();
  return refs as JobRef[];
}

/** Jobs per pipeline when a call carries many: Redis runs one chunk while the next is encoded. */
const CHUNK = 100;

/**
 * Adds the jobs (see job-writer.ts: the same scripts, arguments and stored hash as `Queue.add`
 * / `addBulk`, without a `Job` object per job) and returns their BullMQ ids; each write it starts
 * goes into `writes`. Once a write is answered, the claims of its jobs get the full idempotency TTL
 * (`ttlMs`; see {@link markWritten}). A call with many jobs goes in pipelines of {@link CHUNK} sent
 * back to back, so Redis works on the first while the rest are still being encoded. Sizes were
 * checked when the jobs were prepared, so an oversized job never leaves earlier chunks behind.
 */
async function addInChunks(
  hub: QueueHub,
  family: string,
  jobs: readonly PreparedJob[],
  writes: Write<PreparedJob>[],
  ttlMs: number,
): Promise<string[]> {
  const writer = hub.writer(family);
  if (jobs.length === 1) {
    const job = jobs[0] as PreparedJob;
    const done = writer.add(job.job);
    writes.push({ jobs, one: done });
    const id = await done;
    if (job.claim) await markWritten(hub, family, [[job.claim, id]], ttlMs);
    return [id];
  }
  const chunks: Promise<string[]>[] = [];
  for (let start = 0; start < jobs.length; start += CHUNK) {
    const chunk = jobs.slice(start, start + CHUNK);
    const settled = writer.addMany(chunk.map(jobOf));
    writes.push({ jobs: chunk, each: settled });
    chunks.push(
      settled.then(async (results) => {
        const ids = results.map((r) => {
          if ('error' in r) throw r.error;
          return r.id;
        });
        const written = chunk.flatMap((p, i) => (p.claim ? [[p.claim, ids[i] as string] as const] : []));
        if (written.length > 0) await markWritten(hub, family, written as (readonly [Claim, string])[], ttlMs);
        return ids;
      }),
    );
  }
  return (await Promise.all(chunks)).flat();
}

const jobOf = (p: PreparedJob) => p.job;
