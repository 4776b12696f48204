import type {
  AnyJobView,
  AnyTask,
  DeadLetterListInput,
  EnqueueOptions,
  JobListInput,
  JobPage,
  JobRef,
  JobView,
  Registry,
  ScheduleInput,
  ScheduleView,
  TaskCallInput,
  WatchEvent,
} from '@taskwire/shared';
import type {
  TRPCBuiltRouter as BuiltRouter,
  TRPCMutationProcedure as MutationProcedure,
  TRPCQueryProcedure as QueryProcedure,
  TRPCSubscriptionProcedure as SubscriptionProcedure,
} from '@trpc/server';
import { type AdmissionSettings, type EnqueueAdmission, enqueueAdmissions } from './admission.ts';
import { DEFAULT_ENQUEUE_SETTINGS } from './enqueue.ts';
import type { QueueHub } from './hub.ts';
import { opsProcedures } from './ops-procedures.ts';
import { queueProcedures } from './queue-procedures.ts';
import { ScopedTokens } from './scoped-tokens.ts';
import { ServerSecrets } from './server-secrets.ts';
import { type TaskProcedureSettings, taskProcedures } from './task-procedures.ts';
import { type Root, t } from './trpc.ts';

type Def<TInput, TOutput> = { input: TInput; output: TOutput; meta: Root['meta']; errorShape: Root['errorShape'] };

/** The procedures generated for one task. */
export type TaskProcedures<TTask extends AnyTask> = {
  enqueue: MutationProcedure<Def<{ input: TaskCallInput<TTask>; options?: EnqueueOptions }, JobRef<TTask['id']>>>;
  enqueueMany: MutationProcedure<Def<{ items: { input: TaskCallInput<TTask>; options?: EnqueueOptions }[] }, JobRef<TTask['id']>[]>>;
  get: QueryProcedure<Def<{ id: string }, JobView<TTask>>>;
  watch: SubscriptionProcedure<Def<{ id: string }, WatchEvent<TTask>>>;
  schedules: {
    upsert: MutationProcedure<Def<ScheduleInput<TTask>, ScheduleView<TTask>>>;
    remove: MutationProcedure<Def<{ key: string }, { key: string; removed: boolean }>>;
    list: QueryProcedure<Def<void, ScheduleView<TTask>[]>>;
  };
};

/** `<family>.<task>.*` for every task of a registry: a mapped type, not a hand-written list. */
export type RegistryProcedures<TRegistry extends Registry> = {
  [F in keyof TRegistry]: { [K in keyof TRegistry[F]['tasks']]: TaskProcedures<TRegistry[F]['tasks'][K]> };
};

type Ops = ReturnType<typeof opsProcedures> & ReturnType<typeof queueProcedures>;

/** `jobs.*`, `queues.*`, `deadLetter.*`, `health`, with job views typed as a union over the registry's tasks. */
export type OpsProcedures<TRegistry extends Registry> = Omit<Ops, 'jobs' | 'deadLetter'> & {
  deadLetter: Omit<Ops['deadLetter'], 'list'> & {
    list: QueryProcedure<Def<DeadLetterListInput<keyof TRegistry & string>, JobPage<AnyJobView<TRegistry>>>>;
  };
  jobs: Omit<Ops['jobs'], 'get' | 'list'> & {
    get: QueryProcedure<Def<{ id: string }, AnyJobView<TRegistry>>>;
    list: QueryProcedure<Def<JobListInput<keyof TRegistry & string>, JobPage<AnyJobView<TRegistry>>>>;
  };
};

/** The router type for a registry; what typed clients are built from. */
export type TaskwireRouter<TRegistry extends Registry> = BuiltRouter<Root, RegistryProcedures<TRegistry> & OpsProcedures<TRegistry>>;

export interface RouterOptions extends Partial<AdmissionSettings & TaskProcedureSettings> {}

/**
 * Builds the tRPC router for a registry: per task `enqueue`, `enqueueMany`, `get`, `watch`; plus
 * `jobs.*`, `queues.*` and `health`.
 *
 * @example
 * const hub = new QueueHub(families, { redisUrl });
 * const router = createTaskwireRouter(families, hub);
 * export type AppRouter = typeof router;
 */
export function createTaskwireRouter<const TRegistry extends Registry>(
  registry: TRegistry,
  hub: QueueHub,
  options: RouterOptions = {},
): TaskwireRouter<TRegistry> {
  const settings = routerSettings(options);
  return buildRouter(registry, hub, enqueueAdmissions(registry, hub, settings), settings);
}

/**
 * The router over admissions built by the caller (the API server shares them with its WebSocket
 * fast path and REST, so that every transport admits enqueues through the same objects).
 */
export function buildRouter<const TRegistry extends Registry>(
  registry: TRegistry,
  hub: QueueHub,
  admissions: ReadonlyMap<string, EnqueueAdmission>,
  settings: TaskProcedureSettings,
  tokens: ScopedTokens = new ScopedTokens(registry, new ServerSecrets(hub)),
): TaskwireRouter<TRegistry> {
  const record: Record<string, unknown> = {};
  for (const family of Object.values(registry)) {
    const tasks: Record<string, unknown> = {};
    for (const [name, task] of Object.entries(family.tasks)) {
      const admission = admissions.get(task.id);
      if (!admission) throw new Error(`No admission for ${task.id}`);
      tasks[name] = taskProcedures(hub, admission, settings);
    }
    record[family.name] = tasks;
  }
  Object.assign(record, opsProcedures(hub, tokens), queueProcedures(hub));
  // The runtime record is built by iteration; its type is the mapped type above.
  return t.router(record as Parameters<typeof t.router>[0]) as unknown as TaskwireRouter<TRegistry>;
}

/** The router's settings: the options given over the defaults. */
export function routerSettings(options: RouterOptions): AdmissionSettings & TaskProcedureSettings {
  return { ...DEFAULT_ENQUEUE_SETTINGS, maxBatch: 1_000, watchPollMs: 2_000, ...options };
}
