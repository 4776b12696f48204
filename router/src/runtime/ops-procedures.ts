import { type JobView, TaskwireError, taskOf } from '@taskwire/shared';
import type { Job, JobType } from 'bullmq';
import { z } from 'zod';
import { can, type Principal, requireScope } from './auth.ts';
import type { QueueHub } from './hub.ts';
import { jobIdInput } from './task-procedures.ts';
import { procedure } from './trpc.ts';
import { toJobState, toJobView } from './views.ts';

export const LISTABLE = {
  waiting: ['waiting', 'prioritized'],
  delayed: ['delayed'],
  active: ['active'],
  completed: ['completed'],
  failed: ['failed'],
} as const satisfies Record<string, JobType[]>;
export type ListableState = keyof typeof LISTABLE;

/** The outcome of `jobs.cancel`. */
export interface CancelResult {
  id: string;
  /** `removed`: it had not started and is gone. `cancelling`: its worker was told to abort. */
  outcome: 'removed' | 'cancelling';
}

/** A job of any task as a view (tasks unknown to this deployment keep their raw name). */
export function viewOf(hub: QueueHub, family: string, job: Job, state: string): JobView {
  const task = taskOf(hub.family(family), job.name);
  return toJobView(task ?? { id: `${family}.${job.name}`, family }, job, state);
}

/** The families a principal may read, of those asked for (all when none is named). */
export function readableFamilies(hub: QueueHub, principal: Principal, family?: string): string[] {
  if (family) {
    requireScope(principal, `${family}:read`);
    return [family];
  }
  const readable = Object.keys(hub.registry).filter((name) => can(principal, `${name}:read`));
  if (readable.length === 0) throw new TaskwireError('FORBIDDEN', `Token '${principal.name}' may read no family`);
  return readable;
}

/** Lists jobs of some families in one state, newest first across families. */
export async function listJobs(hub: QueueHub, families: string[], state: ListableState, offset: number, limit: number): Promise<JobView[]> {
  const single = families.length === 1;
  const perFamily = await hub.run(() =>
    Promise.all(
      families.map(async (family) => {
        // Across families, each queue yields its first offset+limit jobs; merged and cut below.
        const jobs = await hub.queue(family).getJobs([...LISTABLE[state]], single ? offset : 0, offset + limit - 1);
        return jobs.filter(Boolean).map((job) => viewOf(hub, family, job, state));
      }),
    ),
  );
  const merged = perFamily.flat();
  if (single) return merged;
  merged.sort((a, b) => b.enqueuedAt.getTime() - a.enqueuedAt.getTime());
  return merged.slice(offset, offset + limit);
}

export const familyNameInput = (hub: QueueHub) =>
  z.string().refine((name) => Object.hasOwn(hub.registry, name), { message: 'unknown family' });

/** `jobs.*` and `health`: operations by job id, for any task. */
export function opsProcedures(hub: QueueHub, startedAt = Date.now()) {
  const load = async (id: string, principal: Principal, action: 'read' | 'enqueue') => {
    const { family, queue, bullId } = hub.locate(id);
    requireScope(principal, `${family.name}:${action}`);
    const found = await hub.fetchJob(queue, bullId);
    if (!found) throw new TaskwireError('NOT_FOUND', `No job '${id}'`);
    return { ...found, family: family.name, bullId };
  };

  return {
    jobs: {
      get: procedure.input(jobIdInput).query(async ({ input, ctx }) => {
        const { job, state, family } = await load(input.id, ctx.principal, 'read');
        return viewOf(hub, family, job, state);
      }),
      cancel: procedure.input(jobIdInput).mutation(async ({ input, ctx }): Promise<CancelResult> => {
        const { job, state, family, bullId } = await load(input.id, ctx.principal, 'enqueue');
        const jobState = toJobState(state);
        if (jobState === 'completed' || jobState === 'failed') {
          throw new TaskwireError('INVALID_STATE', `Job '${input.id}' already ${jobState}`);
        }
        if (jobState !== 'active') {
          const removed = await hub.run(() =>
            job.remove().then(
              () => true,
              () => false,
            ),
          );
          if (removed) return { id: input.id, outcome: 'removed' };
        }
        // Active (or it became active while we looked): tell the workers of its family.
        await hub.run(() => hub.redis.publish(hub.keys.cancelChannel(family), bullId));
        return { id: input.id, outcome: 'cancelling' };
      }),
      retry: procedure.input(jobIdInput).mutation(async ({ input, ctx }) => {
        const { job, state } = await load(input.id, ctx.principal, 'enqueue');
        if (state !== 'failed')
          throw new TaskwireError('INVALID_STATE', `Only failed jobs can be retried; '${input.id}' is ${toJobState(state)}`);
        // A manual retry gets a full set of attempts again.
        await hub.run(() => job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }));
        return { id: input.id, state: 'waiting' as const };
      }),
      remove: procedure.input(jobIdInput).mutation(async ({ input, ctx }) => {
        const { job, state } = await load(input.id, ctx.principal, 'enqueue');
        if (state === 'active') throw new TaskwireError('INVALID_STATE', `Job '${input.id}' is running; cancel it first`);
        await hub.run(() => job.remove());
        return { id: input.id, removed: true as const };
      }),
      list: procedure
        .input(
          z.object({
            family: familyNameInput(hub).optional(),
            state: z.enum(Object.keys(LISTABLE) as [ListableState, ...ListableState[]]).default('failed'),
            offset: z.number().int().min(0).max(100_000).default(0),
            limit: z.number().int().min(1).max(100).default(20),
          }),
        )
        .query(async ({ input, ctx }): Promise<{ jobs: JobView[] }> => {
          const families = readableFamilies(hub, ctx.principal, input.family);
          return { jobs: await listJobs(hub, families, input.state, input.offset, input.limit) };
        }),
    },
    health: procedure.query(async () => {
      const latencyMs = await hub.ping().catch(() => null);
      return {
        status: latencyMs === null ? ('degraded' as const) : ('ok' as const),
        redis: { connected: latencyMs !== null, latencyMs },
        families: Object.keys(hub.registry),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      };
    }),
  };
}
