import { createHash } from 'node:crypto';
import {
  type AnyTask,
  contractJobOptions,
  type EnqueueOptions,
  encodeEnvelopeSized,
  formatJobId,
  type JobRef,
  TaskwireError,
} from '@taskwire/shared';
import { holdWrites } from '@taskwire/shared/node';
import type { JobJson, JobsOptions } from 'bullmq';
import type { QueueHub } from './hub.ts';
import type { AddResult, JobWriter } from './job-writer.ts';

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
interface PreparedJob {
  /** Position of the item in the call, where its JobRef goes. */
  index: number;
  /** The job as BullMQ's `Job.asJSON()` gives it to its backend: data as JSON, normalized options. */
  job: JobJson;
  /** Set for items with an idempotency key. */
  claim?: { key: string; value: string };
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
    encoded = encodeEnvelopeSized(task.version, item.input, { enqueuedAt: now, timeoutMs: item.options?.timeoutMs, traceparent });
  } catch (error) {
    // superjson refuses keys such as `__proto__` or `constructor` (prototype pollution guard).
    throw new TaskwireError('INVALID_INPUT', `Input cannot be stored: ${(error as Error).message}`, { cause: error });
  }
  let opts = jobOptions(task, item.options, now);
  const data = JSON.stringify(encoded.envelope);
  if (opts.sizeLimit !== undefined && encoded.maxBytes > opts.sizeLimit && Buffer.byteLength(data) > opts.sizeLimit) {
    throw new TaskwireError('PAYLOAD_TOO_LARGE', `The ${task.name} payload exceeds ${opts.sizeLimit} bytes`);
  }
  let claim: PreparedJob['claim'];
  const key = item.options?.idempotencyKey;
  if (key !== undefined) {
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 40);
    // A fresh BullMQ id per claim: once the claim expires, the same key enqueues a new job even
    // if the old one is still kept among finished jobs.
    const bullId = `i${digest.slice(0, 24)}-${now.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    opts = { ...opts, jobId: bullId };
    claim = { key: hub.keys.idempotency(task.family, task.name, digest), value: `${bullId}|${now}` };
  }
  const prepared: PreparedJob = { index, job: asJobJson(task.name, data, opts, now) };
  if (claim) prepared.claim = claim;
  return prepared;
}

/**
 * What BullMQ's `Job.asJSON()` returns for a new job, built without a `Job` (whose constructor and
 * `asJSON` cost more than the rest of the API's per-job work): the backend stores the same hash.
 */
function asJobJson(name: string, data: string, opts: JobsOptions, timestamp: number): JobJson {
  return {
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
 * through the queue's BullMQ backend (pipelined for many). Returns a JobRef per item, in order.
 * An item over its size limit or with input superjson refuses fails the whole call before
 * anything is written.
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
 * claims in one pipeline, then every new job (see {@link addInChunks}). Returns a JobRef per job,
 * in order.
 *
 * An idempotency key is claimed with `SET NX` before the job is added; a repeat finds the claim
 * and returns the first JobRef with `deduplicated: true` (for a claim taken moments ago, once its
 * job exists: see {@link awaitClaimedJobs}). If the call fails, the claims of jobs
 * that were not written are released, so a retry by the caller is not mistaken for a duplicate;
 * nothing in the failure path waits for Redis (see {@link releaseUnwritten}).
 */
async function addJobs(hub: QueueHub, task: AnyTask, prepared: readonly PreparedJob[], settings: EnqueueSettings): Promise<JobRef[]> {
  const [only] = prepared;
  if (prepared.length === 1 && only && !only.claim) {
    // Nearly every enqueue: one job, no idempotency key. Its write shares the turn's socket write.
    holdWrites(hub.redis);
    const id = await hub.run(() => hub.writer(task.family).add(only.job));
    if (hub.waitsForReplicas) await hub.replicated();
    return [refOf(task, id, only.job.timestamp, false)];
  }
  const refs: (JobRef | undefined)[] = new Array(prepared.length);
  const toAdd: PreparedJob[] = [];
  const claimed = new Set<PreparedJob>();
  const withClaim = prepared.filter((p) => p.claim);
  /** A claim held by a job added before (the last one found). */
  let found: { key: string; holder: string } | undefined;
  /** Claims of other calls that have not written their jobs yet (see {@link PENDING_CLAIM_MS}). */
  const pending: FoundClaim[] = [];
  // With an idempotency TTL this short, claims are not told apart: each counts as written.
  const pendingMs = Math.min(PENDING_CLAIM_MS, settings.idempotencyTtlMs);
  const tracksPending = settings.idempotencyTtlMs > PENDING_CLAIM_MS;

  if (withClaim.length > 0) {
    let sent: Promise<[Error | null, unknown][] | null> | undefined;
    try {
      await hub.run(async () => {
        const pipeline = hub.redis.pipeline();
        for (const p of withClaim) {
          const claim = p.claim as { key: string; value: string };
          pipeline.set(claim.key, claim.value, 'PX', pendingMs, 'NX').get(claim.key).pttl(claim.key);
        }
        sent = pipeline.exec();
        const results = (await sent) ?? [];
        const ours = new Set<string>();
        withClaim.forEach((p, i) => {
          const [setError, setReply] = results[3 * i] ?? [];
          const [getError, holder] = results[3 * i + 1] ?? [];
          const [ttlError, ttl] = results[3 * i + 2] ?? [];
          if (setError || getError || ttlError) throw setError ?? getError ?? ttlError;
          const key = (p.claim as { key: string; value: string }).key;
          if (setReply === 'OK') {
            claimed.add(p);
            ours.add(holder as string);
            return;
          }
          // Someone (possibly an earlier item of this call) holds the key: return its job.
          const claim = typeof holder === 'string' ? parseClaim(holder) : undefined;
          if (!claim) throw new TaskwireError('QUEUE_UNAVAILABLE', 'Idempotency claim vanished; retry the request');
          refs[p.index] = refOf(task, claim.bullId, claim.enqueuedAt, true);
          found = { key, holder: holder as string };
          // Written claims live for the idempotency TTL; a claim of this call is written below.
          if (tracksPending && isPending(ttl, claim.enqueuedAt) && !ours.has(found.holder)) pending.push({ ...found, ...claim });
        });
      });
    } catch (error) {
      // The call fails, so the claims it took (possibly only once Redis answers, after the
      // deadline) go: a claim left behind would send a retry to a job that was never written.
      sent?.then(
        (results) =>
          releaseClaims(
            hub,
            withClaim.filter((_, i) => results?.[3 * i]?.[1] === 'OK'),
          ),
        () => {},
      );
      throw error;
    }
  }
  for (const p of prepared) if (!p.claim || claimed.has(p)) toAdd.push(p);
  if (toAdd.length > 0) {
    const writes: Write[] = [];
    try {
      // Single enqueues of one frame share one write; a bulk is one write already, and its
      // chunks must leave at once so Redis works on one while the next is encoded.
      if (toAdd.length === 1) holdWrites(hub.redis);
      const ids = await hub.run(() => addInChunks(hub, task.family, toAdd, writes, settings.idempotencyTtlMs));
      ids.forEach((id, i) => {
        const { index, job } = toAdd[i] as PreparedJob;
        refs[index] = refOf(task, id, job.timestamp, false);
      });
    } catch (error) {
      if (claimed.size > 0) releaseUnwritten(hub, toAdd, writes);
      throw error;
    }
  }
  // Other calls' jobs are awaited only once this call's own are written: two calls whose keys
  // overlap in opposite order would otherwise each wait for the other until the deadline. From
  // here on this call's claims are written and stay, whatever happens.
  if (pending.length > 0) await awaitClaimedJobs(hub, task, pending, settings.idempotencyTtlMs);
  if (found && hub.waitsForReplicas) {
    // The job found may have been written on another connection, which this connection's WAIT
    // does not cover; a write of its own after it (the same claim again) makes it cover it.
    const { key, holder } = found;
    const touched = await hub.run(() => hub.redis.eval(TOUCH_CLAIM, 1, key, holder));
    if (touched !== 1) throw claimReleased();
  }
  // With `waitReplicas`, acknowledged means on the replicas. The jobs are stored by now, so their
  // claims stay if the replicas do not confirm in time: a retry with the same key finds the job
  // and waits for the replicas again.
  if (hub.waitsForReplicas) await hub.replicated();
  return refs as JobRef[];
}

/**
 * How long an idempotency claim lives until its job is written (ms); then it gets the full
 * idempotency TTL. A claim whose call died between claim and write (the API killed, Redis lost
 * between the two) thus frees its key after this, instead of answering for a job that does not
 * exist for the rest of the day; and a claim with more time left than this is known to be written.
 */
export const PENDING_CLAIM_MS = 30_000;

/**
 * True when a claim found has not had its job written yet: its TTL is still the short one, and it
 * was taken within twice that time (a written claim in its last seconds has a short TTL too, but
 * was taken long ago; the margin allows for clocks that differ between APIs).
 */
function isPending(ttl: unknown, takenAt: number): boolean {
  return typeof ttl === 'number' && ttl >= 0 && ttl <= PENDING_CLAIM_MS && Date.now() - takenAt < 2 * PENDING_CLAIM_MS;
}

/**
 * Gives a claim the full idempotency TTL, if it still holds `value` and its job exists (KEYS: claim,
 * job; ARGV: value, ttl ms). Returns 1 when it did.
 */
const WRITTEN_CLAIM =
  "if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('EXISTS', KEYS[2]) == 1 then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/** Rewrites a claim with its own value if it still holds it (a write on this connection); 1 when it did. */
const TOUCH_CLAIM = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') return 1 end return 0";

const claimReleased = () =>
  new TaskwireError('QUEUE_UNAVAILABLE', 'An earlier call with this idempotency key failed before writing its job; retry the request');

/** An idempotency claim held by another call, and the job it names. */
interface FoundClaim {
  key: string;
  holder: string;
  bullId: string;
  /** When the other call took it (epoch ms, that API's clock). */
  enqueuedAt: number;
}

/**
 * Waits, within this call's deadline, until the jobs of other calls' pending claims are written:
 * such a call may still be writing its job, or have failed and be about to release its claim, and
 * a JobRef must not name a job that never comes. A claim released meanwhile fails this call with
 * QUEUE_UNAVAILABLE (its retry then adds the job); so does a claim still pending at the deadline
 * (its retry finds the job, or adds it once the claim of a call that died has expired). A job
 * found stored under a claim still pending (its call lost the reply, and the TTL that follows it)
 * gets its claim's full TTL here.
 */
async function awaitClaimedJobs(hub: QueueHub, task: AnyTask, claims: readonly FoundClaim[], ttlMs: number): Promise<void> {
  const queue = hub.queue(task.family);
  const until = performance.now() + hub.deadlineMs;
  let waiting = claims;
  for (;;) {
    const results = await hub.run(() => {
      const pipeline = hub.redis.pipeline();
      for (const c of waiting) pipeline.eval(WRITTEN_CLAIM, 2, c.key, queue.toKey(c.bullId), c.holder, ttlMs).get(c.key).pttl(c.key);
      return pipeline.exec();
    });
    waiting = waiting.filter((c, i) => {
      const [writtenError, written] = results?.[3 * i] ?? [];
      const [getError, holder] = results?.[3 * i + 1] ?? [];
      const [ttlError, ttl] = results?.[3 * i + 2] ?? [];
      if (writtenError || getError || ttlError) throw writtenError ?? getError ?? ttlError;
      if (written === 1) return false;
      if (holder !== c.holder) throw claimReleased();
      return isPending(ttl, c.enqueuedAt);
    });
    if (waiting.length === 0) return;
    if (performance.now() >= until) {
      throw new TaskwireError('QUEUE_UNAVAILABLE', 'An earlier call with this idempotency key is still writing its job; retry the request');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Jobs per pipeline when a call carries many: Redis runs one chunk while the next is encoded. */
const CHUNK = 100;

/** A write on its way to Redis: the jobs it carries and its outcome (per job for a bulk write). */
type Write = { jobs: readonly PreparedJob[]; one: Promise<string> } | { jobs: readonly PreparedJob[]; each: Promise<AddResult[]> };

/**
 * Errors after which a command may or may not have run: its reply was lost with the connection.
 * A job whose write ends so keeps its (pending) claim: a repeat finds the job if it was stored,
 * and the claim expires on its own if it was not.
 */
const OUTCOME_UNKNOWN = /Connection is closed|ECONNRESET|EPIPE|ETIMEDOUT|Socket closed/i;

const NONE: readonly PreparedJob[] = [];

/** A job of a bulk write that Redis certainly did not store. */
const refused = (result: AddResult | undefined) => result !== undefined && 'error' in result && !OUTCOME_UNKNOWN.test(result.error.message);

/** The jobs a failed write certainly did not store: all of them, unless its outcome is unknown. */
const unlessUnknown = (jobs: readonly PreparedJob[]) => (error: unknown) =>
  OUTCOME_UNKNOWN.test(error instanceof Error ? error.message : String(error)) ? NONE : jobs;

/**
 * Adds the jobs (see {@link JobWriter}: the same scripts, arguments and stored hash as `Queue.add`
 * / `addBulk`, without a `Job` object per job) and returns their BullMQ ids; each write it starts
 * goes into `writes`. Once a write is answered, the claims of its jobs get the full idempotency TTL
 * (`ttlMs`) in Redis, if their jobs exist (see {@link WRITTEN_CLAIM}). A call with many jobs goes in pipelines of {@link CHUNK} sent back to back, so
 * Redis works on the first while the rest are still being encoded. Sizes were checked when the
 * jobs were prepared, so an oversized job never leaves earlier chunks behind.
 */
async function addInChunks(hub: QueueHub, family: string, jobs: readonly PreparedJob[], writes: Write[], ttlMs: number): Promise<string[]> {
  const writer = hub.writer(family);
  const jobKey = (id: string) => hub.queue(family).toKey(id);
  if (jobs.length === 1) {
    const job = jobs[0] as PreparedJob;
    const done = writer.add(job.job);
    writes.push({ jobs, one: done });
    const id = await done;
    if (job.claim) await hub.redis.eval(WRITTEN_CLAIM, 2, job.claim.key, jobKey(id), job.claim.value, ttlMs);
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
        const claimed = chunk.flatMap((p, i) => (p.claim ? [[p.claim, ids[i] as string] as const] : []));
        if (claimed.length > 0) {
          const extend = hub.redis.pipeline();
          for (const [claim, id] of claimed) extend.eval(WRITTEN_CLAIM, 2, claim.key, jobKey(id), claim.value, ttlMs);
          await extend.exec();
        }
        return ids;
      }),
    );
  }
  return (await Promise.all(chunks)).flat();
}

const jobOf = (p: PreparedJob) => p.job;

/** Deletes a claim only while it still holds this value (a late release must not free a key another call took since). */
const RELEASE_CLAIM = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/** Releases the idempotency claims of these jobs (those that have one), without waiting for Redis. */
function releaseClaims(hub: QueueHub, jobs: readonly PreparedJob[]): void {
  for (const p of jobs) {
    if (p.claim) hub.redis.eval(RELEASE_CLAIM, 1, p.claim.key, p.claim.value).catch(() => {});
  }
}

/**
 * After a failed call, releases the claims of the jobs that were not written, so that a retry is
 * not taken for a duplicate: at once for a job whose write never started, and for the others once
 * their write has failed. A write the deadline gave up on is still on the connection and lands if
 * Redis answers late (a stall, not an outage): its jobs keep their claims, or a retry with the same
 * key would add them a second time. So does a job whose write lost its connection (see
 * {@link OUTCOME_UNKNOWN}).
 */
function releaseUnwritten(hub: QueueHub, jobs: readonly PreparedJob[], writes: readonly Write[]): void {
  const started = new Set(writes.flatMap((w) => w.jobs));
  releaseClaims(
    hub,
    jobs.filter((p) => !started.has(p)),
  );
  for (const write of writes) {
    const unwritten =
      'one' in write
        ? write.one.then(() => NONE, unlessUnknown(write.jobs))
        : write.each.then((results) => write.jobs.filter((_, i) => refused(results[i])), unlessUnknown(write.jobs));
    void unwritten.then((jobs) => releaseClaims(hub, jobs));
  }
}
