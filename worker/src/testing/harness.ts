import {
  type AnyTask,
  contractJobOptions,
  decodeFailureReason,
  decodeValue,
  type Envelope,
  type ErrorInfo,
  findTask,
  type JobRef,
  type JobState,
  type Registry,
  type RegistryTask,
  type TaskCallInput,
  type TaskOutput,
  type TaskProgress,
  TaskwireError,
} from '@taskwire/shared';
import type { JobsOptions } from 'bullmq';
import { type AttemptFailure, callHandler, checkOutput, failureOf, findHandler, readInput } from '../runtime/attempt.ts';
import { type EnqueueTaskOptions, keyedJobId, prepareTaskJob } from '../runtime/enqueue-task.ts';
import type { FamilyHandlers, HandlerContext, JobInfo } from '../runtime/handlers.ts';
import { JobAbort } from '../runtime/job-abort.ts';
import { JobContext, type JobHost } from '../runtime/job-context.ts';
import type { WorkflowPort } from '../runtime/workflow.ts';
import {
  backoffDelay,
  jobKey,
  MemoryJob,
  type MemoryJobs,
  MemoryWorkflowPort,
  settleWithParent,
  storedReason,
  throughText,
} from './memory-jobs.ts';

/** Options of {@link createTestHarness}. */
export interface TestHarnessOptions<TRegistry extends Registry> {
  /** The families whose tasks may be enqueued (and run as children). */
  registry: TRegistry;
  /** The handlers to run: a family without handlers keeps its jobs waiting, as with no worker. */
  handlers: readonly FamilyHandlers[];
  /** The virtual clock's start (default: now). */
  now?: Date | number;
  /**
   * A handler that has not settled after this much real time is taken as waiting for time (as
   * one waiting on `ctx.signal` only): the virtual clock jumps to its timeout. Default 5,000 ms.
   */
  blockedAfterMs?: number;
}

/** What the harness's `enqueue` takes, as the API does (a subset: no flow control here). */
export interface HarnessEnqueueOptions {
  delayMs?: number;
  runAt?: Date;
  priority?: number;
  attempts?: number;
  timeoutMs?: number;
  /** Not started within this many ms after it may first run: fails with `EXPIRED`. */
  ttlMs?: number;
  expiresAt?: Date;
}

/** A job enqueued in the harness; it types `job()` and `result()`. */
export type HarnessRef<TTask extends AnyTask> = JobRef<TTask['id']> & { readonly __task?: TTask };

/** A job as the harness sees it, typed from its contract. */
export interface HarnessJob<TTask extends AnyTask = AnyTask> {
  id: string;
  task: TTask['id'];
  /** As the API names it: a parent waiting on its children is `waiting`. */
  state: JobState;
  /** Attempts that ended (completed or failed), as BullMQ counts them. */
  attemptsMade: number;
  result: TaskOutput<TTask> | null;
  /** The last failure (of the last attempt, or of one retried since). */
  error: ErrorInfo | null;
  /** Every progress the handler reported, in order. */
  progress: TaskProgress<TTask>[];
  logs: string[];
  /** Names of the steps stored with the job (steps, sleeps, children). */
  steps: string[];
  /** Public ids of its children. */
  children: string[];
  /** When a delayed job may run, on the virtual clock. */
  runAt: Date | null;
}

/** The harness: jobs in memory, run through the worker's own path, on a virtual clock. */
export interface TestHarness<TRegistry extends Registry> {
  /** The virtual clock. */
  now(): Date;
  /** Validates and enqueues as the API does (`INVALID_INPUT` before anything is stored). */
  enqueue<TTask extends RegistryTask<TRegistry>>(
    task: TTask,
    input: TaskCallInput<TTask>,
    options?: HarnessEnqueueOptions,
  ): HarnessRef<TTask>;
  /** Stores `data` as the job's data, unchecked: a poison job, or an older version's envelope. */
  enqueueRaw<TTask extends RegistryTask<TRegistry>>(task: TTask, data: unknown): HarnessRef<TTask>;
  /** Runs one attempt of the next job that may run now; false when none may. */
  runNext(): Promise<boolean>;
  /** Runs until nothing is left to run, jumping the clock to each delayed job (retries, sleeps). */
  runUntilIdle(): Promise<void>;
  /** Moves the clock `ms` forward, running whatever becomes due on the way. */
  advance(ms: number): Promise<void>;
  job<TTask extends AnyTask>(ref: HarnessRef<TTask> | string): HarnessJob<TTask>;
  /** The job's typed result; throws its error (a `TaskwireError` with its code) if it failed. */
  result<TTask extends AnyTask>(ref: HarnessRef<TTask> | string): TaskOutput<TTask>;
  /** Cancels as `jobs.cancel` does: removed when not running (a parent with its children), aborted when running. */
  cancel(ref: HarnessRef<AnyTask> | string): 'removed' | 'cancelling';
  /** Every job, oldest first. */
  jobs(): HarnessJob[];
}

const MAX_ATTEMPTS_PER_RUN = 100_000;
const BLOCKED = Symbol('blocked');

/**
 * An in-process test harness for handlers: no Redis. Jobs go through the worker's own path
 * (decode → migrate → parse → handler → parse output) with steps, sleeps, children, retries and
 * backoff, on a virtual clock, and fail with the codes a worker would give. Handlers that use
 * `ctx.redis`, `ctx.keys` or `ctx.queue` need a real worker; flow control is not simulated.
 *
 * @example
 * const harness = createTestHarness({ registry: { reports }, handlers: [reportsHandlers] });
 * const ref = harness.enqueue(reports.tasks.generate, { family: 'email', from, to });
 * await harness.runUntilIdle();
 * expect(harness.result(ref).rows).toBe(42);
 */
export function createTestHarness<const TRegistry extends Registry>(options: TestHarnessOptions<TRegistry>): TestHarness<TRegistry> {
  return new Harness(options) as unknown as TestHarness<TRegistry>;
}

class Harness implements MemoryJobs {
  private clock: number;
  private readonly byKey = new Map<string, MemoryJob>();
  private readonly handlers = new Map<string, FamilyHandlers>();
  private readonly counters = new Map<string, number>();
  private order = 0;
  private readonly registry: Registry;
  private readonly blockedAfterMs: number;

  constructor(options: TestHarnessOptions<Registry>) {
    this.registry = options.registry;
    this.clock = options.now === undefined ? Date.now() : new Date(options.now).getTime();
    this.blockedAfterMs = options.blockedAfterMs ?? 5_000;
    for (const h of options.handlers) {
      if (!Object.hasOwn(this.registry, h.family.name))
        throw new Error(`createTestHarness: family '${h.family.name}' is not in the registry`);
      this.handlers.set(h.family.name, h);
    }
  }

  now(): Date {
    return new Date(this.clock);
  }

  clockMs(): number {
    return this.clock;
  }

  find(key: string): MemoryJob | undefined {
    return this.byKey.get(key);
  }

  add(family: string, name: string, data: Envelope, opts: JobsOptions): MemoryJob {
    const bullId = opts.jobId ?? String(this.nextId(family));
    const job = new MemoryJob(family, bullId, name, throughText(data), opts, this.order++);
    if (opts.delay && opts.delay > 0) {
      job.state = 'delayed';
      job.runAt = this.clock + opts.delay;
    }
    this.byKey.set(job.key, job);
    return job;
  }

  enqueue(task: AnyTask, input: unknown, options: HarnessEnqueueOptions = {}): JobRef {
    const { data, opts } = prepareTaskJob({ registry: this.registry }, task, input);
    data.meta.enqueuedAt = this.clock;
    if (options.timeoutMs !== undefined) data.meta.timeoutMs = options.timeoutMs;
    if (options.attempts !== undefined) opts.attempts = options.attempts;
    if (options.priority !== undefined) opts.priority = options.priority;
    const delay = options.runAt ? options.runAt.getTime() - this.clock : (options.delayMs ?? 0);
    if (delay > 0) opts.delay = delay;
    if (options.expiresAt) data.meta.expiresAt = options.expiresAt.getTime();
    else if (options.ttlMs !== undefined) data.meta.expiresAt = this.clock + Math.max(0, delay) + options.ttlMs;
    return this.refOf(task, this.add(task.family, task.name, data, opts));
  }

  enqueueRaw(task: AnyTask, data: unknown): JobRef {
    if (findTask(this.registry, task.id) === undefined)
      throw new TaskwireError('UNKNOWN_TASK', `${task.id} is not in the harness's registry`);
    return this.refOf(task, this.add(task.family, task.name, data as Envelope, contractJobOptions(task, undefined)));
  }

  /** `ctx.enqueue` in a handler: a job of any family, deduplicated by key. */
  enqueueFromHandler: HandlerContext['enqueue'] = async (task, input, options: EnqueueTaskOptions = {}) => {
    const { data, opts } = prepareTaskJob({ registry: this.registry }, task, input);
    data.meta.enqueuedAt = this.clock;
    if (options.key !== undefined) opts.jobId = keyedJobId(task, options.key);
    const existing = opts.jobId === undefined ? undefined : this.byKey.get(jobKey(task.family, opts.jobId));
    const job = existing ?? this.add(task.family, task.name, data, opts);
    return { id: job.id, deduplicated: existing !== undefined };
  };

  async runNext(): Promise<boolean> {
    const job = this.next();
    if (!job) return false;
    await this.attempt(job);
    return true;
  }

  async runUntilIdle(): Promise<void> {
    await this.runTo(Number.POSITIVE_INFINITY);
  }

  async advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new Error(`advance(${ms}): give a duration ≥ 0 ms`);
    const target = this.clock + ms;
    await this.runTo(target);
    this.clock = Math.max(this.clock, target);
  }

  private async runTo(limit: number): Promise<void> {
    for (let n = 0; n < MAX_ATTEMPTS_PER_RUN; n++) {
      if (await this.runNext()) continue;
      const wake = this.nextWake();
      if (wake === undefined || wake > limit) return;
      this.clock = Math.max(this.clock, wake);
    }
    throw new Error(`The harness ran ${MAX_ATTEMPTS_PER_RUN} attempts without going idle: a job that never ends?`);
  }

  /** The next job to run now: due delayed jobs first become waiting; then by priority, then FIFO. */
  private next(): MemoryJob | undefined {
    let best: MemoryJob | undefined;
    for (const job of this.byKey.values()) {
      if (job.state === 'delayed' && job.runAt <= this.clock) job.state = 'waiting';
      if (job.state !== 'waiting' || !this.handlers.has(job.family)) continue;
      if (!best || rank(job) < rank(best) || (rank(job) === rank(best) && job.order < best.order)) best = job;
    }
    return best;
  }

  private nextWake(): number | undefined {
    let wake: number | undefined;
    for (const job of this.byKey.values()) {
      if (job.state === 'delayed' && this.handlers.has(job.family) && (wake === undefined || job.runAt < wake)) wake = job.runAt;
    }
    return wake;
  }

  /** One attempt, through the worker's steps. */
  private async attempt(job: MemoryJob): Promise<void> {
    job.state = 'active';
    const found = findHandler(this.handlers.get(job.family) as FamilyHandlers, job.name);
    if ('info' in found) return this.fail(job, found);
    const { task, handler } = found;
    const read = readInput(task, job.data, this.clock, { resumed: job.resumable });
    if (read.kind === 'newer') {
      const message = `${task.id} payload is version ${read.version} but the harness knows version ${task.version}`;
      return this.fail(job, { info: { code: 'UNSUPPORTED_VERSION', message }, retryable: false });
    }
    if (read.kind === 'failed') return this.fail(job, read.failure);

    const stop = new JobAbort();
    job.stop = stop;
    const timeoutMs = read.meta.timeoutMs ?? task.defaults.timeoutMs;
    const deadline = this.clock + timeoutMs;
    const info: JobInfo = {
      id: job.id,
      task: task.id,
      attempt: job.attemptsMade + 1,
      attempts: job.opts.attempts ?? 1,
      version: read.version,
      enqueuedAt: new Date(read.meta.enqueuedAt),
    };
    const ctx = new JobContext(new HarnessHost(this, job, this.registry), info, task, stop);
    let output: unknown;
    try {
      output = await this.settleOrTimeOut(stop.race(callHandler(handler, read.input, ctx)), stop, deadline);
    } catch (error) {
      const reason = stop.reason;
      // Moved already (delayed, or waiting on its children) by the workflow.
      if (reason === 'suspended') return;
      return this.fail(job, failureOf(reason === 'shutdown' ? undefined : reason, error, timeoutMs));
    } finally {
      job.stop = undefined;
      ctx.workflow?.end();
    }
    const checked = checkOutput(task, output);
    if (!checked.ok) return this.fail(job, checked.failure);
    job.attemptsMade += 1;
    job.state = 'completed';
    job.returnvalue = JSON.stringify(checked.value);
    settleWithParent(job);
  }

  /** The run's outcome; a run blocked in real time is timed out on the virtual clock. */
  private async settleOrTimeOut(run: Promise<unknown>, stop: JobAbort, deadline: number): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const blocked = new Promise<typeof BLOCKED>((resolve) => {
      timer = setTimeout(() => resolve(BLOCKED), this.blockedAfterMs);
    });
    try {
      const first = await Promise.race([run, blocked]);
      if (first !== BLOCKED) return first;
    } finally {
      clearTimeout(timer);
    }
    this.clock = Math.max(this.clock, deadline);
    stop.abort('timeout');
    return run;
  }

  private fail(job: MemoryJob, { info, retryable }: AttemptFailure): void {
    job.attemptsMade += 1;
    job.failedReason = storedReason(info, retryable);
    const task = findTask(this.registry, `${job.family}.${job.name}`);
    if (retryable && task && job.attemptsMade < (job.opts.attempts ?? 1)) {
      job.state = 'delayed';
      job.runAt = this.clock + backoffDelay(task, job.opts, job.attemptsMade);
      return;
    }
    job.state = 'failed';
    settleWithParent(job);
  }

  job(ref: JobRef | string): HarnessJob {
    const job = this.located(ref);
    const decode = (text: string) => decodeValue(JSON.parse(text));
    return {
      id: job.id,
      task: `${job.family}.${job.name}`,
      state: job.publicState,
      attemptsMade: job.attemptsMade,
      result: job.state === 'completed' && job.returnvalue !== undefined ? (decode(job.returnvalue) as never) : null,
      error: job.failedReason === undefined ? null : decodeFailureReason(job.failedReason),
      progress: job.progress.map(decode) as never[],
      logs: [...job.logs],
      steps: [...job.steps.keys()],
      children: [...this.byKey.values()].filter((c) => c.parent === job).map((c) => c.id),
      runAt: job.state === 'delayed' ? new Date(job.runAt) : null,
    };
  }

  result(ref: JobRef | string): unknown {
    const view = this.job(ref);
    if (view.state === 'completed') return view.result;
    if (view.state === 'failed' && view.error) throw TaskwireError.fromInfo(view.error);
    throw new TaskwireError('INVALID_STATE', `Job '${view.id}' is ${view.state}, not finished`);
  }

  cancel(ref: JobRef | string): 'removed' | 'cancelling' {
    const job = this.located(ref);
    if (job.state === 'completed' || job.state === 'failed')
      throw new TaskwireError('INVALID_STATE', `Job '${job.id}' already ${job.state}`);
    if (job.state === 'active') {
      job.stop?.abort('cancelled');
      return 'cancelling';
    }
    // Its unfinished children go with it (a parent waiting on them, or one that was put back meanwhile).
    for (const key of [...job.pending]) {
      const child = this.byKey.get(key);
      if (child && child.state !== 'completed' && child.state !== 'failed') this.cancel(child.id);
    }
    this.byKey.delete(job.key);
    const parent = job.parent;
    if (parent?.pending.delete(job.key) && parent.pending.size === 0 && parent.state === 'waiting-children') parent.state = 'waiting';
    return 'removed';
  }

  jobs(): HarnessJob[] {
    return [...this.byKey.values()].sort((a, b) => a.order - b.order).map((job) => this.job(job.id));
  }

  private located(ref: JobRef | string): MemoryJob {
    const id = typeof ref === 'string' ? ref : ref.id;
    const dot = id.indexOf('.');
    const job = dot > 0 ? this.byKey.get(jobKey(id.slice(0, dot), id.slice(dot + 1))) : undefined;
    if (!job) throw new TaskwireError('NOT_FOUND', `No job '${id}'`);
    return job;
  }

  private refOf(task: AnyTask, job: MemoryJob): JobRef {
    return { id: job.id, task: task.id, enqueuedAt: new Date(this.clock), deduplicated: false };
  }

  private nextId(family: string): number {
    const n = (this.counters.get(family) ?? 0) + 1;
    this.counters.set(family, n);
    return n;
  }
}

/** BullMQ runs jobs without a priority first, then by priority (1 most urgent). */
const rank = (job: MemoryJob) => (job.opts.priority ? job.opts.priority : 0);

/** A job's context host in the harness: memory, the virtual clock, no Redis. */
class HarnessHost implements JobHost {
  constructor(
    private readonly harness: Harness,
    private readonly job: MemoryJob,
    readonly registry: Registry,
  ) {}

  get redis(): never {
    throw new Error('The test harness has no Redis: ctx.redis needs a real worker');
  }

  get keys(): never {
    throw new Error('The test harness has no Redis: ctx.keys needs a real worker');
  }

  get queue(): never {
    throw new Error('The test harness has no Redis: ctx.queue needs a real worker');
  }

  get enqueue(): HandlerContext['enqueue'] {
    return this.harness.enqueueFromHandler;
  }

  async progress(encoded: object): Promise<void> {
    this.job.progress.push(JSON.stringify(encoded));
  }

  async log(line: string): Promise<void> {
    this.job.logs.push(line);
  }

  workflowPort(): WorkflowPort {
    return new MemoryWorkflowPort(this.harness, this.job);
  }
}
