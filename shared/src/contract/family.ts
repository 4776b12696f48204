import type { AnyTask } from './task.ts';
import { isIdentifier } from './task.ts';
// biome-ignore lint/suspicious/noShadowRestrictedNames: named like tRPC's readable compile-time error
import type { TypeError } from './type-error.ts';

/** Worker-side policy shared by every task of a family (one BullMQ queue per family). */
export interface FamilyOptions {
  /** Jobs run at once per worker process. */
  concurrency: number;
  /** At most `max` jobs started per `durationMs`, across all workers of the family. */
  rateLimit?: { max: number; durationMs: number } | undefined;
  /** How long a worker's lock on a job lasts before it must be renewed (BullMQ `lockDuration`). */
  lockDurationMs: number;
  /** How often workers look for jobs whose worker died (BullMQ `stalledInterval`). */
  stalledIntervalMs: number;
  /**
   * How many times a job may be recovered after its worker died before it is failed. BullMQ's
   * default of 1 turns a second crash into a failure; a crash is not the job's fault.
   */
  maxStalledCount: number;
}

export const DEFAULT_FAMILY_OPTIONS: FamilyOptions = {
  concurrency: 8,
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 5,
};

/** Names that would collide with the router's own namespaces or the client's members. */
export const RESERVED_FAMILY_NAMES = ['jobs', 'queues', 'health', 'deadLetter', 'trpc', 'close'] as const;
type ReservedFamilyName = (typeof RESERVED_FAMILY_NAMES)[number];

/** A family: tasks that share one queue and one worker deployment. */
export interface Family<TName extends string = string, TTasks extends Record<string, AnyTask> = Record<string, AnyTask>> {
  readonly name: TName;
  readonly tasks: TTasks;
  readonly options: FamilyOptions;
}

export type AnyFamily = Family<string, Record<string, AnyTask>>;

type CheckFamilyName<TName extends string> = TName extends ReservedFamilyName
  ? TypeError<`'${TName}' is reserved; choose another family name`>
  : unknown;

type CheckTaskIds<TName extends string, TTasks> = {
  [K in keyof TTasks]: TTasks[K] extends { id: `${TName}.${K & string}` }
    ? unknown
    : TypeError<`the task under key '${K & string}' must have id '${TName}.${K & string}'`>;
};

/**
 * Groups tasks into a family. Keys are task names and must match each task's id.
 *
 * @example
 * export const email = defineFamily('email', { send: sendEmail, invite }, { concurrency: 16 });
 */
export function defineFamily<const TName extends string, const TTasks extends Record<string, AnyTask>>(
  name: TName & CheckFamilyName<TName>,
  tasks: TTasks & CheckTaskIds<TName, TTasks>,
  options: Partial<FamilyOptions> = {},
): Family<TName, TTasks> {
  if (!isIdentifier(name)) throw new Error(`defineFamily: '${name}' is not a valid family name`);
  if ((RESERVED_FAMILY_NAMES as readonly string[]).includes(name)) {
    throw new Error(`defineFamily: '${name}' is reserved; choose another family name`);
  }
  for (const [key, task] of Object.entries(tasks)) {
    if (task.id !== `${name}.${key}`) {
      throw new Error(`defineFamily(${name}): the task under key '${key}' has id '${task.id}', expected '${name}.${key}'`);
    }
  }
  const merged = { ...DEFAULT_FAMILY_OPTIONS, ...options };
  if (!Number.isInteger(merged.concurrency) || merged.concurrency < 1) {
    throw new Error(`defineFamily(${name}): concurrency must be a positive integer`);
  }
  return Object.freeze({ name, tasks: Object.freeze({ ...tasks }), options: Object.freeze(merged) });
}

/** The registry: every family the deployment knows, keyed by family name. */
export type Registry = Record<string, AnyFamily>;

type CheckRegistry<TRegistry> = {
  [K in keyof TRegistry]: TRegistry[K] extends { name: K }
    ? unknown
    : TypeError<`registry key '${K & string}' must equal the family's name`>;
};

/**
 * Declares the registry of families served by the router and workers.
 *
 * @example
 * export const families = defineRegistry({ email, reports });
 */
export function defineRegistry<const TRegistry extends Registry>(registry: TRegistry & CheckRegistry<TRegistry>): TRegistry {
  for (const [key, family] of Object.entries(registry)) {
    if (family.name !== key) throw new Error(`defineRegistry: key '${key}' holds family '${family.name}'`);
  }
  return Object.freeze({ ...registry });
}

/** Every task of a registry, flattened. */
export function listTasks(registry: Registry): AnyTask[] {
  return Object.values(registry).flatMap((family) => Object.values(family.tasks));
}

/** Looks a task up by id (`email.send`); `undefined` when the registry has no such task. */
export function findTask(registry: Registry, id: string): AnyTask | undefined {
  const dot = id.indexOf('.');
  if (dot < 0) return undefined;
  const familyName = id.slice(0, dot);
  const name = id.slice(dot + 1);
  const family = Object.hasOwn(registry, familyName) ? registry[familyName] : undefined;
  return family && Object.hasOwn(family.tasks, name) ? family.tasks[name] : undefined;
}

/** All tasks of a registry as a union, for discriminated views (`jobs.get`). */
export type RegistryTask<TRegistry extends Registry> = {
  [F in keyof TRegistry]: TRegistry[F]['tasks'][keyof TRegistry[F]['tasks']];
}[keyof TRegistry];

/**
 * A family's task by name, own properties only: a job named `constructor` or `__proto__` (poison
 * data) must not resolve to something inherited from `Object.prototype`.
 */
export function taskOf(family: AnyFamily, name: string): AnyTask | undefined {
  return Object.hasOwn(family.tasks, name) ? family.tasks[name] : undefined;
}
