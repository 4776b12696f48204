import { type JobView, type QueueStats, TaskwireError } from '@taskwire/shared';
import type { Job, JobType } from 'bullmq';
import { z } from 'zod';
import type { QueueHub } from './hub.ts';
import { jobIdInput } from './task-procedures.ts';
import { procedure } from './trpc.ts';
import { toJobState, toJobView } from './views.ts';

const LISTABLE = {
  waiting: ['waiting', 'prioritized'],
  delayed: ['delayed'],
  active: ['active'],
  completed: ['completed'],
  failed: ['failed'],
} as const satisfies Record<string, JobType[]>;
type ListableState = keyof typeof LISTABLE;

/** The outcome of `jobs.cancel`. */
export interface CancelResult {
  id: string;
  /** `removed`: it had not started and is gone. `cancelling`: its worker was told to abort. */
  outcome: 'removed' | 'cancelling';
}

function viewOf(hub: QueueHub, family: string, job: Job, state: string): JobView {
  const task = hub.family(family).tasks[job.name];
  return toJobView(task ?? { id: `${family}.${job.name}`, family }, job, state);
}

/** `jobs.*`, `queues.*` and `health`: operations by job id or family, for any task. */
export function opsProcedures(hub: QueueHub, startedAt = Date.now()) {
  const load = async (id: string) => {
    const { family, queue, bullId } = hub.locate(id);
    const found = await hub.fetchJob(queue, bullId);
    if (!found) throw new TaskwireError('NOT_FOUND', `No job '${id}'`);
    return { ...found, family: family.name, bullId };
  };
  const familyName = z.string().refine((name) => Object.hasOwn(hub.registry, name), { message: 'unknown family' });

  return {
    jobs: {
      get: procedure.input(jobIdInput).query(async ({ input }) => {
        const { job, state, family } = await load(input.id);
        return viewOf(hub, family, job, state);
      }),
      cancel: procedure.input(jobIdInput).mutation(async ({ input }): Promise<CancelResult> => {
        const { job, state, family, bullId } = await load(input.id);
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
      retry: procedure.input(jobIdInput).mutation(async ({ input }) => {
        const { job, state } = await load(input.id);
        if (state !== 'failed')
          throw new TaskwireError('INVALID_STATE', `Only failed jobs can be retried; '${input.id}' is ${toJobState(state)}`);
        // A manual retry gets a full set of attempts again.
        await hub.run(() => job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }));
        return { id: input.id, state: 'waiting' as const };
      }),
      list: procedure
        .input(
          z.object({
            family: familyName.optional(),
            state: z.enum(Object.keys(LISTABLE) as [ListableState, ...ListableState[]]).default('failed'),
            offset: z.number().int().min(0).max(100_000).default(0),
            limit: z.number().int().min(1).max(100).default(20),
          }),
        )
        .query(async ({ input }): Promise<{ jobs: JobView[] }> => {
          const families = input.family ? [input.family] : Object.keys(hub.registry);
          const end = input.offset + input.limit - 1;
          const perFamily = await hub.run(() =>
            Promise.all(
              families.map(async (family) => {
                // Without a family, each queue yields its first offset+limit jobs; merged below.
                const jobs = await hub.queue(family).getJobs([...LISTABLE[input.state]], input.family ? input.offset : 0, end);
                return jobs.filter(Boolean).map((job) => viewOf(hub, family, job, input.state));
              }),
            ),
          );
          const merged = perFamily.flat();
          if (input.family) return { jobs: merged };
          merged.sort((a, b) => b.enqueuedAt.getTime() - a.enqueuedAt.getTime());
          return { jobs: merged.slice(input.offset, input.offset + input.limit) };
        }),
    },
    queues: {
      stats: procedure.input(z.object({ family: familyName.optional() }).optional()).query(async ({ input }) => {
        const families = input?.family ? [input.family] : Object.keys(hub.registry);
        return hub.run(() =>
          Promise.all(
            families.map(async (family): Promise<QueueStats> => {
              const queue = hub.queue(family);
              const [counts, paused, workers] = await Promise.all([
                queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'),
                queue.isPaused(),
                queue.getWorkersCount(),
              ]);
              const n = (key: string) => counts[key] ?? 0;
              return {
                family,
                waiting: n('waiting') + n('prioritized'),
                delayed: n('delayed'),
                active: n('active'),
                completed: n('completed'),
                failed: n('failed'),
                paused,
                workers,
              };
            }),
          ),
        );
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
