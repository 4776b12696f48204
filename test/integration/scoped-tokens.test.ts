/**
 * Scoped tokens (`tokens.create`): short-lived, signed by the API's server-side secret, scoped to
 * one job (read, watch) or one task (enqueue). Attacks tried: reading another job, widening the
 * scopes, minting beyond one's own scopes, forging or re-signing a token, replaying an expired
 * one, stretching its life, and guessing (throttled like any wrong token).
 */
import { createHmac } from 'node:crypto';
import { createClient } from '@taskwire/client';
import { hashToken } from '@taskwire/router';
import { families } from '@taskwire-example/reference/contracts';
import { describe, expect, it } from 'vitest';
import { ScopedTokens } from '../../router/src/runtime/scoped-tokens.ts';
import { ServerSecrets } from '../../router/src/runtime/server-secrets.ts';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';
import { codeOf } from '../fixtures/outcomes.ts';

const READER = 'tw_scoped-reader-token-000000000';
const PRODUCER = 'tw_scoped-producer-token-0000000';
const auth = {
  tokens: [
    { name: 'reader', sha256: hashToken(READER), scopes: ['lab:read' as const] },
    { name: 'producer', sha256: hashToken(PRODUCER), scopes: ['lab:enqueue' as const] },
  ],
};
const SECRET = 'a-configured-secret-of-at-least-32-characters';
const input = (note: string) => ({ at: new Date('2030-01-01T00:00:00.000Z'), tags: new Map([['a', 1]]), big: 1n, note });

describe('scoped tokens', () => {
  it('a job token reads that job (get, jobs.get, watch over SSE) and nothing else', async () => {
    await using stack = await startStack({
      registry: labRegistry,
      auth,
      handlers: [labHandlers],
      api: { sessions: { secrets: [SECRET] } },
    });
    const url = `${stack.api.url}/trpc`;
    const producer = createClient<typeof labRegistry>({ url, token: PRODUCER });
    const reader = createClient<typeof labRegistry>({ url, token: READER });
    const a = await producer.lab.steps.enqueue({ count: 2, delayMs: 20 });
    const b = await producer.lab.steps.enqueue({ count: 1, delayMs: 0 });
    const minted = await reader.tokens.create({ scopes: [`job:${a.id}:read`], ttlMs: 60_000 });
    expect(minted.token).toMatch(/^twt_/);
    expect(minted.expiresAt).toBeInstanceOf(Date);
    expect(minted.expiresAt.getTime() - Date.now()).toBeGreaterThan(50_000);

    const page = createClient<typeof labRegistry>({ url, token: minted.token });
    try {
      expect((await page.lab.steps.get(a.id)).id).toBe(a.id);
      expect((await page.jobs.get(a.id)).id).toBe(a.id);
      const events: string[] = [];
      for await (const event of page.lab.steps.watch(a.id)) events.push(event.type);
      expect(events.at(-1)).toBe('completed');

      expect(await codeOf(page.lab.steps.get(b.id))).toBe('FORBIDDEN');
      expect(await codeOf(page.jobs.get(b.id))).toBe('FORBIDDEN');
      const other = async () => {
        for await (const _ of page.lab.steps.watch(b.id)) return 'OK';
        return 'OK';
      };
      expect(await codeOf(other())).toBe('FORBIDDEN');
      // The same id read through another task's procedure is simply not found.
      expect(await codeOf(page.lab.echo.get(a.id))).toBe('NOT_FOUND');
      expect(await codeOf(page.jobs.list({ state: 'completed' }))).toBe('FORBIDDEN');
      expect(await codeOf(page.lab.steps.enqueue({ count: 1, delayMs: 0 }))).toBe('FORBIDDEN');
      expect(await codeOf(page.jobs.cancel(a.id))).toBe('FORBIDDEN');
      expect(await codeOf(page.queues.stats())).toBe('FORBIDDEN');
      // A scoped token cannot mint another, not even for its own job.
      expect(await codeOf(page.tokens.create({ scopes: [`job:${a.id}:read`] }))).toBe('FORBIDDEN');
    } finally {
      page.close();
      producer.close();
      reader.close();
    }
  });

  it('a task token enqueues that task only, within its own rate', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, api: { sessions: { secrets: [SECRET] } } });
    const url = `${stack.api.url}/trpc`;
    const producer = createClient<typeof labRegistry>({ url, token: PRODUCER });
    const { token } = await producer.tokens.create({ scopes: ['task:lab.echo:enqueue'], ratePerSecond: 2 });
    const page = createClient<typeof labRegistry>({ url, token });
    try {
      await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 5));
      const ref = await page.lab.echo.enqueue(input('from a page'));
      expect(ref.task).toBe('lab.echo');
      expect(await codeOf(page.lab.echo.enqueue(input('second')))).toBe('OK');
      expect(await codeOf(page.lab.echo.enqueue(input('third')))).toBe('TOO_MANY_REQUESTS');
      expect(await codeOf(page.lab.steps.enqueue({ count: 1, delayMs: 0 }))).toBe('FORBIDDEN');
      expect(await codeOf(page.lab.echo.get(ref.id))).toBe('FORBIDDEN');
      expect(await codeOf(page.lab.echo.schedules.upsert({ key: 'k', everyMs: 60_000, input: input('s') }))).toBe('FORBIDDEN');
      // The producer's own budget is its own.
      expect(await codeOf(producer.lab.echo.enqueue(input('producer')))).toBe('OK');
    } finally {
      page.close();
      producer.close();
    }
  });

  it('stops working at its expiry on a WebSocket it opened before (every call is checked, reads and enqueues)', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, api: { sessions: { secrets: [SECRET] } } });
    const url = `${stack.api.url}/trpc`;
    const producer = createClient<typeof labRegistry>({ url, token: PRODUCER });
    const reader = createClient<typeof labRegistry>({ url, token: READER });
    const ref = await producer.lab.echo.enqueue(input('kept'));
    const readToken = await reader.tokens.create({ scopes: [`job:${ref.id}:read`], ttlMs: 1_500 });
    const enqueueToken = await producer.tokens.create({ scopes: ['task:lab.echo:enqueue'], ttlMs: 1_500 });
    const readPage = createClient<typeof labRegistry>({ url, token: readToken.token });
    const enqueuePage = createClient<typeof labRegistry>({ url, token: enqueueToken.token });
    try {
      expect(await codeOf(readPage.lab.echo.get(ref.id))).toBe('OK');
      expect(await codeOf(enqueuePage.lab.echo.enqueue(input('in time')))).toBe('OK');
      await new Promise((r) => setTimeout(r, Math.max(0, readToken.expiresAt.getTime() - Date.now()) + 100));
      const late = await readPage.lab.echo.get(ref.id).catch((e: { code: string; message: string }) => e);
      expect(late).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('expired') });
      expect(await codeOf(enqueuePage.lab.echo.enqueue(input('too late')))).toBe('UNAUTHORIZED');
    } finally {
      for (const client of [producer, reader, readPage, enqueuePage]) client.close();
    }
  });

  it('ends a watch that is streaming when its token expires, with UNAUTHORIZED, and the job goes on', async () => {
    await using stack = await startStack({
      registry: labRegistry,
      auth,
      handlers: [labHandlers],
      api: { sessions: { secrets: [SECRET] } },
    });
    const url = `${stack.api.url}/trpc`;
    const producer = createClient<typeof labRegistry>({ url, token: PRODUCER });
    const reader = createClient<typeof labRegistry>({ url, token: READER });
    // No token of its own: the watch carries the one its server minted for this job.
    const page = createClient<typeof labRegistry>({ url, transport: 'http' });
    try {
      const ref = await producer.lab.steps.enqueue({ count: 40, delayMs: 100 });
      const { token, expiresAt } = await reader.tokens.create({ scopes: [`job:${ref.id}:read`], ttlMs: 1_500 });
      const seen: string[] = [];
      let lastEventAt = 0;
      const ended = await (async () => {
        for await (const event of page.lab.steps.watch(ref.id, { token })) {
          seen.push(event.type);
          lastEventAt = Date.now();
        }
        return 'ended without an error';
      })().catch((error: { code: string; message: string }) => error);
      const endedAt = Date.now();
      expect(ended).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('expired') });
      expect(seen).toContain('progress');
      expect(seen).not.toContain('completed');
      // Ended at the expiry (not at the job's end, 4 s away), and nothing came after it.
      expect(endedAt).toBeGreaterThanOrEqual(expiresAt.getTime());
      expect(endedAt - expiresAt.getTime()).toBeLessThan(1_500);
      expect(lastEventAt).toBeLessThanOrEqual(expiresAt.getTime() + 50);
      // The expiry ended the watch, not the job.
      const finished = await eventually(async () => {
        const view = await reader.lab.steps.get(ref.id);
        return view.state === 'completed' ? view : undefined;
      }, 15_000);
      expect(finished.result).toEqual({ done: 40 });
    } finally {
      for (const client of [producer, reader, page]) client.close();
    }
  });

  it('mints only narrow scopes backed by the caller’s own, for at most 24 h', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, api: { sessions: { secrets: [SECRET] } } });
    const url = `${stack.api.url}/trpc`;
    const producer = createClient<typeof labRegistry>({ url, token: PRODUCER });
    const reader = createClient<typeof labRegistry>({ url, token: READER });
    try {
      expect(await codeOf(producer.tokens.create({ scopes: ['job:lab.1:read'] }))).toBe('FORBIDDEN');
      expect(await codeOf(reader.tokens.create({ scopes: ['task:lab.echo:enqueue'] }))).toBe('FORBIDDEN');
      for (const scopes of [['admin'], ['lab:read'], ['*:read'], ['job:lab.1:enqueue'], ['task:lab.echo:read'], []]) {
        expect(await codeOf(reader.tokens.create({ scopes } as never))).toBe('INVALID_INPUT');
      }
      expect(await codeOf(reader.tokens.create({ scopes: ['job:nope.1:read'] }))).toBe('INVALID_INPUT');
      expect(await codeOf(producer.tokens.create({ scopes: ['task:lab.nope:enqueue' as 'task:lab.echo:enqueue'] }))).toBe('INVALID_INPUT');
      expect(await codeOf(reader.tokens.create({ scopes: ['job:lab.1:read'], ttlMs: 24 * 3_600_000 + 1 }))).toBe('INVALID_INPUT');
    } finally {
      producer.close();
      reader.close();
    }
  });

  it('refuses forged, re-signed, expired and stretched tokens; wrong ones count against the address, expired ones do not', async () => {
    await using stack = await startStack({
      registry: labRegistry,
      auth,
      api: { sessions: { secrets: [SECRET] }, authThrottle: { maxFailures: 5 } },
    });
    const url = `${stack.api.url}/trpc`;
    const reader = createClient<typeof labRegistry>({ url, token: READER, transport: 'http' });
    const as = (token: string) => createClient<typeof labRegistry>({ url, token, transport: 'http' });
    try {
      const { token } = await reader.tokens.create({ scopes: ['job:lab.1:read'], ttlMs: 1_000 });
      const [payload = '', mac = ''] = token.slice(4).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      const sign = (body: object, secret = SECRET) => {
        const p = Buffer.from(JSON.stringify(body)).toString('base64url');
        return `twt_${p}.${createHmac('sha256', secret).update(`taskwire-scoped-token\n${p}`).digest('base64url')}`;
      };
      // Expired: refused with a message that says so, and not counted (a page may retry with it).
      await new Promise((r) => setTimeout(r, 1_100));
      for (let i = 0; i < 8; i++) {
        const error = await as(token)
          .jobs.get('lab.1')
          .catch((e: { code: string; message: string }) => e);
        expect(error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('expired') });
      }
      expect(await codeOf(reader.jobs.get('lab.1'))).toBe('NOT_FOUND');
      // Over SSE too (a watch), the refusal says why: the API answers an EventSource with tRPC's error event.
      const watching = (async () => {
        for await (const _ of as(token).lab.steps.watch('lab.1')) return 'OK';
        return 'OK';
      })().catch((e: { code: string; message: string }) => e);
      expect(await watching).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('expired') });
      const raw = await fetch(`${url}/lab.steps.watch?input=${encodeURIComponent(JSON.stringify({ json: { id: 'lab.1' } }))}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      });
      expect(raw.headers.get('content-type')).toBe('text/event-stream');
      expect(await raw.text()).toMatch(/^event: serialized-error\ndata: \{"json":\{"message":"Token expired/);
      // Stretched: a valid MAC over a life longer than 24 h ends 24 h after its issue time.
      expect(await codeOf(as(sign({ ...claims, iat: Date.now() - 25 * 3_600_000, exp: Date.now() + 3_600_000 })).jobs.get('lab.1'))).toBe(
        'UNAUTHORIZED',
      );
      // A token from the future (another replica's clock far ahead) is not accepted either.
      expect(await codeOf(as(sign({ ...claims, iat: Date.now() + 3_600_000, exp: Date.now() + 7_200_000 })).jobs.get('lab.1'))).toBe(
        'UNAUTHORIZED',
      );
      // Forged: another job in the payload under the old MAC, a token signed with another secret,
      // a session-style MAC, garbage. Each counts; the fifth locks the address out.
      const forged = [
        `twt_${Buffer.from(JSON.stringify({ ...claims, scopes: ['job:lab.2:read'], exp: Date.now() + 60_000 })).toString('base64url')}.${mac}`,
        sign({ ...claims, exp: Date.now() + 60_000 }, 'some-other-secret-of-at-least-32-chars!!'),
        `twt_${payload}.${createHmac('sha256', SECRET).update(`v1\n${payload}`).digest('base64url')}`,
        'twt_not-a-token',
        `twt_${Buffer.from('{"v":1}').toString('base64url')}.${mac}`,
      ];
      for (const bad of forged) expect(await codeOf(as(bad).jobs.get('lab.1'))).toBe('UNAUTHORIZED');
      expect(await codeOf(reader.jobs.get('lab.1'))).toBe('TOO_MANY_REQUESTS');
    } finally {
      reader.close();
    }
  });

  it('stays inside its family: no minting for another family, no reading or enqueueing across families, no cross-family task effects', async () => {
    const EMAIL_READER = 'tw_scoped-email-reader-0000000000';
    const REPORTS = 'tw_scoped-reports-both-000000000';
    const MAINTENANCE = 'tw_scoped-maintenance-enqueue-00';
    const ADMIN = 'tw_scoped-admin-token-00000000000';
    const cross = {
      tokens: [
        { name: 'email-reader', sha256: hashToken(EMAIL_READER), scopes: ['email:read' as const] },
        { name: 'reports', sha256: hashToken(REPORTS), scopes: ['reports:read' as const, 'reports:enqueue' as const] },
        { name: 'maintenance', sha256: hashToken(MAINTENANCE), scopes: ['maintenance:enqueue' as const] },
        { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin' as const] },
      ],
    };
    await using stack = await startStack({ registry: families, auth: cross, api: { sessions: { secrets: [SECRET] } } });
    const url = `${stack.api.url}/trpc`;
    const as = (token: string) => createClient<typeof families>({ url, token, transport: 'http' });
    const report = await as(REPORTS).reports.generate.enqueue({ title: 't', from: new Date(0), to: new Date(1), families: ['reports'] });
    const email = await as(ADMIN).email.send.enqueue({ to: 'a@b.example', subject: 's', html: '<p>h</p>' });

    // A family reader cannot mint for another family, for reading or for enqueueing.
    expect(await codeOf(as(EMAIL_READER).tokens.create({ scopes: [`job:${report.id}:read`] }))).toBe('FORBIDDEN');
    expect(await codeOf(as(EMAIL_READER).tokens.create({ scopes: ['task:reports.generate:enqueue'] }))).toBe('FORBIDDEN');
    expect(await codeOf(as(REPORTS).tokens.create({ scopes: [`job:${report.id}:read`, `job:${email.id}:read`] }))).toBe('FORBIDDEN');

    // A token for a reports job reads that job, not an email job, and the email procedures do not serve it.
    const { token: readsReport } = await as(REPORTS).tokens.create({ scopes: [`job:${report.id}:read`] });
    expect(await codeOf(as(readsReport).jobs.get(report.id))).toBe('OK');
    expect(await codeOf(as(readsReport).jobs.get(email.id))).toBe('FORBIDDEN');
    expect(await codeOf(as(readsReport).email.send.get(email.id))).toBe('FORBIDDEN');
    expect(await codeOf(as(readsReport).email.send.get(report.id))).toBe('NOT_FOUND');
    expect(await codeOf(as(readsReport).jobs.list({ family: 'email' }))).toBe('FORBIDDEN');

    // A token for one task enqueues that task, nothing of another family.
    const { token: sends } = await as(ADMIN).tokens.create({ scopes: ['task:email.send:enqueue'] });
    expect(await codeOf(as(sends).email.send.enqueue({ to: 'x@y.example', subject: 's', html: 'h' }))).toBe('OK');
    expect(
      await codeOf(as(sends).reports.generate.enqueue({ title: 't', from: new Date(0), to: new Date(1), families: ['reports'] })),
    ).toBe('FORBIDDEN');
    expect(await codeOf(as(sends).email.invite.enqueue({} as never))).toBe('FORBIDDEN');

    // A task whose contract requires scopes of its input (reports over families, cleaning
    // families) needs them held as family scopes: a task token never stands in for them, not
    // even for its own family.
    const { token: generates } = await as(REPORTS).tokens.create({ scopes: ['task:reports.generate:enqueue'] });
    expect(
      await codeOf(as(generates).reports.generate.enqueue({ title: 't', from: new Date(0), to: new Date(1), families: ['reports'] })),
    ).toBe('FORBIDDEN');
    const { token: cleans } = await as(MAINTENANCE).tokens.create({ scopes: ['task:maintenance.cleanJobs:enqueue'] });
    const clean = (list: string[]) => as(cleans).maintenance.cleanJobs.enqueue({ olderThanMs: 0, states: ['completed'], families: list });
    expect(await codeOf(clean(['email']))).toBe('FORBIDDEN');
    expect(await codeOf(clean(['maintenance']))).toBe('FORBIDDEN');
  });

  it('verifies with every configured secret (rotation): a token outlives a new secret put in front, not the removal of its own', async () => {
    const hub = undefined as never;
    const minter = { name: 'reader', scopes: new Set(['lab:read']), ratePerSecond: undefined };
    const { token } = await new ScopedTokens(labRegistry, new ServerSecrets(hub, [SECRET])).create(minter, { scopes: ['job:lab.1:read'] });
    const rotated = new ScopedTokens(labRegistry, new ServerSecrets(hub, ['a-newer-secret-of-at-least-32-characters!', SECRET]));
    expect([...(await rotated.verify(token)).scopes]).toEqual(['job:lab.1:read']);
    const dropped = new ScopedTokens(labRegistry, new ServerSecrets(hub, ['a-newer-secret-of-at-least-32-characters!']));
    await expect(dropped.verify(token)).rejects.toMatchObject({ code: 'UNAUTHORIZED', forged: true });
    // Two tokens of one minter are two callers for rate limits.
    const second = await new ScopedTokens(labRegistry, new ServerSecrets(hub, [SECRET])).create(
      minter,
      { scopes: ['job:lab.1:read'] },
      Date.now() + 1,
    );
    const names = await Promise.all([token, second.token].map(async (t) => (await rotated.verify(t)).name));
    expect(new Set(names).size).toBe(2);
  });
});
