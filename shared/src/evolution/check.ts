import { listTasks, type Registry } from '../contract/family.ts';
import type { FlowSettings } from '../contract/flow.ts';
import { VOCABULARY, type Vocabulary, wireJsonSchema } from '../contract/json-schema.ts';
import type { AnyTask } from '../contract/task.ts';
import type { Change } from './change.ts';
import { compareSchemas } from './compare.ts';
import { invisibleConstraints } from './invisible.ts';
import type { ContractLock, LockedTask, LockedVersion } from './lock.ts';
import { lockedVersion, vocabularyOf } from './lock.ts';

/**
 * One reason the contracts and the lock disagree. `breaking`: jobs already queued (or clients
 * already deployed) would break. `stale`: nothing breaks, but the lock does not record the change
 * yet (run `npm run contracts:update`).
 */
export interface ContractProblem {
  severity: 'breaking' | 'stale';
  task: string;
  message: string;
  part?: 'input' | 'output' | 'progress' | undefined;
  /** Where in the value (see `compareSchemas` for the notation). */
  path?: string | undefined;
}

/**
 * Something a contract uses that the lock cannot record (a refinement, a transform, …): a change
 * to it would not be caught. Not a failure; worth knowing where it is.
 */
export interface ContractWarning {
  task: string;
  part: 'input' | 'output' | 'progress';
  /** Where in the value (see `compareSchemas` for the notation). */
  path: string;
  message: string;
}

export interface ContractReport {
  tasks: number;
  problems: ContractProblem[];
  /** Accepted changes worth knowing about (e.g. output changes that came with a version bump). */
  notes: string[];
  warnings: ContractWarning[];
}

const PARTS = [
  ['input', 'accepts'],
  ['output', 'produces'],
  ['progress', 'produces'],
] as const;

function diff(before: LockedVersion, after: LockedVersion): { part: 'input' | 'output' | 'progress'; change: Change }[] {
  return PARTS.flatMap(([part, direction]) => compareSchemas(before[part], after[part], direction).map((change) => ({ part, change })));
}

function where(part: string, path: string): string {
  return path ? `${part} at '${path}'` : part;
}

function checkSameVersion(task: AnyTask, locked: LockedVersion, problems: ContractProblem[]): void {
  // An entry of an older lock is compared with the contract written the way that lock wrote it.
  const vocabulary = vocabularyOf(locked);
  const changes = diff(locked, lockedVersion(task, vocabulary));
  for (const { part, change } of changes.filter((c) => c.change.breaking)) {
    const why = part === 'input' ? 'jobs already queued would fail to parse' : 'clients built from the locked contract would break';
    problems.push({
      severity: 'breaking',
      task: task.id,
      part,
      path: change.path,
      message: `${where(part, change.path)}: ${change.message} — ${why}; bump the version to ${task.version + 1}${part === 'input' ? ` and add a migration from ${task.version}` : ''}`,
    });
  }
  if (changes.length > 0 && !changes.some((c) => c.change.breaking)) {
    problems.push({
      severity: 'stale',
      task: task.id,
      message: `compatible changes not yet in the lock (${changes.map((c) => `${where(c.part, c.change.path)}: ${c.change.message}`).join('; ')})`,
    });
  }
  if (vocabulary < VOCABULARY) checkUnrecorded(task, vocabulary, problems);
}

/**
 * What today's lock records of a contract and an older lock did not. Whether it changed since
 * that lock was written cannot be told, so it is neither passed as unchanged nor reported as a
 * change: the lock is out of date until `contracts:update` records it.
 */
function checkUnrecorded(task: AnyTask, vocabulary: Vocabulary, problems: ContractProblem[]): void {
  const unseen = diff(lockedVersion(task, vocabulary), lockedVersion(task));
  if (unseen.length === 0) return;
  const what = unseen.map(({ part, change }) => `${where(part, change.path)}: ${change.message}`).join('; ');
  problems.push({
    severity: 'stale',
    task: task.id,
    message: `the lock was written by an older taskwire that did not record ${unseen.length === 1 ? 'this' : 'these'} (${what}), so whether it changed since cannot be checked; run npm run contracts:update to record it`,
  });
}

function checkNewVersion(task: AnyTask, entry: LockedTask, problems: ContractProblem[], notes: string[]): void {
  for (const [key, old] of Object.entries(entry.versions)) {
    const from = Number(key);
    if (from >= task.version) continue;
    const migration = task.migrations[from];
    if (!migration) {
      problems.push({
        severity: 'breaking',
        task: task.id,
        message: `version ${task.version} has no migration from version ${from}, whose jobs may still be queued; add migrations[${from}]`,
      });
      continue;
    }
    const input = wireJsonSchema(migration.input, 'input', vocabularyOf(old));
    for (const change of compareSchemas(old.input, input, 'accepts').filter((c) => c.breaking)) {
      problems.push({
        severity: 'breaking',
        task: task.id,
        part: 'input',
        path: change.path,
        message: `the migration from version ${from} does not accept what version ${from} jobs hold: ${where('input', change.path)}: ${change.message}`,
      });
    }
  }
  const previous = entry.versions[String(entry.version)];
  if (previous) {
    const current = lockedVersion(task, vocabularyOf(previous));
    for (const { part, change } of diff(previous, current).filter((c) => c.change.breaking && c.part !== 'input')) {
      notes.push(
        `${task.id} v${task.version}: ${where(part, change.path)}: ${change.message} (accepted with the version bump; update clients)`,
      );
    }
  }
  problems.push({ severity: 'stale', task: task.id, message: `version ${task.version} is not in the lock yet (locked: ${entry.version})` });
}

/**
 * Compares a registry with its lock. Fails (problems) on any change that would break jobs already
 * queued or clients already deployed without a version bump and a migration, and on any drift
 * between the contracts and the lock. Warns (`warnings`) where a contract uses what the lock
 * cannot record.
 *
 * @example
 * const report = checkContracts(families, parseLock(readFileSync('contracts.lock.json', 'utf8')));
 * if (report.problems.length) process.exit(1);
 */
export function checkContracts(registry: Registry, lock: ContractLock): ContractReport {
  const problems: ContractProblem[] = [];
  const notes: string[] = [];
  const tasks = listTasks(registry);
  for (const task of tasks) {
    const entry = lock.tasks[task.id];
    if (!entry) {
      problems.push({ severity: 'stale', task: task.id, message: 'new task, not in the lock yet' });
      continue;
    }
    const flowChange = describeFlowChange(entry.flow, task.flowSettings);
    // Flow control decides how enqueues are deduplicated, not what a job holds: reported, not breaking.
    if (flowChange) problems.push({ severity: 'stale', task: task.id, message: `flow control changed: ${flowChange}` });
    if (task.version < entry.version) {
      problems.push({ severity: 'breaking', task: task.id, message: `version went back from ${entry.version} to ${task.version}` });
      continue;
    }
    if (task.version === entry.version) {
      const locked = entry.versions[String(entry.version)];
      if (!locked) problems.push({ severity: 'stale', task: task.id, message: `the lock has no schemas for version ${entry.version}` });
      else checkSameVersion(task, locked, problems);
      for (const from of Object.keys(task.migrations)) {
        if (!entry.versions[from])
          problems.push({ severity: 'stale', task: task.id, message: `migration from version ${from} not in the lock yet` });
      }
    } else {
      checkNewVersion(task, entry, problems, notes);
    }
  }
  const known = new Set(tasks.map((t) => t.id));
  for (const id of Object.keys(lock.tasks)) {
    if (!known.has(id)) {
      problems.push({
        severity: 'breaking',
        task: id,
        message: 'task removed while jobs of it may still be queued (they would fail with UNKNOWN_TASK)',
      });
    }
  }
  return { tasks: tasks.length, problems, notes, warnings: tasks.flatMap(warningsOf) };
}

/** What changed in a task's flow control, in words, or undefined when nothing did. */
function describeFlowChange(before: FlowSettings | undefined, after: FlowSettings | undefined): string | undefined {
  const text = (flow: FlowSettings | undefined) =>
    flow
      ? `${flow.kind}${Object.entries(flow)
          .filter(([key]) => key !== 'kind')
          .map(([key, value]) => ` ${key}=${value}`)
          .join('')}`
      : 'none';
  const [from, to] = [text(before), text(after)];
  return from === to ? undefined : `${from} → ${to}`;
}

function warningsOf(task: AnyTask): ContractWarning[] {
  return (['input', 'output', 'progress'] as const).flatMap((part) =>
    invisibleConstraints(task[part]).map(({ path, what }) => ({ task: task.id, part, path, message: what })),
  );
}
