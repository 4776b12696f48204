/**
 * The baseline a team writes in an afternoon: a tRPC v11 router with superjson and zod whose
 * mutations call `queue.add` / `queue.addBulk`. No envelope, no error table, no idempotency.
 */
import { initTRPC } from '@trpc/server';
import type { Queue } from 'bullmq';
import superjson from 'superjson';
import { z } from 'zod';
import { JOB_OPTIONS } from '../contract.ts';

const t = initTRPC.create({ transformer: superjson });

export const naiveInput = z.object({ n: z.number().int().nonnegative(), at: z.date() });

export function createNaiveRouter(queue: Queue) {
  return t.router({
    enqueue: t.procedure.input(naiveInput).mutation(async ({ input }) => {
      const job = await queue.add('noop', input, JOB_OPTIONS);
      return { id: job.id };
    }),
    enqueueMany: t.procedure.input(z.array(naiveInput).min(1).max(1_000)).mutation(async ({ input }) => {
      const jobs = await queue.addBulk(input.map((data) => ({ name: 'noop', data, opts: JOB_OPTIONS })));
      return jobs.map((job) => ({ id: job.id }));
    }),
  });
}

export type NaiveRouter = ReturnType<typeof createNaiveRouter>;
