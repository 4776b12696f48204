// The client for any runtime; on Node, the `node` export condition loads ./node.ts instead, which
// gives `createClient` Node's platform (the `ws` and `eventsource` packages).
export {
  createClient,
  type DeadLetterFilter,
  type JobListFilter,
  type OpsClient,
  type RegistryClient,
  type RunOptions,
  type TaskClient,
  type TaskwireClient,
  type TaskwireClientOptions,
  type WatchOptions,
} from './runtime/client.ts';
export { call, JobFailedError, toClientError } from './runtime/errors.ts';
export {
  type ClientPlatform,
  type EventSourceConstructor,
  type WebSocketEventLike,
  type WebSocketLike,
  type WebSocketOpenOptions,
  webPlatform,
} from './runtime/platform.ts';
