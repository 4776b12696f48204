/**
 * How long one Redis call of the API may take before it fails with QUEUE_UNAVAILABLE (ms): a hung
 * Redis is an error the caller sees in under 2 s, never a hang. `QueueHub`'s `deadlineMs`.
 */
export const DEFAULT_REDIS_DEADLINE_MS = 1_500;
