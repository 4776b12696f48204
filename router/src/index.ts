// The inputs the router's procedures take, defined with their schemas in @taskwire/shared, and
// the data shapes it answers with, defined there too (the client returns them without this package).
export type {
  AnyJobView,
  CancelResult,
  DeadLetterListInput,
  HealthView,
  JobListInput,
  JobPage,
  PageInput,
  ReplayResult,
  ScheduleInput,
  ScheduleView,
} from '@taskwire/shared';
export type { AdmissionSettings } from './runtime/admission.ts';
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
export { AuthThrottle, type AuthThrottleOptions, DEFAULT_AUTH_THROTTLE } from './runtime/auth-throttle.ts';
export { clientAddress } from './runtime/client-address.ts';
export { parseCorsOrigins } from './runtime/cors.ts';
// Enqueues enter through admission only (every transport calls it): the write path is not exported.
export type { EnqueueItem, EnqueueSettings } from './runtime/enqueue.ts';
export { AccessGate, bearerToken } from './runtime/gate.ts';
export { QueueHub, type QueueHubOptions } from './runtime/hub.ts';
export { ReplicaWait, type WaitReplicasOptions, waitReplicasEnv, waitReplicasFromEnv } from './runtime/replica-wait.ts';
export {
  createTaskwireRouter,
  type OpsProcedures,
  type RegistryProcedures,
  type RouterOptions,
  type TaskProcedures,
  type TaskwireRouter,
} from './runtime/router.ts';
export { securityEnv, securityFromEnv } from './runtime/security-env.ts';
export { API_LIMITS, type ApiServer, type ApiServerOptions, startApiServer } from './runtime/server.ts';
export { DashboardSessions, DEFAULT_SESSION_MS, parseSessionSecrets, type SessionOptions } from './runtime/sessions.ts';
export type { TaskwireContext, TaskwireErrorData } from './runtime/trpc.ts';
