import { type AnyTask, type Envelope, type ErrorInfo, encodeFailureReason, formatJobId, type JobState } from '@taskwire/shared';
import type { JobsOptions } from 'bullmq';
import type { JobAbort } from '../runtime/job-abort.ts';
import type { ChildJob, ChildOutcome, ChildRef, WorkflowPort } from '../runtime/workflow.ts';
import { failedChild } from '../runtime/workflow.ts';

/** A job's place in the harness, as BullMQ names it (`waiting-children`: a parent waiting on its children). */
export type MemoryState = 'waiting' | 'delayed' | 'active' | 'waiting-children' | 'completed' | 'failed';

/** What a job in the harness holds: what Redis would, as JSON text where Redis stores text. */
export class MemoryJob {
  state: MemoryState = 'waiting';
  /** When a delayed job may run (virtual ms). */
  runAt = 0;
  attemptsMade = 0;
  /** The stored result (wire-encoded JSON text) or failure. */
  returnvalue: string | undefined;
  failedReason: string | undefined;
  readonly progress: string[] = [];
  readonly logs: string[] = [];
  readonly steps = new Map<string, string>();
  /** Children not finished yet, and the outcomes of those finished, by child key. */
  readonly pending = new Set<string>();
  readonly processed = new Map<string, string>();
  readonly failedChildren = new Map<string, string>();
  parent: MemoryJob | undefined;
  /** Set once it waited (slept, or on its children): its expiry no longer applies. */
  resumable = false;
  /** The running attempt's stop switch. */
  stop: JobAbort | undefined;

  constructor(
    readonly family: string,
    readonly bullId: string,
    readonly name: string,
    /** The envelope as stored (a JSON copy: what the handler gets went through text). */
    readonly data: unknown,
    readonly opts: JobsOptions,
    readonly order: number,
  ) {}

  get key(): string {
    return jobKey(this.family, this.bullId);
  }

  get id(): string {
    return formatJobId(this.family, this.bullId);
  }

  /** The state as the API names it (a parent waiting on its children is `waiting`). */
  get publicState(): JobState {
    return this.state === 'waiting-children' ? 'waiting' : this.state;
  }
}

export const jobKey = (family: string, bullId: string) => `${family}:${bullId}`;

/** A copy through JSON text, as Redis would return it. */
export const throughText = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The jobs of a harness and its virtual clock, as the workflow of one job sees them. */
export interface MemoryJobs {
  clockMs(): number;
  find(key: string): MemoryJob | undefined;
  add(family: string, name: string, data: Envelope, opts: JobsOptions): MemoryJob;
}

/** A job's workflow in memory: steps in the job, children linked to it, sleeps on the virtual clock. */
export class MemoryWorkflowPort implements WorkflowPort {
  readonly parent: WorkflowPort['parent'];

  constructor(
    private readonly jobs: MemoryJobs,
    private readonly job: MemoryJob,
  ) {
    this.parent = { family: job.family, bullId: job.bullId, queue: job.family, incarnation: String(job.order) };
  }

  now(): number {
    return this.jobs.clockMs();
  }

  async readStep(name: string): Promise<string | undefined> {
    return this.job.steps.get(name);
  }

  async writeStep(name: string, record: string, options: { replace?: boolean } = {}): Promise<string | undefined> {
    // A job removed (cancelled) meanwhile keeps nothing.
    if (this.jobs.find(this.job.key) !== this.job) return undefined;
    if (options.replace || !this.job.steps.has(name)) this.job.steps.set(name, record);
    return this.job.steps.get(name);
  }

  async childOutcomes(children: readonly ChildRef[]): Promise<(ChildOutcome | 'pending' | undefined)[]> {
    return children.map((c) => {
      const key = jobKey(c.task.family, c.bullId);
      const value = this.job.processed.get(key);
      if (value !== undefined) return { ok: true, value: JSON.parse(value) as unknown };
      const reason = this.job.failedChildren.get(key);
      if (reason !== undefined) return failedChild(reason);
      return this.job.pending.has(key) ? 'pending' : undefined;
    });
  }

  async addChildren(children: readonly ChildJob[]): Promise<void> {
    for (const c of children) {
      // As BullMQ: an id that exists links that job; a child gone (removed by hand) is added again.
      const child = this.jobs.find(jobKey(c.task.family, c.bullId)) ?? this.jobs.add(c.task.family, c.task.name, c.data, c.opts);
      child.parent = this.job;
      this.job.pending.add(child.key);
      if (child.state === 'completed' || child.state === 'failed') settleWithParent(child);
    }
  }

  async waitForChildren(): Promise<boolean> {
    this.job.resumable = true;
    if (this.job.pending.size === 0) return false;
    this.job.state = 'waiting-children';
    return true;
  }

  async sleepUntil(at: number): Promise<void> {
    this.job.resumable = true;
    this.job.state = 'delayed';
    this.job.runAt = at;
  }

  mayParent(): boolean {
    return true;
  }
}

/** A child's end, told to its parent as BullMQ does: a result, or a failure kept as an ignored dependency. */
export function settleWithParent(child: MemoryJob): void {
  const parent = child.parent;
  if (!parent?.pending.delete(child.key)) return;
  if (child.state === 'completed') parent.processed.set(child.key, child.returnvalue ?? 'null');
  else parent.failedChildren.set(child.key, child.failedReason ?? '');
  if (parent.pending.size === 0 && parent.state === 'waiting-children') parent.state = 'waiting';
}

/** The failure reason stored for a failed attempt (as the worker stores it). */
export function storedReason(info: ErrorInfo, retryable: boolean): string {
  return encodeFailureReason({ ...info, retryable });
}

/** BullMQ's delay before retry n (1 = the first retry). */
export function backoffDelay(task: AnyTask, opts: JobsOptions, attemptsMade: number): number {
  const backoff = opts.backoff;
  const type = typeof backoff === 'object' ? backoff.type : task.defaults.backoff.type;
  const delay = typeof backoff === 'object' ? (backoff.delay ?? 0) : typeof backoff === 'number' ? backoff : task.defaults.backoff.delayMs;
  return type === 'exponential' ? Math.round(2 ** (attemptsMade - 1) * delay) : delay;
}
