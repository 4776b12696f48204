import { decodeValue, encodeValue, type Keys, parseJobId } from '@taskwire/shared';
import type { RedisConnection } from '@taskwire/shared/node';
import { type Delivery, deliverMail, type MailerOptions, type MailMessage } from './mailer.ts';

/** How long a delivery is remembered for the job's later attempts: longer than any retry backoff. */
const RECORD_TTL_MS = 7 * 24 * 3_600_000;

/** What a delivery record needs from the handler context. */
export interface DeliveryRecordContext {
  job: { id: string; enqueuedAt: Date };
  redis: RedisConnection;
  keys: Keys;
}

/** One record per job: its id and the instant it was enqueued (ids restart when a queue is reset). */
function recordKey(ctx: DeliveryRecordContext): string {
  const parsed = parseJobId(ctx.job.id);
  if (!parsed) throw new Error(`Not a job id: '${ctx.job.id}'`);
  return ctx.keys.service(parsed.family, 'delivered', parsed.bullId, ctx.job.enqueuedAt.getTime().toString(36));
}

/**
 * Delivers a job's message once across the job's attempts, as far as the worker can know: the
 * delivery is recorded in Redis as soon as the server has accepted it, and a later attempt of
 * the same job (after its worker was killed, or its completion did not reach Redis) returns that
 * record instead of sending again. What is left of at-least-once is the moment between the
 * server's acceptance and the record, and a send aborted after the server accepted it (SMTP
 * cannot tell); the stable Message-ID lets receivers drop those duplicates.
 *
 * @example
 * return deliverOnce(ctx, { ...message, messageId: jobMessageId(ctx.job) }, mailerOptions(), ctx.signal);
 */
export async function deliverOnce(
  ctx: DeliveryRecordContext,
  message: MailMessage,
  options: MailerOptions,
  signal?: AbortSignal,
): Promise<Delivery> {
  const key = recordKey(ctx);
  const recorded = await ctx.redis.get(key);
  if (recorded !== null) return decodeValue(JSON.parse(recorded)) as Delivery;
  const delivery = await deliverMail(message, options, signal);
  // The message is out: a failure to record it must not fail the job (a retry would send again).
  await ctx.redis.set(key, JSON.stringify(encodeValue(delivery)), 'PX', RECORD_TTL_MS).catch(() => {});
  return delivery;
}
