import type { Families } from '@taskwire/shared/tasks';
import { createClient, type TaskwireClient, type TaskwireClientOptions } from './runtime/client.ts';

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

/**
 * A client typed for this deployment's families (`@taskwire/shared/tasks`).
 *
 * @example
 * const tw = createTaskwireClient({ url: 'http://localhost:3000/trpc' });
 * const ref = await tw.email.send.enqueue({ to: 'ada@example.com', subject: 'Hi', html: '<p>Hi</p>' });
 * const report = await tw.reports.generate.run({ title: 'Weekly', from, to }, { timeoutMs: 60_000 });
 */
export function createTaskwireClient(options: TaskwireClientOptions): TaskwireClient<Families> {
  return createClient<Families>(options);
}
