/**
 * What a failed Redis (or BullMQ) call means for its caller:
 * - `outcome-unknown`: the connection went away while the command may already have been sent
 *   (`Connection is closed`, `ECONNRESET`, `EPIPE`, `ETIMEDOUT`, `Socket closed`). Redis may or
 *   may not have run it. Also a form of "unavailable".
 * - `unavailable`: Redis cannot take the command now and did not run it: no connection
 *   (refused, offline queue disabled, retries spent), a node still loading or demoted
 *   (`LOADING`, `READONLY`), a cluster that cannot route it (`CLUSTERDOWN`, redirections to a dead
 *   node, no slot map yet, `TRYAGAIN`), a master without its replicas (`MASTERDOWN`,
 *   `NOREPLICAS`, min-replicas-to-write).
 * - `too-large`: BullMQ refused a job over its `sizeLimit` before sending it.
 * - `other`: anything else (a script error, a bug): not a Redis availability problem.
 */
export type RedisErrorClass = 'outcome-unknown' | 'unavailable' | 'too-large' | 'other';

// ioredis and BullMQ report these conditions only in the error's name or message.
const OUTCOME_UNKNOWN = /Connection is closed|ECONNRESET|EPIPE|ETIMEDOUT|Socket closed/i;
const UNAVAILABLE =
  /Stream isn't writeable|ECONNREFUSED|enableOfflineQueue|max retries|MaxRetriesPerRequest|LOADING|READONLY|CLUSTERDOWN|Too many Cluster redirections|Failed to refresh slots cache|ClusterAllFailedError|TRYAGAIN|MASTERDOWN|NOREPLICAS/i;
const TOO_LARGE = /^The size of job \S+ exceeds the limit \d+ bytes/;

/**
 * Classifies an error thrown by a Redis client or BullMQ call (see {@link RedisErrorClass}). The
 * one place that reads those errors' texts: every decision that depends on them (fail with
 * QUEUE_UNAVAILABLE, keep or release an idempotency claim) asks here.
 *
 * @example
 * classifyRedisError(new Error('Connection is closed.')); // 'outcome-unknown'
 * classifyRedisError(new Error('READONLY You can\'t write against a read only replica.')); // 'unavailable'
 */
export function classifyRedisError(error: unknown): RedisErrorClass {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  if (OUTCOME_UNKNOWN.test(text)) return 'outcome-unknown';
  if (UNAVAILABLE.test(text)) return 'unavailable';
  if (error instanceof Error && TOO_LARGE.test(error.message)) return 'too-large';
  return 'other';
}
