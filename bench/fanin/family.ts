/**
 * The fan-in workload's tasks: a parent that runs N children and sums their typed results, with
 * taskwire (`ctx.runAll`), and the same flow written by hand for BullMQ (`FlowProducer`).
 */
import { defineFamily, defineRegistry, defineTask } from '@taskwire/shared';
import type { Job } from 'bullmq';
import { z } from 'zod';
import { defineHandlers } from '../../worker/src/index.ts';

export const child = defineTask({
  id: 'fanin.child',
  version: 1,
  input: z.object({ i: z.number().int() }),
  output: z.object({ i: z.number().int(), square: z.number().int() }),
  defaults: { attempts: 1, keepCompleted: 10_000 },
});
export const parent = defineTask({
  id: 'fanin.parent',
  version: 1,
  input: z.object({ count: z.number().int().min(1).max(10_000) }),
  output: z.object({ children: z.number().int(), sum: z.number().int() }),
  defaults: { attempts: 1, timeoutMs: 120_000 },
});
export const fanin = defineFamily('fanin', { child, parent }, { concurrency: 16 });
export const faninRegistry = defineRegistry({ fanin });

export function faninHandlers() {
  return defineHandlers(fanin, {
    child: ({ i }) => ({ i, square: i * i }),
    parent: async ({ count }, ctx) => {
      const outs = await ctx.runAll(Array.from({ length: count }, (_, i) => ({ task: child, input: { i } })));
      return { children: outs.length, sum: outs.reduce((sum, out) => sum + out.square, 0) };
    },
  });
}

/** The raw side's processor: the same work, untyped, reading the children's values by hand. */
export async function rawProcessor(job: Job): Promise<unknown> {
  if (job.name === 'child') {
    const { i } = job.data as { i: number };
    return { i, square: i * i };
  }
  const values = Object.values((await job.getChildrenValues()) ?? {}) as { square: number }[];
  return { children: values.length, sum: values.reduce((sum, out) => sum + out.square, 0) };
}
