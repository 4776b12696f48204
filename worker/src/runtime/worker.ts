import { type AnyFamily, createKeys, formatJobId, type Registry, taskOf } from '@taskwire/shared';
import { createRedis, type RedisConnection, type RedisTargetOptions, redisTarget, SHUTDOWN_BOUND_MS } from '@taskwire/shared/node';
import { type Job, Queue, type Worker } from 'bullmq';
import { DEFAULT_DEFERRAL_POLICY, type DeferralPolicy } from './deferral.ts';
import { forwardWorkerEvents, type WorkerEvent } from './events.ts';
import { WorkerGates } from './gates.ts';
import type { FamilyHandlers } from './handlers.ts';
import type { AbortReason, JobAbort } from './job-abort.ts';
import { JobLedger, LedgerWorker } from './job-ledger.ts';
import { runJob } from './run-job.ts';
import { traceJob } from './tracing.ts';

export interface FamilyWorkerOptions<TFamily extends AnyFamily> extends RedisTargetOptions {
  handlers: FamilyHandlers<TFamily>;
  prefix?: string;
  /** Jobs at once in this process; the family's `concurrency` when omitted. */
  concurrency?: number;
  /** On shutdown, how long in-flight jobs may run before they are put back in the queue (ms). */
  graceMs?: number;
  /** Jobs from a newer contract version: how often and how long to put them back (rolling deploys). */
  deferral?: Partial<DeferralPolicy>;
  /** Families reachable through `ctx.queue()` (defaults to the worker's own family). */
  registry?: Registry;
  onEvent?: (event: WorkerEvent) => void;
}

/** How a {@link FamilyWorker.close} ended. */
export interface CloseOutcome {
  /**
   * Public ids (`<family>.<bullId>`) of the jobs whose return to the queue, or whose result, did
   * not reach Redis. Not lost: once their lock expires (the family's `lockDurationMs`), BullMQ's
   * stalled check puts them back in the queue (counted as a stall, see `maxStalledCount`).
   */
  unreturned: string[];
  /** True when Redis did not let the close finish within the bound and the connections were dropped. */
  forced: boolean;
}

/**
 * A worker process's runtime for one family: a BullMQ Worker whose processor validates every job
 * against the family's contracts, plus a cancel listener. `close()` stops taking jobs, lets
 * in-flight jobs finish within the grace period, puts back whatever is still running, and
 * resolves within the grace period plus {@link SHUTDOWN_BOUND_MS} whatever Redis does, naming
 * the jobs it could not return.
 *
 * @example
 * const worker = await startFamilyWorker({ handlers: emailHandlers, redisUrl });
 * process.once('SIGTERM', () => worker.close().then(({ unreturned }) => process.exit(unreturned.length ? 1 : 0)));
 */
export class FamilyWorker<TFamily extends AnyFamily = AnyFamily> {
  readonly worker: LedgerWorker;
  private readonly connection: RedisConnection;
  private readonly subscriber: RedisConnection;
  /** The stop switch of each job running in this process, by BullMQ id. */
  private readonly running = new Map<string, JobAbort>();
  private readonly queues = new Map<string, Queue>();
  /** Which jobs BullMQ handed to this process and whether their outcome reached Redis. */
  private readonly ledger = new JobLedger();
  private closing: Promise<CloseOutcome> | undefined;
  /** The concurrency and rate limits of the family's tasks that have them. */
  private readonly gates: WorkerGates;

  constructor(private readonly options: FamilyWorkerOptions<TFamily>) {
    const { family } = options.handlers;
    const keys = createKeys(options.prefix);
    const registry = options.registry ?? { [family.name]: family };
    const redis = redisTarget(options);
    this.connection = createRedis(redis, 'worker', `taskwire-worker-${family.name}`);
    this.subscriber = createRedis(redis, 'blocking', `taskwire-worker-${family.name}-cancel`);

    const base = {
      redis: this.connection,
      keys,
      registry,
      queue: (name: string) => this.queue(name, keys.prefix, keys.queueName(name)),
    };
    this.gates = new WorkerGates(family, this.connection, keys, () => base.queue(family.name));
    const deps = {
      handlers: options.handlers as unknown as FamilyHandlers,
      gates: this.gates,
      base,
      deferral: { ...DEFAULT_DEFERRAL_POLICY, ...options.deferral },
      running: this.running,
    };

    const o = family.options;
    this.worker = new LedgerWorker(
      this.ledger,
      keys.queueName(family.name),
      (job: Job, token?: string) => traceJob(family.name, job, () => runJob(deps, job, token)),
      {
        connection: this.connection,
        prefix: keys.prefix,
        concurrency: options.concurrency ?? o.concurrency,
        lockDuration: o.lockDurationMs,
        stalledInterval: o.stalledIntervalMs,
        maxStalledCount: o.maxStalledCount,
        limiter: o.rateLimit ? { max: o.rateLimit.max, duration: o.rateLimit.durationMs } : undefined,
        autorun: false,
      },
    );
    const emit = options.onEvent ?? (() => {});
    forwardWorkerEvents(this.worker, family, emit);
    releaseUniqueKeys(this.worker, family);
    this.gates.attach(this.worker);

    this.subscriber.on('message', (_channel: string, bullId: string) => this.abort(bullId, 'cancelled'));
  }

  get family(): TFamily {
    return this.options.handlers.family;
  }

  /** Subscribes to cancellations, then starts taking jobs. */
  async start(): Promise<this> {
    await this.subscriber.subscribe(createKeys(this.options.prefix).cancelChannel(this.family.name));
    await this.worker.waitUntilReady();
    void this.worker.run().catch((error: Error) => this.options.onEvent?.({ type: 'error', message: error.message }));
    return this;
  }

  /** Jobs running in this process now. */
  get activeJobs(): number {
    return this.running.size;
  }

  private abort(bullId: string, reason: AbortReason): void {
    this.running.get(bullId)?.abort(reason);
  }

  private queue(family: string, prefix: string, name: string): Queue {
    let queue = this.queues.get(family);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix });
      queue.on('error', () => {});
      this.queues.set(family, queue);
    }
    return queue;
  }

  /**
   * Stops taking jobs; in-flight jobs may finish within `graceMs` (default from the options,
   * else 30 s); then any still running are aborted and returned to the queue. Idempotent.
   *
   * Resolves within `graceMs + SHUTDOWN_BOUND_MS` whatever Redis does: the bound starts when the
   * grace period ends, or as soon as no job is held (so an idle worker waits for Redis at most
   * `SHUTDOWN_BOUND_MS`, not the grace period). If BullMQ has not
   * closed by then (Redis down or frozen: commands wait for it), the connections are dropped and
   * the outcome names the jobs whose return or result did not reach Redis.
   */
  close(graceMs = this.options.graceMs ?? 30_000): Promise<CloseOutcome> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<CloseOutcome> {
    this.gates.stop();
    const closed = this.worker.close().then(() => Promise.allSettled([...this.queues.values()].map((q) => q.close())));
    let graceTimer: NodeJS.Timeout | undefined;
    let boundTimer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      let graceOver = false;
      const arm = () => {
        clearTimeout(boundTimer);
        // Before the grace period ends, a job taken since (fetched as the close began) may still finish.
        boundTimer = setTimeout(() => {
          if (graceOver || this.ledger.size === 0) resolve();
        }, SHUTDOWN_BOUND_MS);
      };
      graceTimer = setTimeout(() => {
        graceOver = true;
        for (const id of [...this.running.keys()]) this.abort(id, 'shutdown');
        // An idle worker's bound already runs (since it drained); a busy one's starts now.
        if (this.ledger.size > 0 || boundTimer === undefined) arm();
      }, graceMs);
      this.ledger.close(() => {
        if (!graceOver) arm();
      });
    });
    let forced = false;
    try {
      forced = await Promise.race([closed.then(() => false), bound.then(() => true)]);
    } finally {
      clearTimeout(graceTimer);
      clearTimeout(boundTimer);
      // Neither waits for Redis (`quit()` would): commands still pending are abandoned.
      this.subscriber.disconnect();
      this.connection.disconnect();
      if (forced) {
        closed.catch(() => {});
        this.worker.disconnect().catch(() => {});
      }
    }
    const family = this.family.name;
    return { unreturned: this.ledger.unreturned().map((bullId) => formatJobId(family, bullId)), forced };
  }
}

/** Creates and starts a {@link FamilyWorker}. */
export async function startFamilyWorker<TFamily extends AnyFamily>(options: FamilyWorkerOptions<TFamily>): Promise<FamilyWorker<TFamily>> {
  return new FamilyWorker(options).start();
}

/**
 * A `unique` task's key is held by its job until the job finishes, at most its TTL: once a job
 * is done for good (completed, or failed with no attempt left), its deduplication key goes, so
 * the next enqueue of that key adds a job. (BullMQ keeps a key with a TTL until the TTL ends.)
 */
function releaseUniqueKeys(worker: Worker, family: AnyFamily): void {
  if (!Object.values(family.tasks).some((task) => task.flowSettings?.kind === 'unique')) return;
  const release = (job: Job | undefined) => {
    if (!job?.finishedOn || taskOf(family, job.name)?.flowSettings?.kind !== 'unique') return;
    // At worst (Redis away now) the key lives out its TTL.
    job.removeDeduplicationKey().catch(() => {});
  };
  worker.on('completed', release);
  worker.on('failed', release);
}
