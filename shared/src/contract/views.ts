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
