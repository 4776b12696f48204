export {
  defineHandlers,
  type FamilyHandlers,
  type Handler,
  type HandlerContext,
  type HandlerMap,
  type JobInfo,
} from './runtime/handlers.ts';
export { FamilyWorker, type FamilyWorkerOptions, startFamilyWorker, type WorkerEvent } from './runtime/worker.ts';
