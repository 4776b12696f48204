import type { AnyFamily, AnyTask, Keys, Registry, TaskCallInput, TaskInput, TaskOutput, TaskProgress } from '@taskwire/shared';
import type { RedisConnection } from '@taskwire/shared/node';
import type { Queue } from 'bullmq';
import type { EnqueuedTask, EnqueueTaskOptions } from './enqueue-task.ts';
import type { ChildCall, RunAllOutputs, RunAllSettled, RunOptions } from './workflow.ts';

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
  /**
   * Runs `fn` once per job: its result (through the wire codec, so a `Date` stays a `Date`) is
   * stored with the job, and a later run of the job (a retry, or after a sleep or children)
   * returns it without calling `fn`. A step that throws is retried with the job; finished steps
   * are never redone. Names are unique per job: a name used twice in one run fails the job.
   *
   * @example
   * const rows = await ctx.step('load rows', () => db.rows(input.from, input.to));
   */
  step<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
  /**
   * Waits `ms` without holding a worker slot: the job goes to delayed and runs again from the top
   * after the deadline (finished steps return their stored results); no attempt is spent.
   *
   * @example
   * await ctx.sleep('cool-down', 30_000);
   */
  sleep(name: string, ms: number): Promise<void>;
  /** {@link sleep} until an instant. */
  sleepUntil(name: string, at: Date): Promise<void>;
  /**
   * Runs a task of any family as this job's child and returns its output, typed from its
   * contract. The job waits without holding a slot (BullMQ parent/child); the child's id is a
   * function of this job, the step and its index, so a job run again never adds it twice. A
   * child that fails for good throws its error (its code) here, not retried.
   *
   * @example
   * const { rows } = await ctx.run(reports.collect, { family: 'email', from, to });
   */
  run<TChild extends AnyTask>(task: TChild, input: TaskCallInput<TChild>, options?: RunOptions): Promise<TaskOutput<TChild>>;
  /**
   * Runs children at once and returns their outputs in order, each typed from its contract; with
   * `{ settled: true }`, each child's `{ status, value | error }` instead of failing on the first.
   *
   * @example
   * const [a, b] = await ctx.runAll([{ task: collect, input: { family: 'email' } }, { task: collect, input: { family: 'backups' } }]);
   */
  runAll<const TTasks extends readonly AnyTask[]>(
    calls: { readonly [K in keyof TTasks]: ChildCall<TTasks[K]> },
    options?: RunOptions & { settled?: false },
  ): Promise<RunAllOutputs<TTasks>>;
  runAll<const TTasks extends readonly AnyTask[]>(
    calls: { readonly [K in keyof TTasks]: ChildCall<TTasks[K]> },
    options: RunOptions & { settled: true },
  ): Promise<RunAllSettled<TTasks>>;
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
