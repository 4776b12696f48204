import { z } from 'zod';
import { type FlowControl, type FlowSettings, validateFlow } from './flow.ts';
// biome-ignore lint/suspicious/noShadowRestrictedNames: named like tRPC's readable compile-time error
import type { TypeError } from './type-error.ts';

/**
 * A permission an API token may hold: `<family>:enqueue`, `<family>:read` (`*` for every family),
 * or `admin`.
 */
export type Scope = `${string}:enqueue` | `${string}:read` | 'admin';

/** Retry backoff between attempts. `exponential` doubles `delayMs` on each retry. */
export interface BackoffPolicy {
  type: 'fixed' | 'exponential';
  delayMs: number;
}

/** Per-task execution policy; every field can be overridden per enqueue where it makes sense. */
export interface TaskDefaults {
  /** Total attempts, including the first run. */
  attempts: number;
  backoff: BackoffPolicy;
  /** Hard limit per attempt; `ctx.signal` aborts when it elapses. A timeout is retried. */
  timeoutMs: number;
  /** How many finished jobs to keep for `get`/`watch` (BullMQ `removeOnComplete/Fail` count). */
  keepCompleted: number;
  keepFailed: number;
  /** Largest stored payload (the encoded input, in bytes); a bigger enqueue fails with PAYLOAD_TOO_LARGE. */
  maxPayloadBytes: number;
  /**
   * Queued-job expiry: a job not started within this long after it may first run (its enqueue,
   * or the end of its delay) fails with `EXPIRED` and never runs. Unset: no expiry. An enqueue's
   * own `ttlMs` or `expiresAt` overrides it; scheduled runs do not get it.
   */
  ttlMs?: number | undefined;
}

export const DEFAULT_TASK_POLICY: TaskDefaults = {
  attempts: 3,
  backoff: { type: 'exponential', delayMs: 1_000 },
  timeoutMs: 60_000,
  keepCompleted: 10_000,
  keepFailed: 50_000,
  maxPayloadBytes: 512 * 1024,
};

/**
 * A schema is fit to cross Redis when what it parses to can be parsed again to the same type:
 * the router parses once, the worker parses the stored value again. A `.transform()` to another
 * type breaks that (and the handler would see a different type than the caller sent).
 */
type WireSafe<TSchema extends z.ZodType, TRole extends string> =
  z.output<TSchema> extends z.input<TSchema>
    ? unknown
    : TypeError<`the ${TRole} schema transforms its value (e.g. .transform()); a schema that crosses Redis must parse to a type it accepts again`>;

/**
 * How a job queued under an older version becomes an input of the current one: the older
 * version's input schema (to parse what is in Redis) and a function to the current input.
 */
export interface Migration<TFrom extends z.ZodType = z.ZodType, TTo = unknown> {
  readonly input: TFrom;
  // A method (not a property) so a migration from any schema fits `Migration<z.ZodType, …>`.
  migrate(old: z.output<TFrom>): TTo;
}

/**
 * Declares how jobs of an older version are upgraded. `migrate` receives the old version's
 * parsed input and returns an input of the current version (checked again with the current
 * schema before the handler runs).
 *
 * @example
 * migrations: {
 *   1: migration(z.object({ inviterName: z.string() }), (old) => ({ inviter: { name: old.inviterName } })),
 * }
 */
export function migration<TFrom extends z.ZodType, TTo>(input: TFrom, migrate: (old: z.output<TFrom>) => TTo): Migration<TFrom, TTo> {
  return Object.freeze({ input, migrate });
}

/**
 * A task contract: its identity, version, schemas and execution defaults. Created by
 * {@link defineTask}; everything else (router procedures, handler signature, client calls) is
 * inferred from it.
 */
export interface Task<
  TId extends string = string,
  TInput extends z.ZodType = z.ZodType,
  TOutput extends z.ZodType = z.ZodType,
  TProgress extends z.ZodType = z.ZodType,
> {
  readonly id: TId;
  /** The family part of the id. */
  readonly family: string;
  /** The name part of the id; it is also the BullMQ job name. */
  readonly name: string;
  readonly version: number;
  readonly description: string | undefined;
  readonly input: TInput;
  readonly output: TOutput;
  readonly progress: TProgress;
  readonly defaults: TaskDefaults;
  /** Upgrades from older versions still accepted, keyed by version. */
  readonly migrations: Readonly<Record<number, Migration>>;
  /** Input fields safe to appear in logs (inputs are otherwise never logged: they may hold PII). */
  readonly logFields: readonly string[];
  /**
   * Scopes a caller needs for a given input besides `<family>:enqueue`: for tasks whose effect
   * reaches other families. Checked by the API at every enqueue and schedule of the task.
   */
  readonly requiredScopes: ((input: z.output<TInput>) => readonly Scope[]) | undefined;
  /** Flow control by a key of the input (see {@link FlowControl}); its settings, without the key, in `flowSettings`. */
  readonly flow: FlowControl<z.output<TInput>> | undefined;
  readonly flowSettings: FlowSettings | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: the widest task, for constraints only
export type AnyTask = Task<string, any, any, any>;

/** The input type of a task, as the caller sends it and the handler receives it. */
export type TaskInput<TTask extends AnyTask> = z.output<TTask['input']>;
/**
 * The input type a caller writes: like {@link TaskInput}, except that fields with a schema
 * default may be left out.
 */
export type TaskCallInput<TTask extends AnyTask> = z.input<TTask['input']>;
/** The result type of a task, as the handler returns it and the caller receives it. */
export type TaskOutput<TTask extends AnyTask> = z.output<TTask['output']>;
/** The progress type of a task (`never` when the task declares no progress schema). */
export type TaskProgress<TTask extends AnyTask> = z.output<TTask['progress']>;
/** The literal id of a task, e.g. `'email.send'`. */
export type TaskId<TTask extends AnyTask> = TTask['id'];

type TaskIdShape = `${string}.${string}`;

export interface TaskDefinition<TId extends TaskIdShape, TInput extends z.ZodType, TOutput extends z.ZodType, TProgress extends z.ZodType> {
  /** `${family}.${name}`; both parts are identifiers (`[a-z][a-zA-Z0-9]*`). */
  id: TId;
  /** A positive integer; bump it on a breaking change to the input. */
  version: number;
  description?: string;
  input: TInput & WireSafe<TInput, 'input'>;
  output: TOutput & WireSafe<TOutput, 'output'>;
  progress?: TProgress & WireSafe<TProgress, 'progress'>;
  defaults?: Partial<TaskDefaults>;
  /**
   * For version N > 1: how jobs queued under each older version still accepted become version N
   * inputs. Workers apply them to jobs that were enqueued before a deploy.
   */
  migrations?: { [version: number]: Migration<z.ZodType, z.input<TInput>> };
  /**
   * Top-level input fields that may be written to logs with each job event. Inputs are not logged
   * otherwise, since they may hold personal data.
   */
  logFields?: readonly (keyof z.output<TInput> & string)[];
  /**
   * For a task whose effect reaches other families (cleaning their jobs, reading their data): the
   * scopes a caller needs for this input besides `<family>:enqueue`, checked by the API before
   * the job is written (enqueue, enqueueMany, schedules). `*:enqueue` stands for every family.
   *
   * @example
   * requiredScopes: (input) => (input.families ?? ['*']).map((family) => `${family}:enqueue` as const),
   */
  requiredScopes?: (input: z.output<TInput>) => readonly Scope[];
  /**
   * Flow control by a key of the input: `unique`, `throttle`, `debounce` or `singleton` (see
   * {@link FlowControl}). A repeat it absorbs returns the job it joined, with `deduplicated: true`.
   *
   * @example
   * flow: { debounce: { key: (input) => input.projectId, delayMs: 5_000, maxDelayMs: 60_000 } },
   */
  flow?: FlowControl<z.output<TInput>>;
}

const IDENTIFIER = /^[a-z][a-zA-Z0-9]*$/;

/** True when `name` is usable as a family or task name. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * Declares a task once. Its schemas are the single source of truth for the router, the worker
 * and the client.
 *
 * @example
 * export const sendEmail = defineTask({
 *   id: 'email.send',
 *   version: 1,
 *   input: z.object({ to: z.email(), subject: z.string().min(1), html: z.string() }),
 *   output: z.object({ messageId: z.string(), acceptedAt: z.date() }),
 *   defaults: { attempts: 5, timeoutMs: 30_000 },
 * });
 */
export function defineTask<
  const TId extends TaskIdShape,
  TInput extends z.ZodType,
  TOutput extends z.ZodType,
  TProgress extends z.ZodType = z.ZodNever,
>(definition: TaskDefinition<TId, TInput, TOutput, TProgress>): Task<TId, TInput, TOutput, TProgress> {
  const parts = definition.id.split('.');
  const [family, name] = parts;
  if (parts.length !== 2 || !family || !name || !isIdentifier(family) || !isIdentifier(name)) {
    throw new Error(`defineTask: id '${definition.id}' must be '<family>.<name>' with both parts matching ${IDENTIFIER}`);
  }
  if (!Number.isInteger(definition.version) || definition.version < 1) {
    throw new Error(`defineTask(${definition.id}): version must be a positive integer, got ${definition.version}`);
  }
  const migrations = { ...definition.migrations } as Record<number, Migration>;
  for (const key of Object.keys(migrations)) {
    const from = Number(key);
    if (!Number.isInteger(from) || from < 1 || from >= definition.version) {
      throw new Error(
        `defineTask(${definition.id}): a migration from version ${key} is not below the current version ${definition.version}`,
      );
    }
  }
  const defaults = { ...DEFAULT_TASK_POLICY, ...definition.defaults };
  validateDefaults(definition.id, defaults);
  const flowSettings = validateFlow(definition.id, definition.flow as FlowControl<never> | undefined);
  return Object.freeze({
    id: definition.id,
    family,
    name,
    version: definition.version,
    description: definition.description,
    input: definition.input,
    output: definition.output,
    progress: (definition.progress ?? z.never()) as TProgress,
    defaults: Object.freeze(defaults),
    migrations: Object.freeze(migrations),
    logFields: Object.freeze([...(definition.logFields ?? [])]),
    requiredScopes: definition.requiredScopes,
    flow: definition.flow,
    flowSettings: flowSettings === undefined ? undefined : Object.freeze(flowSettings),
  });
}

function validateDefaults(id: string, d: TaskDefaults): void {
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  if (!positiveInt(d.attempts)) throw new Error(`defineTask(${id}): defaults.attempts must be a positive integer`);
  if (!positiveInt(d.timeoutMs)) throw new Error(`defineTask(${id}): defaults.timeoutMs must be a positive integer`);
  if (d.ttlMs !== undefined && !positiveInt(d.ttlMs)) throw new Error(`defineTask(${id}): defaults.ttlMs must be a positive integer`);
  if (!(Number.isInteger(d.backoff.delayMs) && d.backoff.delayMs >= 0)) {
    throw new Error(`defineTask(${id}): defaults.backoff.delayMs must be a non-negative integer`);
  }
}
