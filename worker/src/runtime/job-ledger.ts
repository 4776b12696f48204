import type { RedisConnection } from '@taskwire/shared/node';
import {
  DelayedError,
  type Job,
  type JobJson,
  type Processor,
  type Span,
  WaitingChildrenError,
  WaitingError,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import { JobCompleter } from './job-completer.ts';

/**
 * The jobs a worker process holds, from the moment BullMQ hands one over until BullMQ is done
 * with it, and whether its outcome (result, failure, return to the queue) reached Redis. A
 * shutdown that cannot reach Redis reads it to name the jobs it leaves behind: they are not lost
 * (their lock expires and BullMQ's stalled check puts them back) but the process must say so.
 *
 * @example
 * ledger.take(job.id);               // BullMQ hands the job over
 * ledger.settle(job.id);             // its completion reached Redis
 * ledger.release(job.id);            // BullMQ is done with it
 * ledger.close(() => {});            // from now on a job released unsettled is counted
 * ledger.unreturned();               // [] when every outcome reached Redis
 */
export class JobLedger {
  /** Bull id → whether the job's outcome reached Redis. */
  private readonly held = new Map<string, boolean>();
  /** Jobs released during the shutdown without their outcome written. */
  private readonly left: string[] = [];
  private closing = false;
  private onDrained: (() => void) | undefined;

  take(bullId: string): void {
    this.held.set(bullId, false);
  }

  /** The job's outcome is in Redis (completed, failed, or moved back to wait or delayed). */
  settle(bullId: string): void {
    if (this.held.has(bullId)) this.held.set(bullId, true);
  }

  /**
   * BullMQ is done with the job. Released unsettled while the worker runs, the job was taken from
   * it (its lock lost): not this process's to return. While closing, its outcome could not be written.
   */
  release(bullId: string): void {
    const settled = this.held.get(bullId);
    this.held.delete(bullId);
    if (settled === false && this.closing) this.left.push(bullId);
    if (this.held.size === 0) this.onDrained?.();
  }

  /** Jobs held now. */
  get size(): number {
    return this.held.size;
  }

  /**
   * Starts counting what a release leaves behind. `onDrained` is called whenever no job is held
   * any more (now, if none is), again if a job taken meanwhile is released.
   */
  close(onDrained: () => void): void {
    this.closing = true;
    this.onDrained = onDrained;
    if (this.held.size === 0) onDrained();
  }

  /** Bull ids of the jobs whose outcome did not reach Redis: released unsettled while closing, or still held. */
  unreturned(): string[] {
    const pending = [...this.held].filter(([, settled]) => !settled).map(([bullId]) => bullId);
    return [...this.left, ...pending];
  }
}

/** No next job: BullMQ declares `handleCompleted` to resolve to a job, and resolves to undefined when none was fetched. */
const NO_JOB = undefined as unknown as Job;

/**
 * A BullMQ Worker that keeps a {@link JobLedger}: a job is held from the start of `processJob`
 * to its end, and settled by the `completed`/`failed` events (emitted once the outcome is in
 * Redis) or, for a job the processor moved itself before throwing (`WaitingError` after
 * `moveToWait`, `DelayedError` after `moveToDelayed`), when BullMQ gets that error.
 *
 * @example
 * const ledger = new JobLedger();
 * const worker = new LedgerWorker(ledger, queueName, processor, { connection, autorun: false });
 */
export class LedgerWorker extends Worker {
  /** Completions on a lean path (see JobCompleter); BullMQ's own when telemetry is on. */
  private readonly completer: JobCompleter | undefined;

  constructor(
    private readonly ledger: JobLedger,
    name: string,
    processor: Processor,
    options: WorkerOptions,
  ) {
    super(name, processor, options);
    // The lean path needs the ioredis connection itself (a FamilyWorker always passes one).
    const connection = options.connection as Partial<RedisConnection>;
    this.completer =
      options.telemetry || typeof connection.sendCommand !== 'function' ? undefined : new JobCompleter(this, connection as RedisConnection);
    this.on('completed', (job) => ledger.settle(job.id as string));
    this.on('failed', (job) => {
      if (job) ledger.settle(job.id as string);
    });
  }

  /**
   * BullMQ's main loop keeps fetching while fetches bring jobs, and starts them only once a fetch
   * comes back empty: the first job of a burst (the jobs of one API frame reach Redis together)
   * waited a round trip to Redis for each job behind it, plus the empty one, before its handler
   * ran. The fetch that directly follows one that brought a job now answers "none yet" without
   * asking Redis: the loop starts the job at once and fetches again while it runs. Any other way
   * a job arrives (handed back by a completion, or none found) clears the mark, so a fetch after
   * a wait for new jobs always asks Redis. test/integration/fetch-order.test.ts shows both orders.
   */
  private justFetched = false;

  protected override async moveToActive(token: string, name?: string): Promise<Job> {
    if (this.justFetched) {
      this.justFetched = false;
      return NO_JOB;
    }
    const job = await super.moveToActive(token, name);
    this.justFetched = job !== undefined;
    return job;
  }

  protected override nextJobFromJobData(jobData?: JobJson, jobId?: string, token?: string): Promise<Job> {
    this.justFetched = false;
    return super.nextJobFromJobData(jobData, jobId, token);
  }

  override async processJob(job: Job, token: string, fetchNextCallback?: () => boolean): ReturnType<Worker['processJob']> {
    const bullId = job.id as string;
    this.ledger.take(bullId);
    try {
      return await super.processJob(job, token, fetchNextCallback);
    } finally {
      this.ledger.release(bullId);
    }
  }

  protected override async handleCompleted(
    result: unknown,
    job: Job,
    token: string,
    fetchNextCallback: () => boolean = () => true,
    span?: Span,
  ): Promise<Job> {
    if (!this.completer || span) return super.handleCompleted(result, job, token, fetchNextCallback, span);
    if (this.backend.closing) return NO_JOB;
    const next = await this.completer.complete(job, result, token, fetchNextCallback() && !(this.closing || this.paused));
    this.emit('completed', job, result, 'active');
    if (!next) return NO_JOB;
    const [jobData, jobId, rateLimitDelay = 0, delayUntil = 0] = next;
    (this as unknown as { updateDelays(limit: number, until: number): void }).updateDelays(rateLimitDelay, delayUntil);
    return this.nextJobFromJobData(jobData ?? undefined, jobId, token);
  }

  protected override handleFailed(error: Error, job: Job, token: string, fetchNextCallback?: () => boolean, span?: Span): Promise<Job> {
    if (error instanceof WaitingError || error instanceof DelayedError || error instanceof WaitingChildrenError) {
      this.ledger.settle(job.id as string);
    }
    return super.handleFailed(error, job, token, fetchNextCallback, span);
  }
}
