import { type AnyTask, formatJobId, type JobRef, type JobState, type JobView, TaskwireError, type WatchEvent } from '@taskwire/shared';
import type { Job } from 'bullmq';
import { z } from 'zod';
import { admitEnqueue, type EnqueueAdmission } from './admission.ts';
import { type Principal, requireUnexpired } from './auth.ts';
import type { QueueHub } from './hub.ts';
import { Inbox } from './inbox.ts';
import type { RawJobEvent } from './job-events.ts';
import { scheduleProcedures } from './schedule-procedures.ts';
import { requireJobRead } from './scoped-tokens.ts';
import { admittedProcedure, asTRPCError, procedure, type RawInputReader, toTaskwireError, toTRPCError } from './trpc.ts';
import { decodeProgress, toJobState, toJobView, toWatchEvent, workflowOf } from './views.ts';

export interface TaskProcedureSettings {
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
 * the reader (re)connected, so a watcher never waits forever. A watch opened with a scoped token
 * ends with UNAUTHORIZED when the token expires: nothing of the job reaches it after that.
 */
async function* watchJob(
  hub: QueueHub,
  task: AnyTask,
  id: string,
  signal: AbortSignal,
  pollMs: number,
  principal: Principal,
): AsyncGenerator<WatchEvent> {
  const { expiresAt } = principal;
  const { bullId } = hub.locate(id);
  const bus = hub.events(task.family);
  const inbox = new Inbox<RawJobEvent>();
  const unsubscribe = bus.subscribe(bullId, (event) => inbox.push(event));
  // A workflow's steps and children, shown when they change (on its moves and at each re-read).
  let shown = '';
  let shownState: JobState | undefined;
  const workflowChanges = async function* (state?: JobState): AsyncGenerator<WatchEvent> {
    const workflow = await workflowOf(hub, task.family, bullId).catch(() => null);
    if (!workflow) return;
    if (state !== undefined && state !== shownState) {
      shownState = state;
      yield { type: 'state', state };
    }
    const key = JSON.stringify(workflow);
    if (key === shown) return;
    shown = key;
    yield { type: 'workflow', workflow };
  };
  try {
    await hub.run(() => bus.ready());
    const { job, state } = await loadJob(hub, task, id);
    shownState = toJobView(task, job, state).state;
    yield { type: 'state', state: shownState };
    const done = terminalEvent(task, job, state);
    if (done) {
      yield done;
      return;
    }
    yield* workflowChanges();
    const progress = decodeProgress(job.progress);
    if (progress !== null) yield { type: 'progress', progress };
    while (!signal.aborted) {
      const event = await inbox.take(signal, expiresAt === undefined ? pollMs : Math.max(0, Math.min(pollMs, expiresAt - Date.now())));
      requireUnexpired(principal);
      if (event?.type === 'moved') {
        yield* workflowChanges(toJobState(event.state));
        continue;
      }
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
        yield* workflowChanges(toJobState(current.state));
      }
    }
  } finally {
    unsubscribe();
  }
}

/**
 * Throws FORBIDDEN unless the principal may read the job of this id: the task's family's `read`
 * scope, or a token scoped to the job. Checked before the job is looked up, so that a caller
 * without access cannot tell which jobs exist.
 */
export function requireReadOf(hub: QueueHub, task: AnyTask, id: string, principal: Principal): void {
  const { family, bullId } = hub.locate(id);
  requireJobRead(principal, task.family, formatJobId(family.name, bullId));
}

/** A job of a task as its typed view, for a caller allowed to read it. */
export async function getJobAs(hub: QueueHub, task: AnyTask, id: string, principal: Principal): Promise<JobView> {
  requireReadOf(hub, task, id, principal);
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

/** tRPC hands the procedures their input unread; admission reads it (see `admittedProcedure`). */
const readInput = (read: unknown) => (read as RawInputReader)();

/** The procedures of one task, with schemas built once. */
export function taskProcedures(hub: QueueHub, admission: EnqueueAdmission, settings: TaskProcedureSettings) {
  const { task } = admission;
  return {
    enqueue: admittedProcedure.mutation(async ({ input, ctx }): Promise<JobRef> => {
      try {
        const [ref] = await admitEnqueue(admission, ctx, input, readInput, false);
        return ref as JobRef;
      } catch (error) {
        throw asTRPCError(error);
      }
    }),
    enqueueMany: admittedProcedure.mutation(async ({ input, ctx }): Promise<JobRef[]> => {
      try {
        return await admitEnqueue(admission, ctx, input, readInput, true);
      } catch (error) {
        throw asTRPCError(error);
      }
    }),
    get: procedure.input(jobIdInput).query(({ input, ctx }) => getJobAs(hub, task, input.id, ctx.principal)),
    watch: procedure.input(jobIdInput).subscription(({ input, signal, ctx }) => {
      requireReadOf(hub, task, input.id, ctx.principal);
      return withErrorCodes(watchJob(hub, task, input.id, signal ?? new AbortController().signal, settings.watchPollMs, ctx.principal));
    }),
    schedules: scheduleProcedures(hub, task),
  };
}
