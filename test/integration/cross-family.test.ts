/**
 * Tasks whose effect reaches other families (cleaning their jobs, reporting on them) need the
 * caller to hold those families' scopes, checked before anything is written.
 */
import { createClient } from '@taskwire/client';
import { hashToken } from '@taskwire/router';
import { families } from '@taskwire-example/reference/contracts';
import { describe, expect, it } from 'vitest';
import { snapshotKeys, startStack } from '../fixtures/harness.ts';
import { codeOf as code } from '../fixtures/outcomes.ts';

const MAINTENANCE = 'tw_maintenance-only-token-000000';
const CLEANER = 'tw_maintenance-and-email-token-00';
const REPORTER = 'tw_reports-only-token-0000000000';
const EVERYWHERE = 'tw_enqueue-everywhere-token-0000';
const token = (name: string, value: string, scopes: string[]) => ({ name, sha256: hashToken(value), scopes: scopes as ['admin'] });
const auth = {
  tokens: [
    token('maintenance', MAINTENANCE, ['maintenance:enqueue', 'maintenance:read']),
    token('cleaner', CLEANER, ['maintenance:enqueue', 'email:enqueue']),
    token('reporter', REPORTER, ['reports:enqueue', 'reports:read']),
    token('everywhere', EVERYWHERE, ['*:enqueue', '*:read']),
  ],
};

describe('tasks that reach other families', () => {
  it('maintenance.cleanJobs needs the enqueue scope of every family it cleans, for enqueues and schedules alike', async () => {
    await using stack = await startStack({ registry: families, auth });
    const as = (t: string) => createClient<typeof families>({ url: `${stack.api.url}/trpc`, token: t });
    const before = await snapshotKeys(stack.redis, stack.prefix);
    const clean = (t: string, input: { families?: string[] }) =>
      as(t).maintenance.cleanJobs.enqueue({ olderThanMs: 0, states: ['completed', 'failed'], ...input });

    expect(await code(clean(MAINTENANCE, { families: ['email', 'reports', 'backups'] }))).toBe('FORBIDDEN');
    expect(await code(clean(MAINTENANCE, { families: ['maintenance', 'email'] }))).toBe('FORBIDDEN');
    expect(await code(clean(MAINTENANCE, {}))).toBe('FORBIDDEN'); // every family
    expect(await code(as(MAINTENANCE).maintenance.cleanJobs.enqueueMany([{ input: { olderThanMs: 0, families: ['email'] } }]))).toBe(
      'FORBIDDEN',
    );
    const schedule = (t: string, input: { families?: string[] }) =>
      as(t).maintenance.cleanJobs.schedules.upsert({ key: 'nightly', cron: '0 3 * * *', input: { olderThanMs: 86_400_000, ...input } });
    expect(await code(schedule(MAINTENANCE, { families: ['email'] }))).toBe('FORBIDDEN');
    expect(await snapshotKeys(stack.redis, stack.prefix)).toEqual(before); // refused before anything was written

    const refused = await clean(MAINTENANCE, { families: ['email'] }).catch((error: Error) => error.message);
    expect(refused).toBe("This call needs the 'email:enqueue' scope");

    expect(await code(clean(MAINTENANCE, { families: ['maintenance'] }))).toBe('OK');
    expect(await code(clean(CLEANER, { families: ['email', 'maintenance'] }))).toBe('OK');
    expect(await code(clean(CLEANER, { families: ['reports'] }))).toBe('FORBIDDEN');
    expect(await code(clean(EVERYWHERE, {}))).toBe('OK');
    expect(await code(schedule(CLEANER, { families: ['email'] }))).toBe('OK');
  });

  it('reports.generate needs the read scope of every family it reports on', async () => {
    await using stack = await startStack({ registry: families, auth });
    const as = (t: string) => createClient<typeof families>({ url: `${stack.api.url}/trpc`, token: t });
    const report = (t: string, reported?: string[]) =>
      as(t).reports.generate.enqueue({ title: 'Activity', from: new Date(0), to: new Date(), ...(reported ? { families: reported } : {}) });
    expect(await code(report(REPORTER, ['email']))).toBe('FORBIDDEN');
    expect(await code(report(REPORTER))).toBe('FORBIDDEN');
    expect(await code(report(REPORTER, ['reports']))).toBe('OK');
    expect(await code(report(EVERYWHERE))).toBe('OK');
  });
});
