import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeEnvelope, formatJobId, NonRetriableError, upgradePayload } from '@taskwire/shared';
import { families, licenseExpiry, sendEmail } from '@taskwire-example/reference/contracts';
import { describe, expect, test } from 'vitest';
import { maintenanceHandlers } from '../../examples/reference/handlers/maintenance.ts';
import { readLicenseFile } from '../../examples/reference/services/license-file.ts';
import {
  CLAIM_GRACE_MS,
  isReminderDue,
  type LicenseExpiryDeps,
  remindExpiringLicenses,
  reminderEmailKey,
  reminderKey,
} from '../../examples/reference/services/licenses.ts';
import { keyedJobId } from '../../worker/src/runtime/enqueue-task.ts';
import type { HandlerContext } from '../../worker/src/runtime/handlers.ts';
import { listDir, type RedisFixture, redisFixture, tempDir, withEnv } from './support.ts';

const DAY = 86_400_000;
const asOf = new Date('2030-01-01T00:00:00.000Z');
const inDays = (days: number, from = asOf) => new Date(from.getTime() + days * DAY);
const license = (id: string, expiresAt: Date) => ({ id, holder: `Holder of ${id}`, email: `${id.toLowerCase()}@example.test`, expiresAt });
type FileLicense = ReturnType<typeof license>;

/** Writes a licence file as an operator would: JSON, dates as ISO 8601 strings. */
const writeLicenses = (path: string, licenses: readonly FileLicense[]) =>
  writeFile(path, JSON.stringify(licenses.map((l) => ({ ...l, expiresAt: l.expiresAt.toISOString() }))));

/** The `email.send` jobs in the fixture's email queue, decoded as the email worker will see them. */
async function emailJobs(fx: RedisFixture) {
  const jobs = await fx.queue('email').getJobs(['waiting', 'delayed', 'active', 'completed', 'failed']);
  return jobs
    .map((job) => {
      const envelope = decodeEnvelope(job.data);
      if (!envelope.ok) throw new Error(envelope.reason);
      return {
        id: formatJobId('email', job.id as string),
        name: job.name,
        version: envelope.version,
        attempts: job.opts.attempts,
        input: sendEmail.input.parse(envelope.payload),
      };
    })
    .sort((a, b) => a.input.to.localeCompare(b.input.to));
}

/** A licence file in a temp dir and the deps of a run at `now` against the fixture's Redis and queues. */
async function setup(licenses: readonly FileLicense[]) {
  const fx = await redisFixture(families);
  const dir = await tempDir('licenses');
  const licensesFile = join(dir.path, 'licenses.json');
  await writeLicenses(licensesFile, licenses);
  const ctx = fx.context(licenseExpiry);
  const deps = (now: Date, enqueue: HandlerContext['enqueue'] = ctx.enqueue): LicenseExpiryDeps => ({
    redis: fx.redis,
    keys: fx.keys,
    licensesFile,
    enqueue,
    now: () => now,
  });
  return {
    fx,
    licensesFile,
    deps,
    async [Symbol.asyncDispose]() {
      await fx[Symbol.asyncDispose]();
      await dir[Symbol.asyncDispose]();
    },
  };
}

describe('remindExpiringLicenses', () => {
  test('enqueues one email.send per due licence of the licence file; reruns add none; a renewed expiry is reminded again', async () => {
    const licenses = [
      license('LIC-1', inDays(5)),
      license('LIC-2', inDays(30)), // the last instant of the window is still due
      license('LIC-3', inDays(31)),
      license('LIC-4', inDays(-1)), // already expired
    ];
    await using s = await setup(licenses);
    const input = licenseExpiry.input.parse({});

    const first = licenseExpiry.output.parse(await remindExpiringLicenses(input, s.deps(asOf)));
    expect(first).toMatchObject({ reminded: ['LIC-1', 'LIC-2'], alreadyReminded: [], notDue: 2 });
    const jobs = await emailJobs(s.fx);
    expect(first.emails).toEqual(jobs.map((j) => j.id));
    expect(jobs.map((j) => j.id)).toEqual(
      licenses.slice(0, 2).map((l) => formatJobId('email', keyedJobId(sendEmail, reminderEmailKey(l)))),
    );
    expect(jobs.map(({ name, version, attempts, input }) => ({ name, version, attempts, to: input.to }))).toEqual([
      { name: 'send', version: sendEmail.version, attempts: sendEmail.defaults.attempts, to: 'lic-1@example.test' },
      { name: 'send', version: sendEmail.version, attempts: sendEmail.defaults.attempts, to: 'lic-2@example.test' },
    ]);
    const mail1 = jobs[0]?.input;
    expect(mail1?.subject).toBe('Your licence LIC-1 expires on 6 January 2030 at 00:00 UTC');
    expect(mail1?.text).toContain('Hello Holder of LIC-1,');
    expect(mail1?.html).toContain('<strong>LIC-1</strong>');

    expect(await remindExpiringLicenses(input, s.deps(asOf))).toEqual({
      reminded: [],
      alreadyReminded: ['LIC-1', 'LIC-2'],
      notDue: 2,
      emails: [],
    });
    expect(await emailJobs(s.fx)).toHaveLength(2);

    // LIC-1 renewed to a date that is still (or again) due: a new expiry is a new reminder.
    await writeLicenses(s.licensesFile, [license('LIC-1', inDays(20)), ...licenses.slice(1)]);
    const renewed = await remindExpiringLicenses(input, s.deps(asOf));
    expect(renewed).toMatchObject({ reminded: ['LIC-1'], alreadyReminded: ['LIC-2'], notDue: 2 });
    // Time passes: LIC-3 comes due; nothing else is reminded twice.
    const later = await remindExpiringLicenses(input, s.deps(inDays(2)));
    expect(later).toMatchObject({ reminded: ['LIC-3'], alreadyReminded: ['LIC-1', 'LIC-2'], notDue: 1 });
    const all = await emailJobs(s.fx);
    expect(all).toHaveLength(4);
    expect(all.filter((j) => j.input.to === 'lic-1@example.test').map((j) => j.input.subject)).toEqual(
      expect.arrayContaining([
        'Your licence LIC-1 expires on 6 January 2030 at 00:00 UTC',
        'Your licence LIC-1 expires on 21 January 2030 at 00:00 UTC',
      ]),
    );
  });

  test('claims live until the expiry plus the grace period', async () => {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + 3 * DAY);
    await using s = await setup([license('LIC-9', expiresAt)]);

    await remindExpiringLicenses(licenseExpiry.input.parse({}), s.deps(now));

    const key = reminderKey(s.fx.keys, { id: 'LIC-9', expiresAt });
    expect(key).toBe(`${s.fx.keys.prefix}:{maintenance}:svc:license-reminders:LIC-9:${expiresAt.getTime()}`);
    const ttl = await s.fx.redis.pttl(key);
    expect(ttl).toBeGreaterThan(3 * DAY + CLAIM_GRACE_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(3 * DAY + CLAIM_GRACE_MS);
  });

  test('a failed enqueue gives the claim back, the others are still reminded, the run fails; the retry reminds', async () => {
    const due = license('LIC-1', inDays(3));
    const other = license('LIC-3', inDays(4));
    await using s = await setup([due, license('LIC-2', inDays(60)), other]);
    const input = licenseExpiry.input.parse({});
    const real = s.fx.context(licenseExpiry).enqueue;
    const failing: HandlerContext['enqueue'] = (task, value, options) =>
      options?.key === reminderEmailKey(due) ? Promise.reject(new Error('Connection is closed.')) : real(task, value, options);

    await expect(remindExpiringLicenses(input, s.deps(asOf, failing))).rejects.toThrow(
      /1 licence reminder\(s\) could not be queued.*LIC-1/,
    );
    expect(await s.fx.redis.exists(reminderKey(s.fx.keys, due))).toBe(0);
    expect(await s.fx.redis.exists(reminderKey(s.fx.keys, other))).toBe(1);
    expect((await emailJobs(s.fx)).map((j) => j.input.to)).toEqual(['lic-3@example.test']);

    const retry = await remindExpiringLicenses(input, s.deps(asOf));
    expect(retry).toMatchObject({ reminded: ['LIC-1'], alreadyReminded: ['LIC-3'], notDue: 1 });
    expect((await emailJobs(s.fx)).map((j) => j.input.to)).toEqual(['lic-1@example.test', 'lic-3@example.test']);
  });

  test('overlapping runs enqueue each reminder once', async () => {
    const licenses = Array.from({ length: 10 }, (_, i) => license(`LIC-${i}`, inDays(1 + i)));
    await using s = await setup(licenses);
    const input = licenseExpiry.input.parse({});

    const runs = await Promise.all([remindExpiringLicenses(input, s.deps(asOf)), remindExpiringLicenses(input, s.deps(asOf))]);

    expect(runs.flatMap((r) => r.reminded).sort()).toEqual(licenses.map((l) => l.id).sort());
    expect(runs.flatMap((r) => r.alreadyReminded).sort()).toEqual(licenses.map((l) => l.id).sort());
    expect((await emailJobs(s.fx)).map((j) => j.input.to)).toEqual(licenses.map((l) => l.email).sort());
  });

  test('a claim lost after its email job was added does not add a second one: the enqueue key keeps one job', async () => {
    const due = license('LIC-1', inDays(3));
    await using s = await setup([due]);
    const input = licenseExpiry.input.parse({});
    const first = await remindExpiringLicenses(input, s.deps(asOf));

    await s.fx.redis.del(reminderKey(s.fx.keys, due));
    const again = await remindExpiringLicenses(input, s.deps(asOf));

    expect(again).toEqual({ ...first, reminded: ['LIC-1'] });
    expect(await emailJobs(s.fx)).toHaveLength(1);
  });

  test('without a licence file there is nothing to remind, and the job log says so', async () => {
    await using s = await setup([]);
    const lines: string[] = [];
    const missing = join(s.licensesFile, '..', 'nowhere.json');

    const result = await remindExpiringLicenses(licenseExpiry.input.parse({}), {
      ...s.deps(asOf),
      licensesFile: missing,
      log: async (line) => {
        lines.push(line);
      },
    });

    expect(result).toEqual({ reminded: [], alreadyReminded: [], notDue: 0, emails: [] });
    expect(lines).toEqual([`No licence file at ${missing} (LICENSES_FILE): no licences to remind`]);
    expect(await emailJobs(s.fx)).toEqual([]);
  });

  test('a bad licence file fails the run without retry, naming the file and the problem; nothing is enqueued', async () => {
    await using s = await setup([]);
    const input = licenseExpiry.input.parse({});
    const failure = async (content: string) => {
      await writeFile(s.licensesFile, content);
      const error = await remindExpiringLicenses(input, s.deps(asOf)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NonRetriableError);
      expect((error as NonRetriableError).retryable).toBe(false);
      return (error as Error).message;
    };
    const entry = (fields: Record<string, unknown>) => ({
      id: 'LIC-1',
      holder: 'Acme',
      email: 'ops@acme.test',
      expiresAt: '2030-01-05',
      ...fields,
    });

    expect(await failure('[{"id": "LIC-1",')).toMatch(new RegExp(`^Licence file ${s.licensesFile} is not valid JSON: `));
    expect(await failure(JSON.stringify({ licenses: [] }))).toBe(
      `Licence file ${s.licensesFile} is not a valid licence list: (root): Invalid input: expected array, received object`,
    );
    expect(await failure(JSON.stringify([entry({}), entry({ id: 'LIC-2', email: 'not an address' })]))).toMatch(
      new RegExp(`^Licence file ${s.licensesFile} is not a valid licence list: 1\\.email: Invalid email address`),
    );
    expect(await failure(JSON.stringify([entry({ expiresAt: 'next week' })]))).toMatch(/0\.expiresAt: /);
    expect(await failure(JSON.stringify([entry({}), entry({ email: 'other@acme.test' })]))).toMatch(/1\.id: duplicate licence id 'LIC-1'/);
    expect(await emailJobs(s.fx)).toEqual([]);
  });

  test('the handler reads LICENSES_FILE and enqueues email.send through ctx.enqueue; it sends no mail itself', async () => {
    await using s = await setup([]);
    await using outbox = await tempDir('outbox');
    await writeLicenses(s.licensesFile, [license('LIC-1', inDays(1, new Date())), license('LIC-2', inDays(90, new Date()))]);
    using _env = withEnv({ LICENSES_FILE: s.licensesFile, SMTP_URL: undefined, OUTBOX_DIR: outbox.path });

    const result = await maintenanceHandlers.handlers.licenseExpiry(licenseExpiry.input.parse({}), s.fx.context(licenseExpiry));

    expect(result).toMatchObject({ reminded: ['LIC-1'], alreadyReminded: [], notDue: 1 });
    expect((await emailJobs(s.fx)).map((j) => [j.id, j.input.to])).toEqual([[result.emails[0], 'lic-1@example.test']]);
    expect(await listDir(outbox.path)).toEqual([]);
  });
});

describe('the licence file', () => {
  test('holds ISO 8601 expiries, a date alone meaning 00:00 UTC; extra fields are ignored', async () => {
    await using dir = await tempDir('licenses');
    const path = join(dir.path, 'licenses.json');
    await writeFile(
      path,
      JSON.stringify([
        { id: 'A', holder: 'Acme', email: 'a@acme.test', expiresAt: '2030-01-05', plan: 'pro' },
        { id: 'B', holder: 'Bolt', email: 'b@bolt.test', expiresAt: '2030-01-05T12:00:00+02:00' },
      ]),
    );
    expect(await readLicenseFile(path)).toEqual([
      { id: 'A', holder: 'Acme', email: 'a@acme.test', expiresAt: new Date('2030-01-05T00:00:00Z') },
      { id: 'B', holder: 'Bolt', email: 'b@bolt.test', expiresAt: new Date('2030-01-05T10:00:00Z') },
    ]);
    expect(await readLicenseFile(join(dir.path, 'absent.json'))).toBeUndefined();
  });
});

describe('the licenseExpiry contract', () => {
  test('v2 takes no recipients: licences in the input are refused, and a queued v1 job keeps only remindWithinDays', () => {
    const attacker = { id: 'X', holder: 'x', email: 'victim@attacker.test', expiresAt: inDays(1) };
    expect(licenseExpiry.version).toBe(2);
    expect(licenseExpiry.input.safeParse({ licenses: [attacker] }).success).toBe(false);
    expect(licenseExpiry.input.safeParse({ remindWithinDays: 7, asOf }).success).toBe(false);
    expect(licenseExpiry.input.parse({})).toEqual({ remindWithinDays: 30 });
    expect(upgradePayload(licenseExpiry, 1, { licenses: [attacker], remindWithinDays: 7, asOf })).toEqual({
      kind: 'current',
      payload: { remindWithinDays: 7 },
    });
  });
});

test('isReminderDue: due means expiring in (now, now + days]', () => {
  expect(isReminderDue(asOf, asOf, 30)).toBe(false);
  expect(isReminderDue(new Date(asOf.getTime() + 1), asOf, 30)).toBe(true);
  expect(isReminderDue(inDays(30), asOf, 30)).toBe(true);
  expect(isReminderDue(new Date(inDays(30).getTime() + 1), asOf, 30)).toBe(false);
});
