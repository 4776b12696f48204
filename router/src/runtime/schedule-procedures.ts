import { createHash } from 'node:crypto';
import {
  type AnyTask,
  decodeEnvelope,
  encodeEnvelope,
  type ScheduleView,
  scheduleInput,
  scheduleKeySchema,
  TaskwireError,
} from '@taskwire/shared';
import type { JobSchedulerJson } from 'bullmq';
import { z } from 'zod';
import { admitJobs } from './admission.ts';
import { requireScope, type Scope } from './auth.ts';
import { jobOptions } from './enqueue.ts';
import type { QueueHub } from './hub.ts';
import { procedure } from './trpc.ts';

/** One BullMQ job scheduler per (task, key); the task name keeps keys of different tasks apart. */
const schedulerId = (task: AnyTask, key: string) => `${task.name}~${key}`;

function view(task: AnyTask, scheduler: JobSchedulerJson): ScheduleView {
  const envelope = decodeEnvelope(scheduler.template?.data);
  return {
    key: (scheduler.key ?? scheduler.id ?? '').slice(task.name.length + 1),
    cron: scheduler.pattern ?? null,
    everyMs: scheduler.every ?? null,
    tz: scheduler.tz ?? null,
    next: scheduler.next ? new Date(scheduler.next) : null,
    input: envelope.ok ? envelope.payload : null,
  };
}

/**
 * `<family>.<task>.schedules.*`: recurring jobs on BullMQ job schedulers. `upsert` validates the
 * input against the contract and is idempotent by key, so any number of API or worker restarts
 * (or concurrent upserts) leave exactly one schedule per key.
 */
export function scheduleProcedures(hub: QueueHub, task: AnyTask) {
  const enqueueScope: Scope = `${task.family}:enqueue`;
  const readScope: Scope = `${task.family}:read`;
  const queue = () => hub.queue(task.family);
  const upsertInput = scheduleInput(task.input);

  return {
    upsert: procedure.input(upsertInput).mutation(async ({ input, ctx }): Promise<ScheduleView> => {
      // A schedule adds jobs with this input for as long as it lives: admitted like an enqueue.
      await admitJobs(hub, ctx.principal, task, [input]);
      const now = Date.now();
      const data = encodeEnvelope(task.version, input.input, { enqueuedAt: now, timeoutMs: input.options?.timeoutMs });
      const { delay: _none, ...opts } = jobOptions(task, input.options, now);
      const repeat = input.cron ? { pattern: input.cron, tz: input.tz } : { every: input.everyMs };
      const id = schedulerId(task, input.key);
      // Re-upserting the same schedule (every API start does) must not touch it: BullMQ would
      // reschedule, and an `every` schedule would run an extra time. The digest is swapped
      // atomically, so of concurrent identical upserts exactly one writes.
      const digest = createHash('sha256')
        .update(JSON.stringify({ repeat, p: data.p, timeoutMs: input.options?.timeoutMs, opts }))
        .digest('hex');
      const previous = await hub.run(() => hub.redis.set(hub.keys.schedule(task.family, id), digest, 'GET'));
      if (previous === digest) {
        const existing = await waitForScheduler(hub, task, id);
        if (existing) return view(task, existing);
      }
      try {
        await hub.run(() => queue().upsertJobScheduler(id, repeat, { name: task.name, data, opts }));
      } catch (error) {
        await hub.redis.del(hub.keys.schedule(task.family, id)).catch(() => {});
        if (error instanceof TaskwireError) throw error;
        throw new TaskwireError('INVALID_INPUT', `Invalid schedule: ${(error as Error).message}`, {
          issues: [{ path: ['cron'], message: (error as Error).message }],
        });
      }
      const stored = await hub.run(() => queue().getJobScheduler(id));
      if (!stored) throw new TaskwireError('INTERNAL', 'Schedule vanished right after it was written');
      return view(task, stored);
    }),
    remove: procedure.input(z.object({ key: scheduleKeySchema })).mutation(async ({ input, ctx }) => {
      requireScope(ctx.principal, enqueueScope);
      const id = schedulerId(task, input.key);
      const removed = await hub.run(async () => {
        await hub.redis.del(hub.keys.schedule(task.family, id));
        return queue().removeJobScheduler(id);
      });
      return { key: input.key, removed };
    }),
    list: procedure.query(async ({ ctx }): Promise<ScheduleView[]> => {
      requireScope(ctx.principal, readScope);
      const all = await hub.run(() => queue().getJobSchedulers(0, -1, true));
      return all.filter((s) => (s.key ?? s.id ?? '').startsWith(`${task.name}~`)).map((s) => view(task, s));
    }),
  };
}

/**
 * The stored scheduler, waiting briefly for a concurrent identical upsert to finish writing it;
 * undefined if it never appears (e.g. removed behind our back), and then the caller writes it.
 */
async function waitForScheduler(hub: QueueHub, task: AnyTask, id: string): Promise<JobSchedulerJson | undefined> {
  for (let i = 0; i < 20; i++) {
    const found = await hub.run(() => hub.queue(task.family).getJobScheduler(id));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}
