import { createHash } from 'node:crypto';
import { type AnyTask, TaskwireError } from '@taskwire/shared';
import { classifyRedisError } from '@taskwire/shared/node';
import type { QueueHub } from './hub.ts';
import type { AddResult } from './job-writer.ts';
import { RELEASE_CLAIM, TOUCH_CLAIM, WRITTEN_CLAIM } from './redis-scripts.ts';

/**
 * Idempotency keys. An enqueue with a key claims it with `SET NX` before its job is added; a
 * repeat finds the claim and returns the first JobRef with `deduplicated: true` (for a claim taken
 * moments ago, once its job exists: see {@link awaitClaimedJobs}). If the call fails, the claims of
 * jobs that were not written are released, so a retry by the caller is not mistaken for a
 * duplicate; nothing in the failure path waits for Redis (see {@link releaseUnwritten}). The write
 * path (enqueue.ts) calls these in order: {@link newClaim} per keyed job, {@link takeClaims},
 * then its writes with {@link markWritten} after each, then {@link settleClaims}.
 */

/** An idempotency claim: its key, and the value that names its job (`<BullMQ id>|<enqueued at>`). */
export interface Claim {
  key: string;
  value: string;
}

/** A job of a call, by its position in the call, with its claim when it has an idempotency key. */
export interface KeyedJob {
  index: number;
  claim?: Claim | undefined;
}

/**
 * How long an idempotency claim lives until its job is written (ms); then it gets the full
 * idempotency TTL. A claim whose call died between claim and write (the API killed, Redis lost
 * between the two) thus frees its key after this, instead of answering for a job that does not
 * exist for the rest of the day; and a claim with more time left than this is known to be written.
 */
export const PENDING_CLAIM_MS = 30_000;

/**
 * The claim of an idempotency key for a job enqueued at `now`, and the BullMQ id its job gets: a
 * fresh id per claim, so that once the claim expires the same key enqueues a new job even if the
 * old one is still kept among finished jobs.
 */
export function newClaim(hub: QueueHub, task: AnyTask, idempotencyKey: string, now: number): { jobId: string; claim: Claim } {
  const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 40);
  const jobId = `i${digest.slice(0, 24)}-${now.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return { jobId, claim: { key: hub.keys.idempotency(task.family, task.name, digest), value: `${jobId}|${now}` } };
}

function parseClaim(value: string): { bullId: string; enqueuedAt: number } | undefined {
  const bar = value.lastIndexOf('|');
  if (bar <= 0) return undefined;
  return { bullId: value.slice(0, bar), enqueuedAt: Number(value.slice(bar + 1)) };
}

/**
 * True when a claim found has not had its job written yet: its TTL is still the short one, and it
 * was taken within twice that time (a written claim in its last seconds has a short TTL too, but
 * was taken long ago; the margin allows for clocks that differ between APIs).
 */
function isPending(ttl: unknown, takenAt: number): boolean {
  return typeof ttl === 'number' && ttl >= 0 && ttl <= PENDING_CLAIM_MS && Date.now() - takenAt < 2 * PENDING_CLAIM_MS;
}

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

/** What {@link takeClaims} found. */
export interface ClaimsTaken<TJob extends KeyedJob> {
  /** The jobs whose claim this call took: theirs to write. */
  ours: Set<TJob>;
  /** The jobs whose key is held already (possibly by an earlier job of this call), with the job it names. */
  held: { job: TJob; bullId: string; enqueuedAt: number }[];
  /** Claims of other calls that have not written their jobs yet (see {@link PENDING_CLAIM_MS}). */
  pending: FoundClaim[];
  /** A claim held by a job added before (the last one found). */
  found: { key: string; holder: string } | undefined;
}

/**
 * Claims the keys of these jobs (all with a claim) in one pipeline. If that fails, the claims it
 * took (possibly only once Redis answers, after the deadline) are released: a claim left behind
 * would send a retry to a job that was never written.
 */
export async function takeClaims<TJob extends KeyedJob>(hub: QueueHub, jobs: readonly TJob[], ttlMs: number): Promise<ClaimsTaken<TJob>> {
  const taken: ClaimsTaken<TJob> = { ours: new Set(), held: [], pending: [], found: undefined };
  // With an idempotency TTL this short, claims are not told apart: each counts as written.
  const pendingMs = Math.min(PENDING_CLAIM_MS, ttlMs);
  const tracksPending = ttlMs > PENDING_CLAIM_MS;
  let sent: Promise<[Error | null, unknown][] | null> | undefined;
  try {
    await hub.run(async () => {
      const pipeline = hub.redis.pipeline();
      for (const job of jobs) {
        const claim = job.claim as Claim;
        pipeline.set(claim.key, claim.value, 'PX', pendingMs, 'NX').get(claim.key).pttl(claim.key);
      }
      sent = pipeline.exec();
      const results = (await sent) ?? [];
      const ours = new Set<string>();
      jobs.forEach((job, i) => {
        const [setError, setReply] = results[3 * i] ?? [];
        const [getError, holder] = results[3 * i + 1] ?? [];
        const [ttlError, ttl] = results[3 * i + 2] ?? [];
        if (setError || getError || ttlError) throw setError ?? getError ?? ttlError;
        const key = (job.claim as Claim).key;
        if (setReply === 'OK') {
          taken.ours.add(job);
          ours.add(holder as string);
          return;
        }
        // Someone (possibly an earlier job of this call) holds the key: the call returns its job.
        const claim = typeof holder === 'string' ? parseClaim(holder) : undefined;
        if (!claim) throw new TaskwireError('QUEUE_UNAVAILABLE', 'Idempotency claim vanished; retry the request');
        taken.held.push({ job, ...claim });
        const found = { key, holder: holder as string };
        taken.found = found;
        // Written claims live for the idempotency TTL; a claim of this call is written by it.
        if (tracksPending && isPending(ttl, claim.enqueuedAt) && !ours.has(found.holder)) taken.pending.push({ ...found, ...claim });
      });
    });
  } catch (error) {
    sent?.then(
      (results) =>
        releaseClaims(
          hub,
          jobs.filter((_, i) => results?.[3 * i]?.[1] === 'OK'),
        ),
      () => {},
    );
    throw error;
  }
  return taken;
}

/**
 * Gives the claims of written jobs the full idempotency TTL (`ttlMs`) in Redis, if their jobs
 * exist (see {@link WRITTEN_CLAIM}): one script, or a pipeline of them for several.
 */
export async function markWritten(
  hub: QueueHub,
  family: string,
  written: readonly (readonly [Claim, string])[],
  ttlMs: number,
): Promise<void> {
  const queue = hub.queue(family);
  const [only] = written;
  if (written.length === 1 && only) {
    await hub.redis.eval(WRITTEN_CLAIM, 2, only[0].key, queue.toKey(only[1]), only[0].value, ttlMs);
    return;
  }
  const pipeline = hub.redis.pipeline();
  for (const [claim, id] of written) pipeline.eval(WRITTEN_CLAIM, 2, claim.key, queue.toKey(id), claim.value, ttlMs);
  await pipeline.exec();
}

/**
 * Once this call's own jobs are written: waits for other calls' pending claims (see
 * {@link awaitClaimedJobs}), and with `waitReplicas` makes this connection's `WAIT` cover the job
 * found under a claim. Other calls' jobs are awaited only now: two calls whose keys overlap in
 * opposite order would otherwise each wait for the other until the deadline. From here on this
 * call's claims are written and stay, whatever happens.
 */
export async function settleClaims(hub: QueueHub, task: AnyTask, taken: ClaimsTaken<KeyedJob>, ttlMs: number): Promise<void> {
  if (taken.pending.length > 0) await awaitClaimedJobs(hub, task, taken.pending, ttlMs);
  if (taken.found && hub.waitsForReplicas) {
    // The job found may have been written on another connection, which this connection's WAIT
    // does not cover; a write of its own after it (the same claim again) makes it cover it.
    const { key, holder } = taken.found;
    const touched = await hub.run(() => hub.redis.eval(TOUCH_CLAIM, 1, key, holder));
    if (touched !== 1) throw claimReleased();
  }
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

/** A write on its way to Redis: the jobs it carries and its outcome (per job for a bulk write). */
export type Write<TJob extends KeyedJob = KeyedJob> =
  | { jobs: readonly TJob[]; one: Promise<string> }
  | { jobs: readonly TJob[]; each: Promise<AddResult[]> };

const NONE: readonly KeyedJob[] = [];

/**
 * Whether Redis certainly did not store a job whose write ended with this error. A write whose
 * reply was lost with its connection (outcome unknown) may have stored it: such a job keeps its
 * (pending) claim, so a repeat finds the job if it was stored, and the claim expires on its own
 * if it was not.
 */
const notStored = (error: unknown) => classifyRedisError(error) !== 'outcome-unknown';

/** A job of a bulk write that Redis certainly did not store. */
const refused = (result: AddResult | undefined) => result !== undefined && 'error' in result && notStored(result.error);

/** The jobs a failed write certainly did not store: all of them, unless its outcome is unknown. */
const unlessUnknown = (jobs: readonly KeyedJob[]) => (error: unknown) => (notStored(error) ? jobs : NONE);

/** Releases the idempotency claims of these jobs (those that have one), without waiting for Redis. */
function releaseClaims(hub: QueueHub, jobs: readonly KeyedJob[]): void {
  for (const job of jobs) {
    if (job.claim) hub.redis.eval(RELEASE_CLAIM, 1, job.claim.key, job.claim.value).catch(() => {});
  }
}

/**
 * After a failed call, releases the claims of the jobs that were not written, so that a retry is
 * not taken for a duplicate: at once for a job whose write never started, and for the others once
 * their write has failed. A write the deadline gave up on is still on the connection and lands if
 * Redis answers late (a stall, not an outage): its jobs keep their claims, or a retry with the same
 * key would add them a second time. So does a job whose write lost its connection (see
 * {@link notStored}).
 */
export function releaseUnwritten(hub: QueueHub, jobs: readonly KeyedJob[], writes: readonly Write[]): void {
  const started = new Set(writes.flatMap((w) => w.jobs));
  releaseClaims(
    hub,
    jobs.filter((job) => !started.has(job)),
  );
  for (const write of writes) {
    const unwritten =
      'one' in write
        ? write.one.then(() => NONE, unlessUnknown(write.jobs))
        : write.each.then((results) => write.jobs.filter((_, i) => refused(results[i])), unlessUnknown(write.jobs));
    void unwritten.then((unstored) => releaseClaims(hub, unstored));
  }
}
