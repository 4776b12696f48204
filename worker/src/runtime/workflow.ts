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
  /** The family and BullMQ id of the job, and the qualified name of its queue (children name it). */
  readonly parent: { family: string; bullId: string; queue: string };
  now(): number;
  /** A step's stored record, or undefined. */
  readStep(name: string): Promise<string | undefined>;
  writeStep(name: string, record: string): Promise<void>;
  /** Each child's outcome; `pending` while it runs or waits; undefined when it is not linked to the job (not added yet). */
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
 * public id, the step's name and the child's index, so a parent run again adds the same child.
 */
export function childJobId(parentFamily: string, parentBullId: string, step: string, index: number): string {
  return `c${createHash('sha256')
    .update(`${formatJobId(parentFamily, parentBullId)}\n${step}\n${index}`)
    .digest('hex')
    .slice(0, 40)}`;
}

/** A step's record as stored: a result (encoded with the wire codec), a wake-up time, or children's outcomes. */
type StepRecord = { v: unknown } | { until: number } | { children: ChildOutcome[] };

function notRetryable(message: string, code: 'HANDLER_ERROR' | 'INVALID_INPUT' = 'HANDLER_ERROR'): TaskwireError {
  return new TaskwireError(code, message, { retryable: false });
}

/**
 * A job's steps, sleeps and children for one run of its handler. Every operation is a step with
 * a name unique in the job; what a step produced is stored with the job, so a later run (a retry,
 * or the run after a sleep or after the children finished) returns it without doing it again.
 * A sleep or a wait for children suspends the run: `suspend` stops the handler (its signal aborts)
 * and the operation never settles; the job runs again from the top once it may go on.
 */
export class Workflow {
  /** Set when the run stopped to wait. */
  suspension: Suspension | undefined;
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(
    private readonly port: WorkflowPort,
    private readonly registry: Registry,
    private readonly suspend: () => void,
  ) {}

  async step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    this.claim(name);
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
    await this.port.writeStep(name, record);
    // What a later run would get: the same value whether the step ran now or before.
    return decodeValue((JSON.parse(record) as { v: unknown }).v) as T;
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

  private async sleepTo(name: string, deadline: () => number): Promise<void> {
    this.claim(name);
    const stored = await this.read(name);
    let until: number;
    if (stored === undefined) {
      until = deadline();
      await this.port.writeStep(name, JSON.stringify({ until }));
    } else if ('until' in stored) {
      until = stored.until;
    } else {
      throw notRetryable(`Step '${name}' was stored by another kind of step, not a sleep`);
    }
    if (this.port.now() >= until) return;
    await this.port.sleepUntil(until);
    return this.stop('sleep');
  }

  private async fanOut(name: string, calls: readonly ChildCall[]): Promise<Settled<unknown>[]> {
    this.claim(name);
    if (!Array.isArray(calls)) throw notRetryable(`Step '${name}' needs an array of { task, input }`);
    const stored = await this.read(name);
    if (stored !== undefined) {
      if (!('children' in stored) || stored.children.length !== calls.length) {
        throw notRetryable(`Step '${name}' was stored by another step (not ${calls.length} children): name steps uniquely`);
      }
      return stored.children.map((outcome, i) => settle(outcome, calls[i]?.task));
    }
    const children = calls.map((call, index) => this.child(name, call, index));
    let outcomes = await this.port.childOutcomes(children);
    if (outcomes.some((o) => o === undefined || o === 'pending')) {
      // Inputs are parsed and encoded only for the children to add (all of them, the first time).
      const toAdd = children.flatMap((child, i) =>
        outcomes[i] === undefined ? [this.prepare(name, child, calls[i] as ChildCall, i)] : [],
      );
      await this.port.addChildren(toAdd);
      if (await this.port.waitForChildren()) return this.stop('children');
      outcomes = await this.port.childOutcomes(children);
    }
    const finished = children.map((child, i): ChildOutcome => {
      const outcome = outcomes[i];
      if (typeof outcome === 'object') return outcome;
      const message = `Child ${formatJobId(child.task.family, child.bullId)} ended without an outcome (removed?)`;
      return { ok: false, error: { code: 'NOT_FOUND', message } };
    });
    await this.port.writeStep(name, JSON.stringify({ children: finished }));
    return finished.map((outcome, i) => settle(outcome, calls[i]?.task));
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
    return { task, bullId: childJobId(parent.family, parent.bullId, step, index) };
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
    if (this.suspension) throw notRetryable(`Step '${name}' started after the job was suspended`);
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

  /** Stops the run to wait: the handler's signal aborts and this never settles. */
  private stop(kind: Suspension): Promise<never> {
    this.suspension = kind;
    this.suspend();
    return new Promise<never>(() => {});
  }
}

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
