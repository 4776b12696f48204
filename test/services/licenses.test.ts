import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@taskwire/shared/node';
import { licenseExpiry } from '@taskwire/shared/tasks';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, test } from 'vitest';
import { maintenanceHandlers } from '../../worker/src/families/maintenance.ts';
import { CLAIM_GRACE_MS, isReminderDue, remindExpiringLicenses, reminderKey } from '../../worker/src/services/licenses.ts';
import { closeMailTransports } from '../../worker/src/services/mailer.ts';
import { listDir, redisFixture, smtpFixture, tempDir, withEnv } from './support.ts';

afterAll(() => closeMailTransports());

const DAY = 86_400_000;
const asOf = new Date('2030-01-01T00:00:00.000Z');
const inDays = (days: number) => new Date(asOf.getTime() + days * DAY);
const license = (id: string, expiresAt: Date) => ({ id, holder: `Holder of ${id}`, email: `${id.toLowerCase()}@example.test`, expiresAt });

describe('remindExpiringLicenses', () => {
  test('reminds each due licence once; later runs remind none; a renewed expiry is reminded again', async () => {
    await using fx = await redisFixture();
    await using outbox = await tempDir('outbox');
    const deps = { redis: fx.redis, keys: fx.keys, mailer: { smtpUrl: undefined, from: 'licences@example.test', outboxDir: outbox.path } };
    const licenses = [
      license('LIC-1', inDays(5)),
      license('LIC-2', inDays(30)), // the last instant of the window is still due
      license('LIC-3', inDays(31)),
      license('LIC-4', inDays(-1)), // already expired
    ];
    const input = licenseExpiry.input.parse({ licenses, asOf });

    const first = licenseExpiry.output.parse(await remindExpiringLicenses(input, deps));
    expect(first).toEqual({ reminded: ['LIC-1', 'LIC-2'], alreadyReminded: [], notDue: 2 });
    const files = await listDir(outbox.path);
    expect(files).toHaveLength(2);
    const mails = await Promise.all(files.map(async (f) => simpleParser(await readFile(join(outbox.path, f)))));
    const byRecipient = new Map(mails.map((m) => [m.to && !Array.isArray(m.to) ? m.to.value[0]?.address : '', m]));
    expect([...byRecipient.keys()].sort()).toEqual(['lic-1@example.test', 'lic-2@example.test']);
    const mail1 = byRecipient.get('lic-1@example.test');
    expect(mail1?.subject).toBe('Your licence LIC-1 expires on 6 January 2030 at 00:00 UTC');
    expect(mail1?.text).toContain('Hello Holder of LIC-1,');

    const second = await remindExpiringLicenses(input, deps);
    expect(second).toEqual({ reminded: [], alreadyReminded: ['LIC-1', 'LIC-2'], notDue: 2 });
    expect(await listDir(outbox.path)).toHaveLength(2);

    // LIC-1 renewed to a date that is still (or again) due: a new expiry is a new reminder.
    const renewed = licenseExpiry.input.parse({ licenses: [license('LIC-1', inDays(20)), ...licenses.slice(1)], asOf });
    expect(await remindExpiringLicenses(renewed, deps)).toEqual({ reminded: ['LIC-1'], alreadyReminded: ['LIC-2'], notDue: 2 });
    // Time passes: LIC-3 comes due; nothing else is reminded twice.
    const later = licenseExpiry.input.parse({ licenses, asOf: inDays(2) });
    expect(await remindExpiringLicenses(later, deps)).toEqual({ reminded: ['LIC-3'], alreadyReminded: ['LIC-1', 'LIC-2'], notDue: 1 });
    expect(await listDir(outbox.path)).toHaveLength(4);
  });

  test('claims live until the expiry plus the grace period', async () => {
    await using fx = await redisFixture();
    await using outbox = await tempDir('outbox');
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 3 * DAY);
    const input = licenseExpiry.input.parse({ licenses: [license('LIC-9', expiresAt)] });

    await remindExpiringLicenses(input, {
      redis: fx.redis,
      keys: fx.keys,
      mailer: { smtpUrl: undefined, from: 'x@example.test', outboxDir: outbox.path },
      now: () => now,
    });

    const key = reminderKey(fx.keys, { id: 'LIC-9', expiresAt });
    expect(key).toBe(`${fx.keys.prefix}:{maintenance}:svc:license-reminders:LIC-9:${expiresAt.getTime()}`);
    const ttl = await fx.redis.pttl(key);
    expect(ttl).toBeGreaterThan(3 * DAY + CLAIM_GRACE_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(3 * DAY + CLAIM_GRACE_MS);
  });

  test('a failed send gives the claim back so a retry reminds', async () => {
    await using fx = await redisFixture();
    await using outbox = await tempDir('outbox');
    const due = license('LIC-1', inDays(3));
    const input = licenseExpiry.input.parse({ licenses: [due, license('LIC-2', inDays(60))], asOf });
    const nobodyListens = `smtp://127.0.0.1:${await freePort()}`;

    await expect(
      remindExpiringLicenses(input, {
        redis: fx.redis,
        keys: fx.keys,
        mailer: { smtpUrl: nobodyListens, from: 'x@example.test', outboxDir: outbox.path },
      }),
    ).rejects.toThrow(/1 licence reminder\(s\) could not be sent.*LIC-1/);
    expect(await fx.redis.exists(reminderKey(fx.keys, due))).toBe(0);

    const retry = await remindExpiringLicenses(input, {
      redis: fx.redis,
      keys: fx.keys,
      mailer: { smtpUrl: undefined, from: 'x@example.test', outboxDir: outbox.path },
    });
    expect(retry).toEqual({ reminded: ['LIC-1'], alreadyReminded: [], notDue: 1 });
  });

  test('overlapping runs send each reminder once', async () => {
    await using fx = await redisFixture();
    await using smtp = await smtpFixture();
    const licenses = Array.from({ length: 10 }, (_, i) => license(`LIC-${i}`, inDays(1 + i)));
    const input = licenseExpiry.input.parse({ licenses, asOf });
    const deps = { redis: fx.redis, keys: fx.keys, mailer: { smtpUrl: smtp.url, from: 'x@example.test', outboxDir: '/nonexistent' } };

    const runs = await Promise.all([remindExpiringLicenses(input, deps), remindExpiringLicenses(input, deps)]);

    expect(runs.flatMap((r) => r.reminded).sort()).toEqual(licenses.map((l) => l.id).sort());
    expect(runs.flatMap((r) => r.alreadyReminded).sort()).toEqual(licenses.map((l) => l.id).sort());
    expect(smtp.messages.map((m) => m.rcptTo[0]).sort()).toEqual(licenses.map((l) => l.email).sort());
  });

  test('the handler sends through the configured mailer', async () => {
    await using fx = await redisFixture();
    await using outbox = await tempDir('outbox');
    using _env = withEnv({ SMTP_URL: undefined, OUTBOX_DIR: outbox.path });
    const input = licenseExpiry.input.parse({ licenses: [license('LIC-1', inDays(1))], asOf });

    const result = await maintenanceHandlers.handlers.licenseExpiry(input, fx.context(licenseExpiry));

    expect(result).toEqual({ reminded: ['LIC-1'], alreadyReminded: [], notDue: 0 });
    expect(await listDir(outbox.path)).toHaveLength(1);
  });
});

test('isReminderDue: due means expiring in (asOf, asOf + days]', () => {
  expect(isReminderDue(asOf, asOf, 30)).toBe(false);
  expect(isReminderDue(new Date(asOf.getTime() + 1), asOf, 30)).toBe(true);
  expect(isReminderDue(inDays(30), asOf, 30)).toBe(true);
  expect(isReminderDue(new Date(inDays(30).getTime() + 1), asOf, 30)).toBe(false);
});
