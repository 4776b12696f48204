import {
  deadLetterListInput,
  decodeEnvelope,
  type ErrorInfo,
  formatIssues,
  type JobPage,
  type QueueStats,
  type ReplayResult,
  TaskwireError,
  taskOf,
  toIssues,
  upgradePayload,
} from '@taskwire/shared';
import type { Job } from 'bullmq';
import { z } from 'zod';
import { requireScope } from './auth.ts';
import type { QueueHub } from './hub.ts';
import { listJobs, pageStart } from './job-pages.ts';
import { familyNameInput, readableFamilies } from './ops-procedures.ts';
import { jobIdInput } from './task-procedures.ts';
import { procedure } from './trpc.ts';

/** Why a failed job's payload cannot run under today's contract, or undefined when it can. */
function replayBlocker(hub: QueueHub, family: string, job: Job): ErrorInfo | undefined {
  const task = taskOf(hub.family(family), job.name);
  if (!task) return { code: 'UNKNOWN_TASK', message: `No task '${family}.${job.name}' in this deployment` };
  const envelope = decodeEnvelope(job.data);
  if (!envelope.ok) return { code: 'INVALID_PAYLOAD', message: envelope.reason };
  const upgraded = upgradePayload(task, envelope.version, envelope.payload);
  if (upgraded.kind === 'invalid') return upgraded.info;
  if (upgraded.kind === 'newer')
    return { code: 'UNSUPPORTED_VERSION', message: `Version ${envelope.version} is newer than ${task.id} v${task.version}` };
  const parsed = task.input.safeParse(upgraded.payload);
  if (parsed.success) return undefined;
  const issues = toIssues(parsed.error.issues);
  return { code: 'INVALID_PAYLOAD', message: `No longer valid for ${task.id} v${task.version}: ${formatIssues(issues)}`, issues };
}

const REPLAY_BATCH = 500;

/** `queues.*` (stats, pause, resume) and `deadLetter.*` (failed jobs: list, replay). */
export function queueProcedures(hub: QueueHub) {
  const family = familyNameInput(hub);
  const replay = async (familyName: string, job: Job, result: ReplayResult) => {
    const id = `${familyName}.${job.id}`;
    const blocker = replayBlocker(hub, familyName, job);
    if (blocker) {
      result.rejected.push({ id, error: blocker });
      return;
    }
    await hub.run(() => job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }));
    result.replayed.push(id);
  };

  return {
    queues: {
      stats: procedure.input(z.object({ family: family.optional() }).optional()).query(async ({ input, ctx }) => {
        const families = readableFamilies(hub, ctx.principal, input?.family);
        return hub.run(() =>
          Promise.all(
            families.map(async (name): Promise<QueueStats> => {
              const queue = hub.queue(name);
              const gated = Object.values(hub.family(name).tasks).filter((task) => task.flowSettings?.kind === 'gate');
              const [counts, paused, workers, limitedForMs, flow] = await Promise.all([
                queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'),
                queue.isPaused(),
                queue.getWorkersCount(),
                queue.getRateLimitTtl(),
                Promise.all(gated.map((task) => hub.gate(task).stats(10))),
              ]);
              const n = (key: string) => counts[key] ?? 0;
              const limit = hub.family(name).options.rateLimit;
              return {
                family: name,
                waiting: n('waiting') + n('prioritized'),
                delayed: n('delayed'),
                active: n('active'),
                completed: n('completed'),
                failed: n('failed'),
                paused,
                workers,
                rateLimit: limit ? { max: limit.max, durationMs: limit.durationMs, limitedForMs: Math.max(0, limitedForMs) } : null,
                flow,
              };
            }),
          ),
        );
      }),
      pause: procedure.input(z.object({ family })).mutation(async ({ input, ctx }) => {
        requireScope(ctx.principal, 'admin');
        await hub.run(() => hub.queue(input.family).pause());
        return { family: input.family, paused: true as const };
      }),
      resume: procedure.input(z.object({ family })).mutation(async ({ input, ctx }) => {
        requireScope(ctx.principal, 'admin');
        await hub.run(() => hub.queue(input.family).resume());
        return { family: input.family, paused: false as const };
      }),
    },
    deadLetter: {
      list: procedure.input(deadLetterListInput(family)).query(async ({ input, ctx }): Promise<JobPage> => {
        requireScope(ctx.principal, 'admin');
        const families = input.family ? [input.family] : Object.keys(hub.registry);
        return listJobs(hub, families, 'failed', pageStart(families, 'failed', input), input.limit);
      }),
      replay: procedure
        .input(z.union([jobIdInput, z.object({ all: z.literal(true), family: family.optional() })]))
        .mutation(async ({ input, ctx }): Promise<ReplayResult> => {
          requireScope(ctx.principal, 'admin');
          const result: ReplayResult = { replayed: [], rejected: [] };
          if ('id' in input) {
            const located = hub.locate(input.id);
            const found = await hub.fetchJob(located.queue, located.bullId);
            if (!found) throw new TaskwireError('NOT_FOUND', `No job '${input.id}'`);
            if (found.state !== 'failed') throw new TaskwireError('INVALID_STATE', `Job '${input.id}' is not in the dead letters`);
            await replay(located.family.name, found.job, result);
            return result;
          }
          for (const name of input.family ? [input.family] : Object.keys(hub.registry)) {
            const queue = hub.queue(name);
            // Replayed jobs leave the failed set, so reading from the start again moves on;
            // rejected ones stay, so skip past them.
            for (;;) {
              const jobs = await hub.run(() =>
                queue.getJobs(['failed'], result.rejected.length, result.rejected.length + REPLAY_BATCH - 1),
              );
              const batch = jobs.filter(Boolean);
              if (batch.length === 0) break;
              const before = result.replayed.length;
              for (const job of batch) await replay(name, job, result);
              if (result.replayed.length === before) break;
            }
          }
          return result;
        }),
    },
  };
}
