import type { Keys, TaskInput, TaskOutput } from '@taskwire/shared';
import type { HandlerContext } from '@taskwire/worker';
import type { Redis } from 'ioredis';
import { type licenseExpiry, sendEmail } from '../contracts/index.ts';
import { licenseReminderEmail } from './email-templates.ts';
import { type License, readLicenseFile } from './license-file.ts';

export type LicenseExpiryInput = TaskInput<typeof licenseExpiry>;
export type LicenseExpiryResult = TaskOutput<typeof licenseExpiry>;

const DAY_MS = 86_400_000;
/** How long a reminder claim outlives the expiry it is about, so a late run cannot remind again. */
export const CLAIM_GRACE_MS = 30 * DAY_MS;

/** What the reminder run needs; a handler context provides all but `licensesFile`. */
export interface LicenseExpiryDeps {
  redis: Pick<Redis, 'set' | 'del'>;
  keys: Keys;
  /** The licence file (`LICENSES_FILE`, see `readLicenseFile`): who is reminded, and of what. */
  licensesFile: string;
  /** Adds the reminder's `email.send` job (`ctx.enqueue`). */
  enqueue: HandlerContext['enqueue'];
  /** The job's log (`ctx.log`): says when there is no licence file. */
  log?: ((line: string) => Promise<void>) | undefined;
  signal?: AbortSignal | undefined;
  /** The clock: what is due, and how long claims live. */
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
 * The idempotency key of a reminder's `email.send` job: one email job per licence and expiry,
 * even when the enqueue is repeated after its reply was lost.
 *
 * @example
 * reminderEmailKey(license); // 'license-reminder:LIC-1:1767225600000'
 */
export function reminderEmailKey(license: Pick<License, 'id' | 'expiresAt'>): string {
  return `license-reminder:${license.id}:${license.expiresAt.getTime()}`;
}

/**
 * Due means expiring in `(now, now + days]`. An already expired licence is not due: a
 * reminder says "expires on", which would be false, and an expired licence needs a different
 * conversation than a scheduled job can have.
 *
 * @example
 * isReminderDue(new Date('2025-01-10'), new Date('2025-01-01'), 30); // true
 */
export function isReminderDue(expiresAt: Date, now: Date, withinDays: number): boolean {
  const expires = expiresAt.getTime();
  return expires > now.getTime() && expires <= now.getTime() + withinDays * DAY_MS;
}

/**
 * Reminds once per licence and expiry date that comes due, however often it runs: for each
 * licence of the licence file due within `remindWithinDays`, an `email.send` job with the
 * rendered reminder. The email family delivers it, under its rate limit and once per job; the
 * recipients are those of the licence file, never anything from the job.
 *
 * For each due licence the run first claims `reminderKey` with `SET NX` (living until the expiry
 * plus {@link CLAIM_GRACE_MS}); only the run that wins the claim enqueues, so overlapping runs do
 * not remind twice, and the enqueue's key ({@link reminderEmailKey}) keeps a repeated enqueue to
 * one job. A failed enqueue gives the claim back (`DEL`) so a retry reminds; the other licences
 * are still processed, then the run throws to be retried. An abort stops at once.
 *
 * Returns the ids reminded now with their email jobs' ids, the ids reminded by an earlier run,
 * and how many were not due (outside the window, including already expired). Without a licence
 * file there is nothing to remind; the job's log says so.
 *
 * @example
 * const result = await remindExpiringLicenses(input, { redis: ctx.redis, keys: ctx.keys, licensesFile, enqueue: ctx.enqueue });
 */
export async function remindExpiringLicenses(input: LicenseExpiryInput, deps: LicenseExpiryDeps): Promise<LicenseExpiryResult> {
  const now = deps.now?.() ?? new Date();
  const result: LicenseExpiryResult = { reminded: [], alreadyReminded: [], notDue: 0, emails: [] };
  const licenses = await readLicenseFile(deps.licensesFile);
  if (licenses === undefined) {
    await deps.log?.(`No licence file at ${deps.licensesFile} (LICENSES_FILE): no licences to remind`);
    return result;
  }
  const failures: string[] = [];
  for (const license of licenses) {
    deps.signal?.throwIfAborted();
    if (!isReminderDue(license.expiresAt, now, input.remindWithinDays)) {
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
      const { to, subject, html, text } = licenseReminderEmail(license);
      const email = await deps.enqueue(sendEmail, { to, subject, html, text }, { key: reminderEmailKey(license) });
      result.reminded.push(license.id);
      result.emails.push(email.id);
    } catch (error) {
      await deps.redis.del(key);
      if (deps.signal?.aborted) throw error;
      failures.push(`${license.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(`${failures.length} licence reminder(s) could not be queued and will be retried: ${failures.join('; ')}`);
  }
  return result;
}
