import type { Context as OtelContext } from '@opentelemetry/api';
import { type AnyTask, enqueueOptionsSchema, type JobRef, type JobView, TaskwireError, type WatchEvent } from '@taskwire/shared';
import { TRPCError } from '@trpc/server';
import type { Job } from 'bullmq';
import { z } from 'zod';
import { type Principal, requireScope, type Scope } from './auth.ts';
import { type EnqueueItem, type EnqueueSettings, enqueueItems } from './enqueue.ts';
import type { QueueHub } from './hub.ts';
import { Inbox } from './inbox.ts';
import type { RawJobEvent } from './job-events.ts';
import type { ApiObserver } from './metrics.ts';
import { consumeEnqueueBudget } from './rate-limit.ts';
import { scheduleProcedures } from './schedule-procedures.ts';
import { traceEnqueue } from './tracing.ts';
import { procedure, rejection, type TaskwireContext, toTaskwireError, toTRPCError } from './trpc.ts';
import { decodeProgress, toJobView, toWatchEvent } from './views.ts';

export interface TaskProcedureSettings extends EnqueueSettings {
  /** Most items one `enqueueMany` call may carry. */
  maxBatch: number;
  /** How often a watcher re-reads the job in case an event was missed (ms). */
  watchPollMs: number;
}

export const jobIdInput = z.object({ id: z.string().min(3).max(300) });

/** Reads a job of a given task; NOT_FOUND if the id names another task or nothing. */
export async function loadJob(hub: QueueHub, task: AnyTask, id: string): Promise<{ job: Job; state: string; bullId: string }> {
  const { family, queue, bullId } = hub.locate(id);
  const found = await hub.fetchJob(queue, bullId);
  if (!found || family.name !== task.family || found.job.name !== task.name) {
    throw new TaskwireError('NOT_FOUND', `No ${task.id} job '${id}'`);
  }
  return { ...found, bullId };
}

function terminalEvent(task: AnyTask, job: Job, state: string): WatchEvent | undefined {
  if (state !== 'completed' && state !== 'failed') return undefined;
  const view = toJobView(task, job, state);
  return state === 'completed'
    ? { type: 'completed', result: view.result }
    : { type: 'failed', error: view.error ?? { code: 'HANDLER_ERROR', message: 'Job failed' } };
}

/**
 * Follows one job: its state now, then progress as it comes, then one terminal event. Events
 * come from the family's shared event reader; a periodic re-read covers any event missed while
 * the reader (re)connected, so a watcher never waits forever.
 */
async function* watchJob(hub: QueueHub, task: AnyTask, id: string, signal: AbortSignal, pollMs: number): AsyncGenerator<WatchEvent> {
  const { bullId } = hub.locate(id);
  const bus = hub.events(task.family);
  const inbox = new Inbox<RawJobEvent>();
  const unsubscribe = bus.subscribe(bullId, (event) => inbox.push(event));
  try {
    await hub.run(() => bus.ready());
    const { job, state } = await loadJob(hub, task, id);
    yield { type: 'state', state: toJobView(task, job, state).state };
    const done = terminalEvent(task, job, state);
    if (done) {
      yield done;
      return;
    }
    const progress = decodeProgress(job.progress);
    if (progress !== null) yield { type: 'progress', progress };
    while (!signal.aborted) {
      const event = await inbox.take(signal, pollMs);
      if (event) {
        const watchEvent = toWatchEvent(event);
        yield watchEvent;
        if (watchEvent.type !== 'progress') return;
        continue;
      }
      if (signal.aborted) return;
      const current = await hub.fetchJob(hub.queue(task.family), bullId).catch((error: unknown) => {
        if (error instanceof TaskwireError && error.code === 'QUEUE_UNAVAILABLE') return null; // keep waiting
        throw error;
      });
      if (current === undefined) {
        yield toWatchEvent({ type: 'removed' });
        return;
      }
      if (current) {
        const late = terminalEvent(task, current.job, current.state);
        if (late) {
          yield late;
          return;
        }
      }
    }
  } finally {
    unsubscribe();
  }
}

/**
 * Whether a caller may add these jobs of a task: the family's `enqueue` scope, the scopes the
 * contract requires for each input (a task whose effect reaches other families), and the token's
 * rate budget. Every way of adding jobs (enqueue, enqueueMany, REST, schedules) passes here.
 */
export async function admitJobs(hub: QueueHub, principal: Principal, task: AnyTask, items: readonly { input: unknown }[]): Promise<void> {
  requireScope(principal, `${task.family}:enqueue`);
  if (task.requiredScopes) {
    for (const item of items) for (const scope of task.requiredScopes(item.input)) requireScope(principal, scope);
  }
  await consumeEnqueueBudget(hub, principal, items.length);
}

/**
 * Enqueues already-validated items for a caller: admission (see {@link admitJobs}), trace span,
 * metrics. The one path every transport (tRPC, REST) takes.
 */
export async function enqueueAs(
  hub: QueueHub,
  task: AnyTask,
  items: readonly EnqueueItem[],
  settings: EnqueueSettings,
  caller: { principal: Principal; trace?: OtelContext | undefined; observer?: ApiObserver | undefined },
): Promise<JobRef[]> {
  await admitJobs(hub, caller.principal, task, items);
  // A single enqueue is added on its own, not merged with the calls arriving with it into one
  // pipelined bulk (measured slower: a bulk is encoded whole before any of it is sent); the Redis
  // writes of one event-loop turn still leave together (see addJobs).
  const refs = await traceEnqueue(caller.trace, task, items.length, (traceparent) => enqueueItems(hub, task, items, settings, traceparent));
  caller.observer?.enqueued(task.id, refs.filter((r) => !r.deduplicated).length);
  return refs;
}

/** A job of a task as its typed view, for a caller allowed to read the family. */
export async function getJobAs(hub: QueueHub, task: AnyTask, id: string, principal: Principal): Promise<JobView> {
  requireScope(principal, `${task.family}:read`);
  const { job, state } = await loadJob(hub, task, id);
  return toJobView(task, job, state);
}

/**
 * Errors thrown while a subscription streams bypass procedure middleware; give them their
 * table code here so that, e.g., NOT_FOUND ends the client's subscription instead of making it
 * reconnect (tRPC clients reconnect on 5xx-class codes, which is right for QUEUE_UNAVAILABLE).
 */
async function* withErrorCodes<T>(events: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* events;
  } catch (error) {
    throw toTRPCError(toTaskwireError(error));
  }
}

const itemSchemas = new WeakMap<AnyTask, z.ZodType<EnqueueItem>>();

/** What `enqueue` takes for a task, `{ input, options? }`: one schema per task, built once. */
export function enqueueItemSchema(task: AnyTask): z.ZodType<EnqueueItem> {
  let schema = itemSchemas.get(task);
  if (!schema) {
    schema = z.object({ input: task.input, options: enqueueOptionsSchema.optional() }) as z.ZodType<EnqueueItem>;
    itemSchemas.set(task, schema);
  }
  return schema;
}

/** A call the WebSocket server answers without tRPC's per-call machinery (see `attachWebSocket`). */
export type DirectCall = (input: unknown, ctx: TaskwireContext) => Promise<unknown>;

/**
 * `<task>.enqueue` as a plain function: the same admission, input schema, enqueue path and error
 * mapping as the tRPC procedure, for the WebSocket fast path where tRPC's per-call work (context
 * copies, abort controllers, response re-wrapping) would cost more than the enqueue itself.
 */
export function directEnqueue(hub: QueueHub, task: AnyTask, settings: EnqueueSettings): DirectCall {
  const path = `${task.id}.enqueue`;
  const item = enqueueItemSchema(task);
  return async (input, ctx) => {
    try {
      if (ctx.authError || !ctx.principal) throw ctx.authError ?? new TaskwireError('UNAUTHORIZED');
      const parsed = item.safeParse(input);
      if (!parsed.success) throw new TRPCError({ code: 'BAD_REQUEST', cause: parsed.error });
      // The principal is set (checked above): no copy of the context per call.
      const [ref] = await enqueueAs(hub, task, [parsed.data], settings, ctx as TaskwireContext & { principal: Principal });
      return ref;
    } catch (error) {
      throw rejection(ctx, path, error);
    }
  };
}

/** The four procedures of one task, with schemas built once. */
export function taskProcedures(hub: QueueHub, task: AnyTask, settings: TaskProcedureSettings) {
  const item = enqueueItemSchema(task);
  const many = z.object({ items: z.array(item).min(1).max(settings.maxBatch) });
  const readScope: Scope = `${task.family}:read`;
  return {
    enqueue: procedure.input(item).mutation(async ({ input, ctx }) => {
      const [ref] = await enqueueAs(hub, task, [input], settings, ctx);
      return ref;
    }),
    enqueueMany: procedure.input(many).mutation(({ input, ctx }) => enqueueAs(hub, task, input.items, settings, ctx)),
    get: procedure.input(jobIdInput).query(({ input, ctx }) => getJobAs(hub, task, input.id, ctx.principal)),
    watch: procedure.input(jobIdInput).subscription(({ input, signal, ctx }) => {
      requireScope(ctx.principal, readScope);
      return withErrorCodes(watchJob(hub, task, input.id, signal ?? new AbortController().signal, settings.watchPollMs));
    }),
    schedules: scheduleProcedures(hub, task),
  };
}
