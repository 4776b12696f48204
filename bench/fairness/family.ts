/**
 * The fairness workload's family: the same job under a per-key limit (`keyed`: 4 running per key)
 * and under one limit for all keys (`fifo`: 4 running in all, keys ignored, jobs in arrival
 * order). Each handler waits ~2 ms (I/O) and records when it started, by key, in Redis.
 */
import { defineFamily, defineRegistry, defineTask, type Keys } from '@taskwire/shared';
import type { RedisConnection } from '@taskwire/shared/node';
import { z } from 'zod';
import { defineHandlers } from '../../worker/src/index.ts';

const input = z.object({ key: z.string().min(1) });
const output = z.object({ ok: z.boolean() });
const keep = { keepCompleted: 50_000, keepFailed: 1_000, attempts: 1 };

export const keyed = defineTask({
  id: 'fair.keyed',
  version: 1,
  input,
  output,
  defaults: keep,
  flow: { concurrency: { key: (i) => i.key, limit: 4 } },
});
export const fifo = defineTask({ id: 'fair.fifo', version: 1, input, output, defaults: keep, flow: { concurrency: { limit: 4 } } });
export const fair = defineFamily('fair', { keyed, fifo }, { concurrency: 8 });
export const fairRegistry = defineRegistry({ fair });

/** The list of starts: `<task> <key> <enqueued at> <started at> <finished at>` (ms since the epoch). */
export const startsKey = (keys: Keys) => keys.service('fair', 'starts');

export function fairHandlers() {
  const run = async (
    value: z.output<typeof input>,
    ctx: { redis: RedisConnection; keys: Keys; job: { task: string; enqueuedAt: Date } },
  ) => {
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2));
    await ctx.redis.rpush(startsKey(ctx.keys), `${ctx.job.task} ${value.key} ${ctx.job.enqueuedAt.getTime()} ${started} ${Date.now()}`);
    return { ok: true };
  };
  return defineHandlers(fair, { keyed: run, fifo: run });
}
