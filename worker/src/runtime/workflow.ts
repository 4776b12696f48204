import { createHash } from 'node:crypto';
import {
  type AnyTask,
  decodeFailureReason,
  decodeValue,
  type Envelope,
  type ErrorInfo,
  encodeValue,
  formatIssues,
  formatJobId,
  type Registry,
  type TaskCallInput,
  type TaskOutput,
  TaskwireError,
  toIssues,
} from '@taskwire/shared';
import type { JobsOptions } from 'bullmq';
import { prepareTaskJob } from './enqueue-task.ts';

/**
 * One child of `ctx.runAll`: a task of any family of the worker's registry and its input, checked
 * against that task's contract at compile time.
 */
export interface ChildCall<TTask extends AnyTask = AnyTask> {
  task: TTask;
  input: TaskCallInput<TTask>;
}

/** A child's outcome, when `runAll` is asked for `{ settled: true }`. */
export type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; error: ErrorInfo };

/** Options of `ctx.run` and `ctx.runAll`. */
export interface RunOptions {
  /**
   * The step's name (unique in the job). Defaults to `<task id>#<n>` for `run` (`runAll#<n>` for
   * `runAll`), n counting the calls of this handler run: name steps whose order may change.
   */
  step?: string | undefined;
}

/** The outputs of `runAll`'s children, in order, typed from each child's contract. */
export type RunAllOutputs<TTasks extends readonly AnyTask[]> = { -readonly [K in keyof TTasks]: TaskOutput<TTasks[K]> };
/** `runAll(…, { settled: true })`: each child's outcome. */
export type RunAllSettled<TTasks extends readonly AnyTask[]> = { -readonly [K in keyof TTasks]: Settled<TaskOutput<TTasks[K]>> };

/** A child job, ready to add: its id is a function of the parent, the step and its index. */
export interface ChildRef {
  task: AnyTask;
  bullId: string;
}

/** A child to add: its envelope and job options (the parent's link among them). */
export interface ChildJob extends ChildRef {
  data: Envelope;
  opts: JobsOptions;
}

/** What a finished child left: its stored (encoded) result, or its failure. */
export type ChildOutcome = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };

/**
 * Where a job's workflow state lives and how the job waits: the job's hash and BullMQ's
 * parent/child in a worker, memory and a virtual clock in the test harness.
 */
export interface WorkflowPort {
  /**
   * The job's family and BullMQ id, the qualified name of its queue (children name it), and what
   * tells this job from an earlier one of the same id (its creation time): children's ids use it.
   */
  readonly parent: { family: string; bullId: string; queue: string; incarnation: string };
  now(): number;
  /** A step's stored record, or undefined. */
  readStep(name: string): Promise<string | undefined>;
  /**
   * Stores a step's record unless one is there (the first writer wins) and answers the record
   * kept; `replace` overwrites. Undefined when this run no longer holds the job (removed, or its
   * lock taken by another worker after a stall): nothing is written then.
   */
  writeStep(name: string, record: string, options?: { replace?: boolean }): Promise<string | undefined>;
  /** Each child's outcome; `pending` while it runs or waits; undefined when it is not linked to the job. */
  childOutcomes(children: readonly ChildRef[]): Promise<(ChildOutcome | 'pending' | undefined)[]>;
  /** Adds children (not linked to the job yet: adding a linked one again would count it pending once more). */
  addChildren(children: readonly ChildJob[]): Promise<void>;
  /** Parks the job until its pending children are done; false (nothing moved) when none is pending. */
  waitForChildren(): Promise<boolean>;
  /** Parks the job until `at`, without spending an attempt. */
  sleepUntil(at: number): Promise<void>;
  /** Whether a child of `family` may be linked to this job (a Redis Cluster needs one slot). */
  mayParent(family: string): boolean;
}

/** Why a job stopped without an outcome: it waits (delayed, or for its children) and runs again. */
export type Suspension = 'sleep' | 'children';

const MAX_STEP_NAME = 200;

/**
 * The BullMQ id of a workflow's child: `c` and 40 hex digits of the SHA-256 of the parent's
 * public id and incarnation, the step's name and the child's index, so a parent run again adds the
 * same child, and a later job that reuses the parent's id (an idempotency key) adds new ones.
 */
export function childJobId(parent: WorkflowPort['parent'], step: string, index: number): string {
  return `c${createHash('sha256')
    .update(`${formatJobId(parent.family, parent.bullId)}\n${parent.incarnation}\n${step}\n${index}`)
    .digest('hex')
    .slice(0, 40)}`;
}

/**
 * A step's record as stored: a result (encoded with the wire codec), a wake-up time, or, for
 * children, how many were added (their outcomes stay in BullMQ's keys of the parent).
 */
type StepRecord = { v: unknown } | { until: number } | { added: number };

function notRetryable(message: string, code: 'HANDLER_ERROR' | 'INVALID_INPUT' = 'HANDLER_ERROR'): TaskwireError {
  return new TaskwireError(code, message, { retryable: false });
}

/** What a workflow call of a run settles as once the run stopped: nothing, ever. */
const never = <T>(): Promise<T> => new Promise<T>(() => {});

/** A workflow call in flight; `parking` once it is about to suspend the job. */
interface Call {
  done: Promise<unknown>;
  parking: boolean;
}

/**
 * A job's steps, sleeps and children for one run of its handler. Every operation is a step with
 * a name unique in the job; what a step produced is stored with the job, so a later run (a retry,
 * or the run after a sleep or after the children finished) returns it without doing it again.
 *
 * A sleep or a wait for children suspends the run: the calls still in flight finish first (their
 * steps stored), then the job moves and `suspend` stops the handler (its signal aborts); the
 * suspending call never settles and the job runs again from the top once it may go on. Once the
 * run stopped (suspended, timed out, cancelled, shut down, or ended), no call touches the job.
 */
export class Workflow {
  /** Set when the run stopped to wait. */
  suspension: Suspension | undefined;
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly calls = new Set<Call>();
  /** Suspensions take turns: the first moves the job, the others find it moved. */
  private turn: Promise<void> = Promise.resolve();
  private parking = false;
  private ended = false;

  constructor(
    private readonly port: WorkflowPort,
    private readonly registry: Registry,
    /** Stops the handler: the job waits (its signal aborts with `suspended`). */
    private readonly suspend: () => void,
    /** Whether the run was stopped otherwise (timeout, cancel, shutdown). */
    private readonly stopped: () => boolean,
    /** The largest step result stored, in bytes of JSON (the task's `maxPayloadBytes`). */
    private readonly maxRecordBytes = Number.POSITIVE_INFINITY,
  ) {}

  /** The run is over (its handler settled, or it failed): calls still in flight leave the job alone. */
  end(): void {
    this.ended = true;
  }

  private get live(): boolean {
    return !this.ended && !this.suspension && !this.stopped();
  }

  step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    return this.call(name, async () => {
      if (typeof fn !== 'function') throw notRetryable(`Step '${name}' needs a function`);
      const stored = await this.read(name);
      if (stored !== undefined) {
        if (!('v' in stored)) throw notRetryable(`Step '${name}' was stored by another kind of step (a sleep or children)`);
        return decodeValue(stored.v) as T;
      }
      const value = await fn();
      let record: string;
      try {
        record = JSON.stringify({ v: encodeValue(value) });
      } catch (error) {
        throw notRetryable(`Step '${name}' returned a value that cannot be stored: ${(error as Error).message}`);
      }
      if (Buffer.byteLength(record) > this.maxRecordBytes) {
        throw notRetryable(
          `Step '${name}' returned ${Buffer.byteLength(record)} bytes, more than the task's maxPayloadBytes (${this.maxRecordBytes})`,
        );
      }
      // The first record wins (a run that stalled and went on elsewhere may have stored one).
      const kept = await this.write(name, record);
      return decodeValue((JSON.parse(kept) as { v: unknown }).v) as T;
    });
  }

  sleep(name: string, ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) throw notRetryable(`Sleep '${name}' needs a duration ≥ 0 ms, got ${ms}`);
    return this.sleepTo(name, () => this.port.now() + ms);
  }

  sleepUntil(name: string, at: Date): Promise<void> {
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw notRetryable(`Sleep '${name}' needs a valid Date`);
    return this.sleepTo(name, () => at.getTime());
  }

  run<TTask extends AnyTask>(task: TTask, input: TaskCallInput<TTask>, options: RunOptions = {}): Promise<TaskOutput<TTask>> {
    const name = options.step ?? this.autoName(task?.id);
    return this.fanOut(name, [{ task, input }]).then(([outcome]) => settledValue(outcome as Settled<TaskOutput<TTask>>, name));
  }

  runAll(calls: readonly ChildCall[], options: RunOptions & { settled?: boolean } = {}): Promise<unknown[]> {
    const name = options.step ?? this.autoName('runAll');
    return this.fanOut(name, calls).then((outcomes) => (options.settled ? outcomes : outcomes.map((o) => settledValue(o, name))));
  }

  private sleepTo(name: string, deadline: () => number): Promise<void> {
    return this.call(name, async (call) => {
      const stored = await this.read(name);
      let until: number;
      if (stored === undefined) {
        until = (JSON.parse(await this.write(name, JSON.stringify({ until: deadline() }))) as { until: number }).until;
      } else if ('until' in stored) {
        until = stored.until;
      } else {
        throw notRetryable(`Step '${name}' was stored by another kind of step, not a sleep`);
      }
      if (this.port.now() >= until) return;
      await this.park(call, 'sleep', async () => {
        await this.port.sleepUntil(until);
        return true;
      });
    });
  }

  private fanOut(name: string, calls: readonly ChildCall[]): Promise<Settled<unknown>[]> {
    return this.call(name, async (call) => {
      if (!Array.isArray(calls)) throw notRetryable(`Step '${name}' needs an array of { task, input }`);
      const stored = await this.read(name);
      if (stored !== undefined && !('added' in stored && stored.added === calls.length)) {
        throw notRetryable(`Step '${name}' was stored by another step (not ${calls.length} children): name steps uniquely`);
      }
      const children = calls.map((child, index) => this.child(name, child, index));
      let outcomes = await this.port.childOutcomes(children);
      // Added by an earlier run: a child neither linked nor finished was removed (cancelled by hand).
      if (!stored && outcomes.includes(undefined)) {
        // Inputs are parsed and encoded only for the children to add (all of them, the first time).
        const toAdd = children.flatMap((child, i) =>
          outcomes[i] === undefined ? [this.prepare(name, child, calls[i] as ChildCall, i)] : [],
        );
        this.check();
        await this.port.addChildren(toAdd);
        await this.write(name, JSON.stringify({ added: calls.length }), { replace: true });
      }
      if (outcomes.some((o) => o === undefined || o === 'pending')) {
        const moved = await this.park(call, 'children', () => this.port.waitForChildren());
        if (!moved) outcomes = await this.port.childOutcomes(children);
      }
      return children.map((child, i): Settled<unknown> => {
        const outcome = outcomes[i];
        if (typeof outcome === 'object') return settle(outcome, calls[i]?.task);
        const message = `Child ${formatJobId(child.task.family, child.bullId)} was removed before it ended`;
        return { status: 'rejected', error: { code: 'CANCELLED', message } };
      });
    });
  }

  /**
   * Runs one workflow call of the handler. A call made once the run stopped, or while the job is
   * about to suspend, never settles: nothing of it reaches the job.
   */
  private call<T>(name: string, body: (call: Call) => Promise<T>): Promise<T> {
    this.claim(name);
    if (this.parking || !this.live) return never();
    const call: Call = { done: Promise.resolve(), parking: false };
    const run = (async () => {
      try {
        const value = await body(call);
        // Stopped meanwhile: the handler is not waited for any more; nothing more of it runs.
        return this.live ? value : never<T>();
      } catch (error) {
        if (error === STOPPED || !this.live) return never<T>();
        throw error;
      }
    })();
    call.done = run.catch(() => {});
    this.calls.add(call);
    void call.done.then(() => this.calls.delete(call));
    return run;
  }

  /**
   * Suspends the job with `move` (true: it moved; then this never settles; false: it did not and
   * the call goes on), once the other calls in flight have finished
   * (their steps stored: none runs again after the job resumes). One suspension moves the job;
   * a call after it finds the run stopped.
   */
  private async park(call: Call, kind: Suspension, move: () => Promise<boolean>): Promise<false> {
    call.parking = true;
    this.parking = true;
    for (;;) {
      const others = [...this.calls].filter((c) => !c.parking).map((c) => c.done);
      if (others.length === 0) break;
      await Promise.allSettled(others);
    }
    const previous = this.turn;
    let release = () => {};
    this.turn = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      // A handler that failed meanwhile settles within this turn of the event loop: let it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.check();
      if (!(await move())) {
        call.parking = false;
        this.parking = [...this.calls].some((c) => c.parking);
        return false;
      }
      this.suspension = kind;
      this.suspend();
      return never();
    } finally {
      release();
    }
  }

  /** Throws nothing and goes no further once the run stopped: the caller's promise never settles. */
  private check(): void {
    if (!this.live) throw STOPPED;
  }

  private async write(name: string, record: string, options?: { replace?: boolean }): Promise<string> {
    this.check();
    const kept = await this.port.writeStep(name, record, options);
    if (kept === undefined) {
      // Its lock expired and another worker runs the job now (or it was removed): leave it to that run.
      throw new TaskwireError('INVALID_STATE', `Step '${name}' not stored: this run no longer holds the job`, { retryable: true });
    }
    return kept;
  }

  private child(step: string, call: ChildCall, index: number): ChildRef {
    const task = call?.task;
    if (!task || typeof task.id !== 'string') throw notRetryable(`Step '${step}': child ${index} is not { task, input }`);
    if (task.flow) {
      throw notRetryable(`Step '${step}': ${task.id} has flow control and cannot run as a child; use ctx.enqueue`, 'INVALID_INPUT');
    }
    const { parent } = this.port;
    if (!this.port.mayParent(task.family)) {
      throw notRetryable(
        `Step '${step}': on a Redis Cluster a child must be of its parent's family (${parent.family}), not ${task.family}`,
        'INVALID_INPUT',
      );
    }
    return { task, bullId: childJobId(parent, step, index) };
  }

  /** A child's job: its input parsed and encoded as the API does, linked to this job. */
  private prepare(step: string, child: ChildRef, call: ChildCall, index: number): ChildJob {
    let prepared: ReturnType<typeof prepareTaskJob>;
    try {
      prepared = prepareTaskJob({ registry: this.registry }, child.task, call.input);
    } catch (error) {
      // The parent's bug: retrying it cannot fix the input.
      if (error instanceof TaskwireError) throw notRetryable(`Step '${step}', child ${index}: ${error.message}`, 'INVALID_INPUT');
      throw error;
    }
    const { parent } = this.port;
    const opts: JobsOptions = {
      ...prepared.opts,
      jobId: child.bullId,
      parent: { id: parent.bullId, queue: parent.queue },
      // A child that fails for good is recorded, and the parent runs once every child is done.
      ignoreDependencyOnFailure: true,
    };
    return { ...child, data: prepared.data, opts };
  }

  private async read(name: string): Promise<StepRecord | undefined> {
    this.check();
    const raw = await this.port.readStep(name);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as StepRecord;
    } catch {
      throw notRetryable(`Step '${name}' has an unreadable record`);
    }
  }

  /** A step name is used once per run of the handler. */
  private claim(name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_STEP_NAME) {
      throw notRetryable(`A step needs a name of 1–${MAX_STEP_NAME} characters`);
    }
    if (this.names.has(name)) {
      throw notRetryable(`Step '${name}' ran twice in one job: give each step its own name (e.g. \`batch-\${i}\`)`);
    }
    this.names.add(name);
  }

  private autoName(base: string | undefined): string {
    const key = String(base);
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    return `${key}#${n}`;
  }
}

/** Thrown inside a call once the run stopped; the call turns it into a promise that never settles. */
const STOPPED = Symbol('stopped');

/**
 * A child's outcome as the parent sees it: its result checked against the child's output schema
 * as this worker knows it (during a deploy, a child's worker may run a newer contract).
 */
function settle(outcome: ChildOutcome, task: AnyTask | undefined): Settled<unknown> {
  if (!outcome.ok) return { status: 'rejected', error: outcome.error };
  const value = decodeValue(outcome.value);
  const checked = task?.output.safeParse(value);
  if (!checked || checked.success) return { status: 'fulfilled', value: checked ? checked.data : value };
  const issues = toIssues(checked.error.issues);
  const message = `The result of a ${task?.id} child does not match its output schema as this worker knows it (v${task?.version}): ${formatIssues(issues)}`;
  return { status: 'rejected', error: { code: 'INVALID_OUTPUT', message, issues } };
}

/** A fulfilled child's value, or its failure thrown with the child's code (the parent's retry cannot change it). */
function settledValue<T>(outcome: Settled<T>, step: string): T {
  if (outcome.status === 'fulfilled') return outcome.value;
  const { error } = outcome;
  throw new TaskwireError(error.code, `Step '${step}': child failed: ${error.message}`, { issues: error.issues, retryable: false });
}

/** A failure reason stored by BullMQ, as a child outcome. */
export function failedChild(reason: string): ChildOutcome {
  return { ok: false, error: decodeFailureReason(reason) };
}
