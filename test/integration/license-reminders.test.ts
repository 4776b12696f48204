/**
 * Licence reminders are not an email relay: whoever may enqueue maintenance work cannot choose
 * who is mailed or what the message says. Recipients come only from the worker's licence file,
 * and every reminder is an `email.send` job, under the email family's rate limit.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@taskwire/client';
import { hashToken } from '@taskwire/router';
import { createKeys, encodeEnvelope } from '@taskwire/shared';
import { createRedis } from '@taskwire/shared/node';
import { families } from '@taskwire-example/reference/contracts';
import { Queue } from 'bullmq';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { familyHandlers } from '../../examples/reference/handlers/index.ts';
import { closeMailTransports } from '../../examples/reference/services/mailer.ts';
import { eventually, snapshotKeys, startStack } from '../fixtures/harness.ts';
import { codeOf } from '../fixtures/outcomes.ts';
import { listDir, tempDir, withEnv } from '../services/support.ts';

const MAINTENANCE = 'tw_maintenance-only-token-licence';
const ADMIN = 'tw_admin-token-licence-reminders0';
const auth = {
  tokens: [
    { name: 'maintenance', sha256: hashToken(MAINTENANCE), scopes: ['maintenance:enqueue' as const, 'maintenance:read' as const] },
    { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin' as const] },
  ],
};
const DAY = 86_400_000;
const attacker = (i: number) => ({
  id: `X-${i}`,
  holder: 'Dear customer',
  email: `victim-${i}@attacker.test`,
  expiresAt: new Date(Date.now() + DAY),
});

describe('maintenance.licenseExpiry', () => {
  it('refuses recipients in the input with INVALID_INPUT, for enqueues and schedules, before anything reaches Redis', async () => {
    await using stack = await startStack({ registry: families, auth });
    const tw = createClient<typeof families>({ url: `${stack.api.url}/trpc`, token: MAINTENANCE });
    const licenses = Array.from({ length: 200 }, (_, i) => attacker(i));
    // The v1 shape, as an old or hostile caller sends it.
    const v1 = { licenses, remindWithinDays: 30 } as unknown as { remindWithinDays: number };
    const before = await snapshotKeys(stack.redis, stack.prefix);

    expect(await codeOf(tw.maintenance.licenseExpiry.enqueue(v1))).toBe('INVALID_INPUT');
    expect(await codeOf(tw.maintenance.licenseExpiry.enqueueMany([{ input: v1 }]))).toBe('INVALID_INPUT');
    expect(await codeOf(tw.maintenance.licenseExpiry.schedules.upsert({ key: 'daily', cron: '0 8 * * *', input: v1 }))).toBe(
      'INVALID_INPUT',
    );
    const error = await tw.maintenance.licenseExpiry.enqueue(v1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', issues: [expect.objectContaining({ message: 'Unrecognized key: "licenses"' })] });

    expect(await snapshotKeys(stack.redis, stack.prefix)).toEqual(before);
    expect(await codeOf(tw.maintenance.licenseExpiry.enqueue({ remindWithinDays: 30 }))).toBe('OK');
  });

  it('a v1 job still queued runs as v2: its licences are ignored, reminders go as email.send jobs to the licence file only', async () => {
    await using dir = await tempDir('licence-run');
    const licensesFile = join(dir.path, 'licenses.json');
    const outbox = join(dir.path, 'outbox');
    const expiresAt = new Date(Date.now() + 3 * DAY);
    await writeFile(
      licensesFile,
      JSON.stringify([{ id: 'LIC-1', holder: 'Acme', email: 'ops@acme.test', expiresAt: expiresAt.toISOString() }]),
    );
    using _env = withEnv({ LICENSES_FILE: licensesFile, OUTBOX_DIR: outbox, SMTP_URL: undefined });
    await using stack = await startStack({ registry: families, auth, handlers: [familyHandlers.maintenance, familyHandlers.email] });
    const tw = createClient<typeof families>({ url: `${stack.api.url}/trpc`, token: MAINTENANCE });
    const admin = createClient<typeof families>({ url: `${stack.api.url}/trpc`, token: ADMIN });
    const connection = createRedis(stack.redis, 'worker');
    const queue = new Queue(createKeys(stack.prefix).queueName('maintenance'), { connection, prefix: stack.prefix });
    try {
      const old = encodeEnvelope(
        1,
        { licenses: Array.from({ length: 200 }, (_, i) => attacker(i)), remindWithinDays: 30 },
        { enqueuedAt: Date.now() },
      );
      const job = await queue.add('licenseExpiry', old, { attempts: 1 });

      const view = await eventually(async () => {
        const v = await tw.jobs.get(`maintenance.${job.id}`);
        return v.state === 'completed' || v.state === 'failed' ? v : undefined;
      });
      expect(view.error).toBeNull();
      expect(view.version).toBe(1);
      expect(view.result).toEqual({ reminded: ['LIC-1'], alreadyReminded: [], notDue: 0, emails: [expect.stringMatching(/^email\.k/)] });
      const emailId = (view.result as { emails: string[] }).emails[0] as string;

      const email = await eventually(async () => {
        const v = await admin.jobs.get(emailId);
        return v.state === 'completed' || v.state === 'failed' ? v : undefined;
      });
      expect(email).toMatchObject({ task: 'email.send', state: 'completed', input: { to: 'ops@acme.test' } });
      const files = await listDir(outbox);
      expect(files).toHaveLength(1);
      const mail = await simpleParser(await readFile(join(outbox, files[0] as string)));
      expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((a) => a.address) : []).toEqual(['ops@acme.test']);
      expect(mail.subject).toMatch(/^Your licence LIC-1 expires on /);

      // A run enqueued today (v2) reminds no one twice.
      const rerun = await tw.maintenance.licenseExpiry.run({ remindWithinDays: 30 });
      expect(rerun).toEqual({ reminded: [], alreadyReminded: ['LIC-1'], notDue: 0, emails: [] });
      const stats = await admin.queues.stats();
      expect(stats.find((s) => s.family === 'email')).toMatchObject({ waiting: 0, delayed: 0, active: 0, completed: 1, failed: 0 });
      expect(await listDir(outbox)).toHaveLength(1);
    } finally {
      await queue.close();
      connection.disconnect();
      await closeMailTransports();
    }
  });
});
