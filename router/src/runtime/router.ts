import type { AnyTask, EnqueueOptions, JobRef, JobView, Registry, RegistryTask, TaskCallInput, WatchEvent } from '@taskwire/shared';
import type {
  TRPCBuiltRouter as BuiltRouter,
  TRPCMutationProcedure as MutationProcedure,
  TRPCQueryProcedure as QueryProcedure,
  TRPCSubscriptionProcedure as SubscriptionProcedure,
} from '@trpc/server';
import { DEFAULT_ENQUEUE_SETTINGS } from './enqueue.ts';
import type { QueueHub } from './hub.ts';
import type { JobPage, PageInput } from './job-pages.ts';
import { opsProcedures } from './ops-procedures.ts';
import { queueProcedures } from './queue-procedures.ts';
import type { ScheduleView } from './schedule-procedures.ts';
import { type DirectCall, directEnqueue, type TaskProcedureSettings, taskProcedures } from './task-procedures.ts';
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

/** What `schedules.upsert` takes: a key, `cron` (with optional `tz`) or `everyMs`, and the task input. */
export type ScheduleInput<TTask extends AnyTask> = {
  key: string;
  input: TaskCallInput<TTask>;
  tz?: string;
  options?: { priority?: number; attempts?: number; timeoutMs?: number };
} & ({ cron: string; everyMs?: never } | { everyMs: number; cron?: never; tz?: never });

/** `<family>.<task>.*` for every task of a registry: a mapped type, not a hand-written list. */
export type RegistryProcedures<TRegistry extends Registry> = {
  [F in keyof TRegistry]: { [K in keyof TRegistry[F]['tasks']]: TaskProcedures<TRegistry[F]['tasks'][K]> };
};

type Ops = ReturnType<typeof opsProcedures> & ReturnType<typeof queueProcedures>;

/** `jobs.*`, `queues.*`, `deadLetter.*`, `health`, with job views typed as a union over the registry's tasks. */
export type OpsProcedures<TRegistry extends Registry> = Omit<Ops, 'jobs' | 'deadLetter'> & {
  deadLetter: Omit<Ops['deadLetter'], 'list'> & {
    list: QueryProcedure<Def<{ family?: keyof TRegistry & string } & PageInput, JobPage<AnyJobView<TRegistry>>>>;
  };
  jobs: Omit<Ops['jobs'], 'get' | 'list'> & {
    get: QueryProcedure<Def<{ id: string }, AnyJobView<TRegistry>>>;
    list: QueryProcedure<
      Def<
        { family?: keyof TRegistry & string; state?: 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' } & PageInput,
        JobPage<AnyJobView<TRegistry>>
      >
    >;
  };
};

/** A JobView of any task of the registry, discriminated by `task`. */
export type AnyJobView<TRegistry extends Registry> =
  RegistryTask<TRegistry> extends infer TTask ? (TTask extends AnyTask ? JobView<TTask> : never) : never;

/** The router type for a registry; what typed clients are built from. */
export type TaskwireRouter<TRegistry extends Registry> = BuiltRouter<Root, RegistryProcedures<TRegistry> & OpsProcedures<TRegistry>>;

export interface RouterOptions extends Partial<TaskProcedureSettings> {}

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
  const record: Record<string, unknown> = {};
  for (const family of Object.values(registry)) {
    const tasks: Record<string, unknown> = {};
    for (const [name, task] of Object.entries(family.tasks)) tasks[name] = taskProcedures(hub, task, settings);
    record[family.name] = tasks;
  }
  Object.assign(record, opsProcedures(hub), queueProcedures(hub));
  // The runtime record is built by iteration; its type is the mapped type above.
  return t.router(record as Parameters<typeof t.router>[0]) as unknown as TaskwireRouter<TRegistry>;
}

function routerSettings(options: RouterOptions): TaskProcedureSettings {
  return { ...DEFAULT_ENQUEUE_SETTINGS, maxBatch: 1_000, watchPollMs: 2_000, ...options };
}

/**
 * The router's single-enqueue procedures as plain functions, by path (`email.send.enqueue`), for
 * the WebSocket server's fast path. Same behaviour as the procedures of {@link createTaskwireRouter}.
 */
export function directCalls(registry: Registry, hub: QueueHub, options: RouterOptions = {}): ReadonlyMap<string, DirectCall> {
  const settings = routerSettings(options);
  const calls = new Map<string, DirectCall>();
  for (const family of Object.values(registry)) {
    for (const task of Object.values(family.tasks)) calls.set(`${task.id}.enqueue`, directEnqueue(hub, task, settings));
  }
  return calls;
}
