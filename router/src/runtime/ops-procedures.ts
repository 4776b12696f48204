import {
  type CancelResult,
  type FamilyNameSchema,
  formatJobId,
  type HealthView,
  type JobPage,
  jobListInput,
  TaskwireError,
} from '@taskwire/shared';
import { z } from 'zod';
import { can, type Principal, requireScope } from './auth.ts';
import { cancelJob } from './cancel.ts';
import type { QueueHub } from './hub.ts';
import { listJobs, pageStart } from './job-pages.ts';
import { consumeEnqueueBudget } from './rate-limit.ts';
import { requireJobRead, type ScopedTokens, scopedTokenRequest } from './scoped-tokens.ts';
import { jobIdInput } from './task-procedures.ts';
import { procedure } from './trpc.ts';
import { toJobState, viewOf } from './views.ts';

/** The families a principal may read, of those asked for (all when none is named). */
export function readableFamilies(hub: QueueHub, principal: Principal, family?: string): string[] {
  if (family) {
    requireScope(principal, `${family}:read`);
    return [family];
  }
  const readable = Object.keys(hub.registry).filter((name) => can(principal, `${name}:read`));
  if (readable.length === 0) throw new TaskwireError('FORBIDDEN', 'This call needs the read scope of at least one family');
  return readable;
}

/** A family name of the hub's registry. */
export const familyNameInput = (hub: QueueHub): FamilyNameSchema =>
  z.string().refine((name) => Object.hasOwn(hub.registry, name), { message: 'unknown family' });

/** `jobs.*` and `health`: operations by job id, for any task. */
export function opsProcedures(hub: QueueHub, tokens: ScopedTokens, startedAt = Date.now()) {
  const load = async (id: string, principal: Principal, action: 'read' | 'enqueue') => {
    const { family, queue, bullId } = hub.locate(id);
    if (action === 'read') requireJobRead(principal, family.name, formatJobId(family.name, bullId));
    else requireScope(principal, `${family.name}:${action}`);
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
        const { job, state, family } = await load(input.id, ctx.principal, 'enqueue');
        const jobState = toJobState(state);
        if (jobState === 'completed' || jobState === 'failed') {
          throw new TaskwireError('INVALID_STATE', `Job '${input.id}' already ${jobState}`);
        }
        return { id: input.id, outcome: await cancelJob(hub, family, job, state) };
      }),
      retry: procedure.input(jobIdInput).mutation(async ({ input, ctx }) => {
        const { job, state } = await load(input.id, ctx.principal, 'enqueue');
        if (state !== 'failed')
          throw new TaskwireError('INVALID_STATE', `Only failed jobs can be retried; '${input.id}' is ${toJobState(state)}`);
        // A retry adds a job run like an enqueue does: it spends the token's rate budget.
        await consumeEnqueueBudget(hub, ctx.principal, 1);
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
      list: procedure.input(jobListInput(familyNameInput(hub))).query(async ({ input, ctx }): Promise<JobPage> => {
        // The families come from the caller's scopes; a cursor must name exactly these.
        const families = readableFamilies(hub, ctx.principal, input.family);
        return listJobs(hub, families, input.state, pageStart(families, input.state, input), input.limit);
      }),
    },
    tokens: {
      /**
       * A short-lived token scoped to one job (`job:<family>.<id>:read`) or one task
       * (`task:<family>.<task>:enqueue`), for a browser: the caller must hold the family's scope.
       */
      create: procedure.input(scopedTokenRequest).mutation(({ input, ctx }) => tokens.create(ctx.principal, input)),
    },
    health: procedure.query(async (): Promise<HealthView> => {
      const latencyMs = await hub.ping().catch(() => null);
      return {
        status: latencyMs === null ? 'degraded' : 'ok',
        redis: { connected: latencyMs !== null, latencyMs },
        families: Object.keys(hub.registry),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      };
    }),
  };
}
