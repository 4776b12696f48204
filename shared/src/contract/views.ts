/**
 * What the API answers besides jobs and job refs (see jobs.ts): data shapes only, shared by the
 * router that produces them and the client that returns them, so that the client's types do not
 * depend on the router package.
 */
import type { ErrorInfo } from './errors.ts';
import type { Registry, RegistryTask } from './family.ts';
import type { JobView } from './jobs.ts';
import type { AnyTask, TaskInput } from './task.ts';

/** A JobView of any task of the registry, discriminated by `task`. */
export type AnyJobView<TRegistry extends Registry> =
  RegistryTask<TRegistry> extends infer TTask ? (TTask extends AnyTask ? JobView<TTask> : never) : never;

/** One page of a listing; pass `nextCursor` back as `cursor` for the next one (null: no more). */
export interface JobPage<TView = JobView> {
  jobs: TView[];
  nextCursor: string | null;
}

/** What `jobs.cancel` did. */
export interface CancelResult {
  id: string;
  /** `removed`: it had not started and is gone. `cancelling`: its worker was told to abort. */
  outcome: 'removed' | 'cancelling';
}

/** What `deadLetter.replay` did. */
export interface ReplayResult {
  replayed: string[];
  /** Failed jobs left where they are because their payload no longer fits the contract. */
  rejected: { id: string; error: ErrorInfo }[];
}

/** A recurring job of a task, as `schedules.list` shows it. */
export interface ScheduleView<TTask extends AnyTask = AnyTask> {
  key: string;
  cron: string | null;
  everyMs: number | null;
  tz: string | null;
  /** When the next job will be created. */
  next: Date | null;
  input: TaskInput<TTask>;
}

/** What `health` answers: the API is up; `degraded` when Redis does not answer. */
export interface HealthView {
  status: 'ok' | 'degraded';
  redis: { connected: boolean; latencyMs: number | null };
  families: string[];
  uptimeSeconds: number;
}

/**
 * A scope a scoped token may carry: reading one job (`job:<job id>:read`, e.g.
 * `job:reports.15:read`: its view and its `watch`), or enqueueing one task
 * (`task:<family>.<task>:enqueue`; typed from the registry, a task that does not exist is a
 * compile error).
 */
export type NarrowScope<TRegistry extends Registry = Registry> = `job:${string}:read` | `task:${RegistryTask<TRegistry>['id']}:enqueue`;

/** What `tokens.create` takes: the scopes (each backed by one the caller holds) and the token's life. */
export interface ScopedTokenRequest<TRegistry extends Registry = Registry> {
  scopes: NarrowScope<TRegistry>[];
  /** Life of the token (ms), at most 24 h; default 10 min. */
  ttlMs?: number | undefined;
  /** Jobs per second the token may enqueue (enqueueMany counts each item); unlimited when unset. */
  ratePerSecond?: number | undefined;
}

/** A minted scoped token: the secret to hand to the browser, when it stops working, what it allows. */
export interface ScopedToken<TRegistry extends Registry = Registry> {
  token: string;
  expiresAt: Date;
  scopes: NarrowScope<TRegistry>[];
}
