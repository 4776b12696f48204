import { z } from 'zod';
import type { ErrorInfo } from './errors.ts';
import type { GateStats } from './flow.ts';
import type { AnyTask, TaskInput, TaskOutput, TaskProgress } from './task.ts';

/** BullMQ's ceiling for a priority value. */
export const MAX_PRIORITY = 2_097_152;
const DAY_MS = 86_400_000;

/**
 * Per-enqueue options. `delayMs` and `runAt` are exclusive; `priority` 1 is the most urgent
 * (jobs without a priority run before prioritized ones, as in BullMQ).
 */
export const enqueueOptionsSchema = z
  .strictObject({
    /** Run no earlier than this many ms from now. */
    delayMs: z
      .number()
      .int()
      .min(0)
      .max(365 * DAY_MS)
      .optional(),
    /** Run no earlier than this instant. */
    runAt: z.date().optional(),
    /** 1 (most urgent) … 2,097,152. */
    priority: z.number().int().min(1).max(MAX_PRIORITY).optional(),
    /** A repeat with the same key (per task, within `idempotencyTtlMs`) returns the first JobRef. */
    idempotencyKey: z.string().min(1).max(512).optional(),
    /**
     * The key of the task's flow control for this job, in place of the one its contract takes
     * from the input: the deduplication key (`unique`, `throttle`, `debounce`, `singleton`), or
     * the key of its keyed concurrency rule (else of its rate limit). Refused for a task without flow control.
     */
    flowKey: z.string().min(1).max(500).optional(),
    /** Total attempts, including the first (overrides the contract default). */
    attempts: z.number().int().min(1).max(1_000).optional(),
    /** Per-attempt time limit (overrides the contract default). */
    timeoutMs: z
      .number()
      .int()
      .min(1)
      .max(7 * DAY_MS)
      .optional(),
    /**
     * A job not started within this many ms after it may first run (its enqueue, or the end of
     * its `delayMs` / `runAt`) fails with `EXPIRED` and never runs (a retry after its expiry
     * too). Overrides the contract's `defaults.ttlMs`.
     */
    ttlMs: z
      .number()
      .int()
      .min(1)
      .max(365 * DAY_MS)
      .optional(),
    /** The same, as an instant: a job not started by then fails with `EXPIRED` and never runs. */
    expiresAt: z.date().optional(),
  })
  .refine((o) => o.delayMs === undefined || o.runAt === undefined, {
    message: 'delayMs and runAt are exclusive',
    path: ['runAt'],
  })
  .refine((o) => o.ttlMs === undefined || o.expiresAt === undefined, {
    message: 'ttlMs and expiresAt are exclusive',
    path: ['expiresAt'],
  })
  .refine(
    (o) => {
      // A job that cannot run before it expires is refused at once, not stored to fail later.
      if (o.expiresAt === undefined) return true;
      const start = o.runAt?.getTime() ?? Date.now() + (o.delayMs ?? 0);
      return o.expiresAt.getTime() > start;
    },
    { message: 'the job would expire before it may run', path: ['expiresAt'] },
  );

export type EnqueueOptions = z.input<typeof enqueueOptionsSchema>;

/** What an enqueue returns. `id` alone is enough for every `jobs.*` call. */
export interface JobRef<TId extends string = string> {
  id: string;
  task: TId;
  enqueuedAt: Date;
  /** True when an earlier enqueue with the same idempotency key produced this job. */
  deduplicated: boolean;
}

export const JOB_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed', 'unknown'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A job as seen by callers, typed with its task's input, progress and result. */
export interface JobView<TTask extends AnyTask = AnyTask> {
  id: string;
  task: TTask['id'];
  state: JobState;
  /** Contract version the job was enqueued with. */
  version: number;
  /** Times a worker that knew only older versions put the job back for a newer one. */
  deferrals: number;
  input: TaskInput<TTask>;
  progress: TaskProgress<TTask> | null;
  result: TaskOutput<TTask> | null;
  error: ErrorInfo | null;
  attemptsMade: number;
  attempts: number;
  priority: number | null;
  enqueuedAt: Date;
  /** When a delayed job becomes runnable. */
  runAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A workflow job's steps (stored so far, in order) and its children by outcome, as `watch` shows them. */
export interface WorkflowView {
  steps: string[];
  children: { pending: number; completed: number; failed: number };
}

/**
 * Events of `watch`: the current state first, then progress, then one terminal event. A workflow
 * job (with steps or children) also shows its steps and children as they change, and its state
 * as it waits (`delayed` while it sleeps, `waiting` on its children) and runs again.
 */
export type WatchEvent<TTask extends AnyTask = AnyTask> =
  | { type: 'state'; state: JobState }
  | { type: 'progress'; progress: TaskProgress<TTask> }
  | { type: 'workflow'; workflow: WorkflowView }
  | { type: 'completed'; result: TaskOutput<TTask> }
  | { type: 'failed'; error: ErrorInfo };

/** Queue counts of a family. */
export interface QueueStats {
  family: string;
  waiting: number;
  delayed: number;
  active: number;
  completed: number;
  failed: number;
  paused: boolean;
  workers: number;
  /** The family's rate limit, and how long workers must still wait because of it (0 when not limited now). */
  rateLimit: { max: number; durationMs: number; limitedForMs: number } | null;
  /**
   * Per task with concurrency or rate limits (`flow.concurrency`, `flow.rateLimit`): jobs running
   * and waiting on a limit (those count as `delayed` above), and the keys with the most waiting.
   */
  flow: GateStats[];
}
