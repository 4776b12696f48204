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
} from './runtime/client.ts';
export { call, JobFailedError, toClientError } from './runtime/errors.ts';
