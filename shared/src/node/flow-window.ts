import type { FlowPlan } from '../contract/flow.ts';
import type { Keys } from '../contract/keys.ts';
import { pipelineReplies, type RedisConnection } from './redis-client.ts';

/**
 * The start of a debounced key's burst, for `maxDelayMs`. A burst begins when the key has no job
 * to join (no deduplication key) or has none recorded; for a leading debounce, a burst older than
 * `maxDelayMs` ends here: its deduplication key is deleted, so the add that follows makes a new job.
 * KEYS[1] the window, KEYS[2] BullMQ's deduplication key; ARGV[1] now (ms), ARGV[2] maxDelayMs,
 * ARGV[3] '1' for leading, ARGV[4] the window's TTL (ms). Returns the burst's start (ms).
 */
const FLOW_WINDOW = `
local now = tonumber(ARGV[1])
local start = tonumber(redis.call('GET', KEYS[1]) or '')
if start == nil or redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[1], now, 'PX', ARGV[4])
  return now
end
if ARGV[3] == '1' and now - start >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[2])
  redis.call('SET', KEYS[1], now, 'PX', ARGV[4])
  return now
end
return start`;

/**
 * For the debounces with `maxDelayMs` among `plans`: reads (or starts) each burst's window in one
 * pipeline, ending leading bursts older than `maxDelayMs`. Returns, per plan, the delay its job
 * gets (ms; a trailing job runs at most `maxDelayMs` after its burst began), or undefined to keep
 * the plan's own. Every key is in the family's hash slot.
 *
 * @example
 * const [delay] = await readFlowWindows(redis, keys, 'search', [plan], Date.now());
 */
export async function readFlowWindows(
  redis: RedisConnection,
  keys: Keys,
  family: string,
  plans: readonly (FlowPlan | undefined)[],
  now: number,
): Promise<(number | undefined)[]> {
  const windowed = plans.flatMap((plan, i) => (plan?.window ? [{ plan, i }] : []));
  const delays: (number | undefined)[] = plans.map(() => undefined);
  if (windowed.length === 0) return delays;
  const pipeline = redis.pipeline();
  for (const { plan } of windowed) {
    const { deduplication, window } = plan;
    if (!window) continue;
    pipeline.eval(
      FLOW_WINDOW,
      2,
      keys.flowWindow(family, deduplication.id),
      keys.deduplication(family, deduplication.id),
      now,
      window.maxDelayMs,
      window.leading ? '1' : '0',
      window.maxDelayMs + window.delayMs + 60_000,
    );
  }
  const answers = await pipelineReplies(pipeline);
  windowed.forEach(({ plan, i }, n) => {
    const start = answers[n];
    const { window, delayMs } = plan;
    if (window && !window.leading && delayMs !== undefined) {
      delays[i] = Math.max(0, Math.min(delayMs, Number(start) + window.maxDelayMs - now));
    }
  });
  return delays;
}
