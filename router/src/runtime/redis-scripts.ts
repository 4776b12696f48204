/**
 * The Lua scripts the API runs itself (BullMQ's own scripts stay in BullMQ), each named for what
 * it does, with its keys and arguments. All act on idempotency claims (see idempotency-claims.ts):
 * a claim is a string key whose value names the job it stands for (`<BullMQ id>|<enqueued at>`),
 * and each script acts only while the claim still holds the value the caller knows, so a late
 * script never touches a claim another call has taken since.
 */

/**
 * Gives a claim the full idempotency TTL once its job exists.
 * KEYS[1] claim, KEYS[2] the job's hash; ARGV[1] the claim's value, ARGV[2] the TTL (ms).
 * Returns 1 when it did, 0 when the claim holds another value or the job is not stored.
 */
export const WRITTEN_CLAIM =
  "if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('EXISTS', KEYS[2]) == 1 then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

/**
 * Rewrites a claim with its own value, keeping its TTL: a write on this connection, so that a
 * `WAIT` on it also covers a job another connection wrote.
 * KEYS[1] claim; ARGV[1] the claim's value. Returns 1 when it did, 0 when the claim holds another value.
 */
export const TOUCH_CLAIM =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') return 1 end return 0";

/**
 * Deletes a claim whose job was not written.
 * KEYS[1] claim; ARGV[1] the claim's value. Returns 1 when it did, 0 when the claim holds another value.
 */
export const RELEASE_CLAIM = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
