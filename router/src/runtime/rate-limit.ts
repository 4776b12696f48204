import { TaskwireError } from '@taskwire/shared';
import type { Principal } from './auth.ts';
import type { QueueHub } from './hub.ts';

/**
 * Per-token rate limit on jobs added (enqueues, enqueueMany items, schedule upserts, retries),
 * shared by every API process through Redis: a counter per token and one-second window. Costs
 * one round trip, and only for tokens that have a limit.
 */
export async function consumeEnqueueBudget(hub: QueueHub, principal: Principal, jobs: number): Promise<void> {
  const limit = principal.ratePerSecond;
  if (limit === undefined) return;
  const window = Math.floor(Date.now() / 1_000);
  const key = hub.keys.rateLimit(principal.name, window);
  const used = await hub.run(async () => {
    const [[, count] = []] = (await hub.redis.multi().incrby(key, jobs).pexpire(key, 2_000).exec()) ?? [];
    return Number(count);
  });
  if (used > limit) {
    throw new TaskwireError(
      'TOO_MANY_REQUESTS',
      `This token may add ${limit} jobs per second (enqueues, schedules and retries); retry in ${1_000 - (Date.now() % 1_000)} ms`,
    );
  }
}
