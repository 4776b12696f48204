export type { Change, ChangeKind, Direction } from './change.ts';
export { type ContractProblem, type ContractReport, checkContracts } from './check.ts';
export { compareSchemas } from './compare.ts';
export {
  buildLock,
  type ContractLock,
  EMPTY_LOCK,
  formatLock,
  type LockedTask,
  type LockedVersion,
  lockedVersion,
  parseLock,
} from './lock.ts';
