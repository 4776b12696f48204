import { listTasks, type Registry } from '../contract/family.ts';
import type { FlowSettings } from '../contract/flow.ts';
import { type JsonSchema, VOCABULARY, type Vocabulary, wireJsonSchema } from '../contract/json-schema.ts';
import type { AnyTask } from '../contract/task.ts';

/** The schemas of one task version, as recorded in the lock. */
export interface LockedVersion {
  input: JsonSchema;
  output: JsonSchema;
  progress: JsonSchema;
  /**
   * Set when the lock met this version only through a migration (it was never locked while
   * current): its input comes from the migration, its output and progress from the next version.
   */
  fromMigration?: true;
  /**
   * Set when these schemas were written by an older taskwire that recorded less (see
   * `Vocabulary`); absent: written in the vocabulary of the file's `lockVersion`. Versions older
   * than the current one keep it until they leave the lock: their schemas cannot be written again.
   */
  vocabulary?: Vocabulary;
}

export interface LockedTask {
  /** The version producers write today. */
  version: number;
  /** Its flow control (`unique`, `throttle`, `debounce`, `singleton`) without the key function; absent when none. */
  flow?: FlowSettings;
  /** Every version whose jobs may still be queued, by version number. */
  versions: Record<string, LockedVersion>;
}

/**
 * `contracts.lock.json`: the JSON Schema of every task version the deployment has shipped.
 * `lockVersion` is the vocabulary its schemas are written in (1: before taskwire recorded Date and
 * bigint bounds, Set and Map sizes, URL options, `.catch()` and coercion; 2: today).
 */
export interface ContractLock {
  lockVersion: Vocabulary;
  tasks: Record<string, LockedTask>;
}

export const EMPTY_LOCK: ContractLock = { lockVersion: VOCABULARY, tasks: {} };

/**
 * The schemas of a task's current version, in `vocabulary` (today's unless comparing with an
 * older lock entry).
 *
 * @example
 * lockedVersion(sendEmail).input; // { type: 'object', properties: { to: … }, … }
 */
export function lockedVersion(task: AnyTask, vocabulary: Vocabulary = VOCABULARY): LockedVersion {
  return {
    input: wireJsonSchema(task.input, 'input', vocabulary),
    output: wireJsonSchema(task.output, 'output', vocabulary),
    progress: wireJsonSchema(task.progress, 'output', vocabulary),
  };
}

/**
 * The vocabulary a locked version was written in.
 *
 * @example
 * vocabularyOf({ input, output, progress, vocabulary: 1 }); // 1
 */
export function vocabularyOf(locked: LockedVersion): Vocabulary {
  return locked.vocabulary ?? VOCABULARY;
}

/**
 * The lock for a registry: every task's current version, every older version already in
 * `previous` (jobs of those may still be queued), and older versions known only from a
 * migration. Tasks that left the registry leave the lock. Keys are sorted so the file diffs well.
 * Current versions are written in today's vocabulary; older ones keep theirs (see `vocabulary`).
 *
 * @example
 * const lock = buildLock(families, readLockFile('contracts.lock.json'));
 */
export function buildLock(registry: Registry, previous: ContractLock = EMPTY_LOCK): ContractLock {
  const tasks: Record<string, LockedTask> = {};
  for (const task of [...listTasks(registry)].sort((a, b) => a.id.localeCompare(b.id))) {
    const current = lockedVersion(task);
    const versions: Record<string, LockedVersion> = { ...previous.tasks[task.id]?.versions };
    for (const key of Object.keys(versions)) if (Number(key) > task.version) delete versions[key];
    versions[String(task.version)] = current;
    for (const [from, migration] of Object.entries(task.migrations)) {
      versions[from] ??= {
        input: wireJsonSchema(migration.input, 'input'),
        output: current.output,
        progress: current.progress,
        fromMigration: true,
      };
    }
    const sorted = Object.fromEntries(Object.entries(versions).sort(([a], [b]) => Number(a) - Number(b)));
    tasks[task.id] = { version: task.version, ...(task.flowSettings ? { flow: { ...task.flowSettings } } : {}), versions: sorted };
  }
  return { lockVersion: VOCABULARY, tasks };
}

/**
 * Parses a lock file's text, with a clear error for anything that is not one. A lock written by
 * an older taskwire (`lockVersion` 1) is read as it is: each of its versions is marked with the
 * vocabulary it was written in, so it is compared in that vocabulary until it is written again.
 *
 * @example
 * const lock = parseLock(readFileSync('contracts.lock.json', 'utf8'));
 */
export function parseLock(text: string): ContractLock {
  const data = JSON.parse(text) as Partial<ContractLock>;
  const version = data.lockVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || typeof data.tasks !== 'object' || data.tasks === null) {
    throw new Error(`Not a taskwire contracts lock (expected { "lockVersion": ${VOCABULARY}, "tasks": { … } })`);
  }
  if (version > VOCABULARY) {
    throw new Error(
      `contracts lock version ${version} was written by a newer taskwire (this one reads up to ${VOCABULARY}); upgrade taskwire`,
    );
  }
  const lock = data as ContractLock;
  if (version < VOCABULARY) {
    for (const task of Object.values(lock.tasks)) {
      for (const locked of Object.values(task.versions)) locked.vocabulary ??= version as Vocabulary;
    }
  }
  return { lockVersion: VOCABULARY, tasks: lock.tasks };
}

/** The lock as committed: two-space JSON with a trailing newline. */
export function formatLock(lock: ContractLock): string {
  return `${JSON.stringify(lock, null, 2)}\n`;
}
