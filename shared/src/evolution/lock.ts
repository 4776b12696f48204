import { listTasks, type Registry } from '../contract/family.ts';
import { type JsonSchema, wireJsonSchema } from '../contract/json-schema.ts';
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
}

export interface LockedTask {
  /** The version producers write today. */
  version: number;
  /** Every version whose jobs may still be queued, by version number. */
  versions: Record<string, LockedVersion>;
}

/** `contracts.lock.json`: the JSON Schema of every task version the deployment has shipped. */
export interface ContractLock {
  lockVersion: 1;
  tasks: Record<string, LockedTask>;
}

export const EMPTY_LOCK: ContractLock = { lockVersion: 1, tasks: {} };

/** The schemas of a task's current version. */
export function lockedVersion(task: AnyTask): LockedVersion {
  return {
    input: wireJsonSchema(task.input, 'input'),
    output: wireJsonSchema(task.output, 'output'),
    progress: wireJsonSchema(task.progress, 'output'),
  };
}

/**
 * The lock for a registry: every task's current version, every older version already in
 * `previous` (jobs of those may still be queued), and older versions known only from a
 * migration. Tasks that left the registry leave the lock. Keys are sorted so the file diffs well.
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
    tasks[task.id] = { version: task.version, versions: sorted };
  }
  return { lockVersion: 1, tasks };
}

/** Parses a lock file's text, with a clear error for anything that is not one. */
export function parseLock(text: string): ContractLock {
  const data = JSON.parse(text) as Partial<ContractLock>;
  if (data.lockVersion !== 1 || typeof data.tasks !== 'object' || data.tasks === null) {
    throw new Error('Not a taskwire contracts lock (expected { "lockVersion": 1, "tasks": { … } })');
  }
  return data as ContractLock;
}

/** The lock as committed: two-space JSON with a trailing newline. */
export function formatLock(lock: ContractLock): string {
  return `${JSON.stringify(lock, null, 2)}\n`;
}
