import type { AnyFamily, AnyTask, Keys, Registry, TaskCallInput, TaskInput, TaskOutput, TaskProgress } from '@taskwire/shared';
import type { RedisConnection } from '@taskwire/shared/node';
import type { Queue } from 'bullmq';
import type { EnqueuedTask, EnqueueTaskOptions } from './enqueue-task.ts';

/** What a handler knows about the job it runs. */
export interface JobInfo {
  /** Public job id (`<family>.<id>`). */
  id: string;
  task: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
  attempts: number;
  version: number;
  enqueuedAt: Date;
}

/** The second argument of every handler. */
export interface HandlerContext<TTask extends AnyTask = AnyTask> {
  /** Aborts on timeout, cancellation and worker shutdown; pass it to anything that can stop early. */
  signal: AbortSignal;
  /** Reports progress (validated against the task's progress schema; callers see it typed). */
  progress(progress: TaskProgress<TTask>): Promise<void>;
  /** Appends a line to the job's log (visible in the dashboard). */
  log(line: string): Promise<void>;
  job: JobInfo;
  /** The worker's Redis connection and key builder, for services that keep state in Redis. */
  redis: RedisConnection;
  keys: Keys;
  /** The families this worker knows, and a BullMQ Queue for any of them (maintenance work). */
  registry: Registry;
  queue(family: string): Queue;
  /**
   * Enqueues a task of any family of the registry, validated and encoded as the API does; it runs
   * under its own family's workers and rate limit. With `options.key`, the same key adds one job.
   * A bad input throws `INVALID_INPUT` (not retried: the handler's bug). See `enqueueTask`.
   *
   * @example
   * const { id } = await ctx.enqueue(sendEmail, { to, subject, html }, { key: `receipt:${orderId}` });
   */
  enqueue<TOther extends AnyTask>(task: TOther, input: TaskCallInput<TOther>, options?: EnqueueTaskOptions): Promise<EnqueuedTask>;
}

/** A task's handler: typed input in, typed output out. */
export type Handler<TTask extends AnyTask> = (
  input: TaskInput<TTask>,
  ctx: HandlerContext<TTask>,
) => Promise<TaskOutput<TTask>> | TaskOutput<TTask>;

/** One handler per task of the family; a missing, extra or misspelt key does not compile. */
export type HandlerMap<TFamily extends AnyFamily> = {
  [K in keyof TFamily['tasks']]: Handler<TFamily['tasks'][K]>;
};

/** A family with its handlers: what a worker process runs. */
export interface FamilyHandlers<TFamily extends AnyFamily = AnyFamily> {
  readonly family: TFamily;
  readonly handlers: HandlerMap<TFamily>;
}

/**
 * Binds handlers to a family. Handler input and return types come from the contracts.
 *
 * @example
 * export default defineHandlers(email, {
 *   send: async (input, ctx) => {
 *     await ctx.progress({ stage: 'deliver' });
 *     return mailer.send(input, ctx.signal);
 *   },
 *   passwordReset: …,
 *   invite: …,
 * });
 */
export function defineHandlers<const TFamily extends AnyFamily>(family: TFamily, handlers: HandlerMap<TFamily>): FamilyHandlers<TFamily> {
  const expected = Object.keys(family.tasks);
  const given = Object.keys(handlers);
  const missing = expected.filter((name) => typeof (handlers as Record<string, unknown>)[name] !== 'function');
  const extra = given.filter((name) => !expected.includes(name));
  if (missing.length || extra.length) {
    throw new Error(
      `defineHandlers(${family.name}): ${missing.length ? `missing ${missing.join(', ')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `unknown ${extra.join(', ')}` : ''}`,
    );
  }
  return Object.freeze({ family, handlers });
}
