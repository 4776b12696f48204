/**
 * `@taskwire/router/types`: the router's types without its run time. The JavaScript of this entry
 * is empty, so an app that types a stock tRPC client (or `@trpc/tanstack-react-query`) with a
 * deployment's router imports nothing of the server into its bundle.
 *
 * @example
 * import type { TaskwireRouter } from '@taskwire/router/types';
 * import { createTRPCClient, httpBatchLink } from '@trpc/client';
 * import superjson from 'superjson';
 * import type { registry } from './contracts.js';
 *
 * export type AppRouter = TaskwireRouter<typeof registry>;
 * const trpc = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url: '/trpc', transformer: superjson })] });
 */
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
export type { OpsProcedures, RegistryProcedures, TaskProcedures, TaskwireRouter } from './runtime/router.ts';
export type { TaskwireErrorData } from './runtime/trpc.ts';
