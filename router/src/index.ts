export { type EnqueueItem, type EnqueueSettings, enqueueItems } from './runtime/enqueue.ts';
export { QueueHub, type QueueHubOptions } from './runtime/hub.ts';
export type { CancelResult } from './runtime/ops-procedures.ts';
export {
  type AnyJobView,
  createTaskwireRouter,
  type OpsProcedures,
  type RegistryProcedures,
  type RouterOptions,
  type TaskProcedures,
  type TaskwireRouter,
} from './runtime/router.ts';
export { type ApiServer, type ApiServerOptions, startApiServer } from './runtime/server.ts';
export type { TaskwireContext, TaskwireErrorData } from './runtime/trpc.ts';
