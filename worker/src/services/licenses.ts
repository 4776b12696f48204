import type { Keys, TaskInput, TaskOutput } from '@taskwire/shared';
import type { licenseExpiry } from '@taskwire/shared/tasks';
import type { Redis } from 'ioredis';
import { licenseReminderEmail } from './email-templates.ts';
import { deliverMail, type MailerOptions } from './mailer.ts';

export type LicenseExpiryInput = TaskInput<typeof licenseExpiry>;
export type LicenseExpiryResult = TaskOutput<typeof licenseExpiry>;
type License = LicenseExpiryInput['licenses'][number];

const DAY_MS = 86_400_000;
/** How long a reminder claim outlives the expiry it is about, so a late run cannot remind again. */
export const CLAIM_GRACE_MS = 30 * DAY_MS;

/** What the reminder run needs; a handler context provides `redis` and `keys`. */
export interface LicenseExpiryDeps {
  redis: Pick<Redis, 'set' | 'del'>;
  keys: Keys;
  mailer: MailerOptions;
  signal?: AbortSignal | undefined;
  /** The real clock (claim lifetimes); `input.asOf` only decides what is due. */
  now?: (() => Date) | undefined;
}

/**
 * The Redis key that records "reminded" for one licence and expiry date. The expiry is part of
 * the key, so a renewed licence (new expiry) is a new reminder.
 *
 * @example
 * reminderKey(keys, license); // 'taskwire:{maintenance}:svc:license-reminders:LIC-1:1767225600000'
 */
export function reminderKey(keys: Keys, license: Pick<License, 'id' | 'expiresAt'>): string {
  return keys.service('maintenance', 'license-reminders', license.id, String(license.expiresAt.getTime()));
}

/**
 * Due means expiring in `(asOf, asOf + days]`. An already expired licence is not due: a
 * reminder says "expires on", which would be false, and an expired licence needs a different
 * conversation than a scheduled job can have.
 *
 * @example
 * isReminderDue(new Date('2025-01-10'), new Date('2025-01-01'), 30); // true
 */
export function isReminderDue(expiresAt: Date, asOf: Date, withinDays: number): boolean {
  const expires = expiresAt.getTime();
  return expires > asOf.getTime() && expires <= asOf.getTime() + withinDays * DAY_MS;
}

/**
 * Emails one reminder per licence and expiry date that comes due, however often it runs.
 *
 * For each due licence the run first claims `reminderKey` with `SET NX` (living until the expiry
 * plus {@link CLAIM_GRACE_MS}); only the run that wins the claim sends, so overlapping runs do not
 * remind twice. A failed send gives the claim back (`DEL`) so a retry sends it; the other
 * licences are still processed, then the run throws to be retried. An abort stops at once.
 *
 * Returns the ids reminded now, the ids reminded by an earlier run, and how many were not due
 * (outside the window, including already expired).
 *
 * @example
 * const result = await remindExpiringLicenses(input, { redis: ctx.redis, keys: ctx.keys, mailer: mailerOptions(), signal });
 */
export async function remindExpiringLicenses(input: LicenseExpiryInput, deps: LicenseExpiryDeps): Promise<LicenseExpiryResult> {
  const now = deps.now?.() ?? new Date();
  const asOf = input.asOf ?? now;
  const result: LicenseExpiryResult = { reminded: [], alreadyReminded: [], notDue: 0 };
  const failures: string[] = [];
  for (const license of input.licenses) {
    deps.signal?.throwIfAborted();
    if (!isReminderDue(license.expiresAt, asOf, input.remindWithinDays)) {
      result.notDue += 1;
      continue;
    }
    const key = reminderKey(deps.keys, license);
    const ttlMs = Math.max(0, license.expiresAt.getTime() - now.getTime()) + CLAIM_GRACE_MS;
    if ((await deps.redis.set(key, '1', 'PX', ttlMs, 'NX')) !== 'OK') {
      result.alreadyReminded.push(license.id);
      continue;
    }
    try {
      await deliverMail(licenseReminderEmail(license), deps.mailer, deps.signal);
      result.reminded.push(license.id);
    } catch (error) {
      await deps.redis.del(key);
      if (deps.signal?.aborted) throw error;
      failures.push(`${license.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(`${failures.length} licence reminder(s) could not be sent and will be retried: ${failures.join('; ')}`);
  }
  return result;
}
