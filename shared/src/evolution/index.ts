export type { Change, ChangeKind, Direction } from './change.ts';
export { type ContractProblem, type ContractReport, type ContractWarning, checkContracts } from './check.ts';
export { compareSchemas } from './compare.ts';
export { CHECK_KINDS, type Coverage, FORMATS, OPTIONS, SCHEMA_TYPES } from './coverage.ts';
export { type InvisibleConstraint, invisibleConstraints } from './invisible.ts';
export {
  buildLock,
  type ContractLock,
  EMPTY_LOCK,
  formatLock,
  type LockedTask,
  type LockedVersion,
  lockedVersion,
  parseLock,
  vocabularyOf,
} from './lock.ts';
