export {
  type ApiToken,
  type AuthConfig,
  Authenticator,
  authFromEnv,
  can,
  generateToken,
  hashToken,
  type Principal,
  parseTokens,
  requireScope,
  type Scope,
} from './runtime/auth.ts';
export { type EnqueueItem, type EnqueueSettings, enqueueItems } from './runtime/enqueue.ts';
export { QueueHub, type QueueHubOptions } from './runtime/hub.ts';
export type { CancelResult } from './runtime/ops-procedures.ts';
export type { ReplayResult } from './runtime/queue-procedures.ts';
export { ReplicaWait, type WaitReplicasOptions, waitReplicasEnv, waitReplicasFromEnv } from './runtime/replica-wait.ts';
export {
  type AnyJobView,
  createTaskwireRouter,
  type OpsProcedures,
  type RegistryProcedures,
  type RouterOptions,
  type ScheduleInput,
  type TaskProcedures,
  type TaskwireRouter,
} from './runtime/router.ts';
export type { ScheduleView } from './runtime/schedule-procedures.ts';
export { type ApiServer, type ApiServerOptions, startApiServer } from './runtime/server.ts';
export type { TaskwireContext, TaskwireErrorData } from './runtime/trpc.ts';
