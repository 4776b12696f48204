export { type EnqueuedTask, type EnqueueTaskOptions, enqueueTask, keyedJobId } from './runtime/enqueue-task.ts';
export type { WorkerEvent } from './runtime/events.ts';
export {
  defineHandlers,
  type FamilyHandlers,
  type Handler,
  type HandlerContext,
  type HandlerMap,
  type JobInfo,
} from './runtime/handlers.ts';
export { createLogger, jobEventLogger } from './runtime/logger.ts';
export { WorkerMetrics } from './runtime/metrics.ts';
export { type CloseOutcome, FamilyWorker, type FamilyWorkerOptions, startFamilyWorker } from './runtime/worker.ts';
export type { ChildCall, RunAllOutputs, RunAllSettled, RunOptions, Settled } from './runtime/workflow.ts';
