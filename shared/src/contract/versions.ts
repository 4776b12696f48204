import { type ErrorInfo, formatIssues, toIssues } from './errors.ts';
import type { AnyTask } from './task.ts';

export type UpgradeResult = { kind: 'current'; payload: unknown } | { kind: 'newer' } | { kind: 'invalid'; info: ErrorInfo };

/**
 * Brings a stored payload to the task's current version: as is when versions match, through the
 * task's migration when older, and `newer` when the job comes from a contract this worker does
 * not know yet.
 */
export function upgradePayload(task: AnyTask, version: number, payload: unknown): UpgradeResult {
  if (version === task.version) return { kind: 'current', payload };
  if (version > task.version) return { kind: 'newer' };
  const migration = task.migrations[version];
  if (!migration) {
    return {
      kind: 'invalid',
      info: { code: 'UNSUPPORTED_VERSION', message: `${task.id} has no migration from version ${version} to ${task.version}` },
    };
  }
  const old = migration.input.safeParse(payload);
  if (!old.success) {
    const issues = toIssues(old.error.issues);
    return {
      kind: 'invalid',
      info: { code: 'INVALID_PAYLOAD', message: `Invalid ${task.id} v${version} payload: ${formatIssues(issues)}`, issues },
    };
  }
  try {
    return { kind: 'current', payload: migration.migrate(old.data) };
  } catch (error) {
    return {
      kind: 'invalid',
      info: { code: 'INVALID_PAYLOAD', message: `${task.id} migration from v${version} failed: ${(error as Error).message}` },
    };
  }
}
