import { createHash, createHmac } from 'node:crypto';
import { hashToken, startApiServer } from '@taskwire/router';
import { createKeys } from '@taskwire/shared';
import { createRedis } from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';
import { redisConfig, startStack, uniquePrefix } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';

const ADMIN = 'tw_dashboard-admin-token-000000';
const READER = 'tw_dashboard-reader-token-00000';
const admin = { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin' as const] };
const reader = { name: 'billing', sha256: hashToken(READER), scopes: ['lab:read' as const] };
const auth = { tokens: [admin, reader] };

const HOUR = 3_600_000;

/** Signs in through the form; the session cookie (`name=value`). */
async function signIn(base: string, token: string): Promise<string> {
  const response = await fetch(`${base}/admin/login`, { method: 'POST', body: new URLSearchParams({ token }), redirect: 'manual' });
  expect(response.status).toBe(303);
  return (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
}

/** The dashboard's answer to a page request with these headers (303 = sent to the sign-in form). */
async function page(base: string, headers: Record<string, string> = {}): Promise<number> {
  return (await fetch(`${base}/admin/queues`, { headers: { accept: 'text/html', ...headers }, redirect: 'manual' })).status;
}

/** A cookie of the format the dashboard signed before (`<name>.<expiry>.<mac>`, keyed by the token's hash). */
function oldFormatCookie(name: string, key: string, expires: number): string {
  return `taskwire_admin=${name}.${expires}.${createHmac('sha256', key).update(`${name}.${expires}`).digest('base64url')}`;
}

/** A cookie of the current format signed with a given key: what a forger would try with what it knows. */
function signedWith(key: string, name: string, issuedAt: number, tokenSha256: string): string {
  const mac = createHmac('sha256', key).update(`v1\n${name}\n${issuedAt}\n${tokenSha256}`).digest('base64url');
  return `taskwire_admin=v1.${issuedAt}.${Buffer.from(name).toString('base64url')}.${mac}`;
}

describe('dashboard', () => {
  it('serves Bull Board only with admin credentials: a bearer token, or a signed-in session cookie', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const base = stack.api.url;
    const url = `${base}/admin/queues`;

    expect(await page(base)).toBe(303);
    expect((await fetch(url, { headers: { accept: 'text/html' }, redirect: 'manual' })).headers.get('location')).toBe('/admin/login');
    expect((await fetch(`${url}/api/queues`)).status).toBe(401);
    expect(await page(base, { authorization: `Bearer ${READER}` })).toBe(403);
    const withToken = await fetch(url, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toMatch(/<title>taskwire<\/title>|bull-board|taskwire/i);

    expect(await (await fetch(`${base}/admin/login`)).text()).toMatch(/Admin token/);
    const wrong = await fetch(`${base}/admin/login`, { method: 'POST', body: new URLSearchParams({ token: READER }), redirect: 'manual' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const right = await fetch(`${base}/admin/login`, { method: 'POST', body: new URLSearchParams({ token: ADMIN }), redirect: 'manual' });
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^taskwire_admin=v1\.\d+\.[\w-]+\.[\w-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=28800/);
    expect(cookie).not.toContain(ADMIN);
    expect(cookie).not.toContain(admin.sha256);
    const session = cookie.split(';')[0] as string;
    expect(await page(base, { cookie: session })).toBe(200);
    const queues = await fetch(`${url}/api/queues`, { headers: { cookie: session } });
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: { name: string; displayName?: string }[] };
    expect(body.queues.map((q) => q.displayName ?? q.name)).toEqual(['lab']);
    expect(body.queues.map((q) => q.name)).toEqual(['lab']);
    // Raw job data cannot be added or rewritten here: a job's data is a contract's envelope.
    const bearer = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const added = await fetch(`${url}/api/queues/lab/add`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({ name: 'echo', data: { raw: 1 } }),
    });
    expect(added.status).toBe(405);
    const edited = await fetch(`${url}/api/queues/lab/1/update-data`, {
      method: 'PATCH',
      headers: bearer,
      body: JSON.stringify({ jobData: { raw: 1 } }),
    });
    expect(edited.status).toBe(405);
    const after = (await (await fetch(`${url}/api/queues`, { headers: bearer })).json()) as {
      queues: { counts: Record<string, number> }[];
    };
    expect(Object.values(after.queues[0]?.counts ?? { missing: 1 }).every((n) => n === 0)).toBe(true);
    expect(await page(base, { cookie: session.replace(/\.[\w-]+$/, '.forged') })).toBe(303);

    const out = await fetch(`${base}/admin/logout`, { method: 'POST', headers: { cookie: session }, redirect: 'manual' });
    expect(out.headers.get('set-cookie')).toMatch(/^taskwire_admin=; .*Max-Age=0/);
  });

  it('refuses sessions forged from what a token holder or a reader of the configuration knows', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const base = stack.api.url;
    const tenYears = Date.now() + 10 * 365 * 24 * HOUR;
    const now = Date.now();
    // The holder of a lab:read token, keyed by its own token's hash (the old scheme's key), as itself and as admin.
    expect(await page(base, { cookie: oldFormatCookie('billing', reader.sha256, tenYears) })).toBe(303);
    expect(await page(base, { cookie: signedWith(reader.sha256, 'billing', now, reader.sha256) })).toBe(303);
    expect(await page(base, { cookie: signedWith(reader.sha256, 'admin', now, admin.sha256) })).toBe(303);
    expect(await page(base, { cookie: signedWith(createHash('sha256').update(READER).digest('hex'), 'admin', now, admin.sha256) })).toBe(
      303,
    );
    // The configured hash of the admin token alone, without the token.
    expect(await page(base, { cookie: oldFormatCookie('admin', admin.sha256, tenYears) })).toBe(303);
    expect(await page(base, { cookie: signedWith(admin.sha256, 'admin', now, admin.sha256) })).toBe(303);
    // None of these reached the dashboard's API either.
    const paused = await fetch(`${base}/admin/queues/api/queues/pause`, {
      method: 'PUT',
      headers: { cookie: signedWith(admin.sha256, 'admin', now, admin.sha256), 'sec-fetch-site': 'same-origin' },
    });
    expect(paused.status).toBe(401);
    expect(await stack.api.hub.queue('lab').isPaused()).toBe(false);
  });

  it('bounds a session by the server: issue time plus the session length, whatever the cookie says', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const base = stack.api.url;
    await signIn(base, ADMIN); // creates the replicas' shared secret in Redis
    const redis = createRedis(redisConfig(), 'worker');
    const secret = (await redis.get(createKeys(stack.prefix).sessionSecret())) as string;
    redis.disconnect();
    expect(secret).toMatch(/^[\w-]{43}$/);
    // Even with the server's secret: an issue time in the future, or older than the session length, is refused.
    expect(await page(base, { cookie: signedWith(secret, 'admin', Date.now(), admin.sha256) })).toBe(200);
    expect(await page(base, { cookie: signedWith(secret, 'admin', Date.now() + 10 * 365 * 24 * HOUR, admin.sha256) })).toBe(303);
    expect(await page(base, { cookie: signedWith(secret, 'admin', Date.now() - 8 * HOUR - 1_000, admin.sha256) })).toBe(303);
  });

  it('a replica accepts a session while the principal holds admin now: demoted or replaced tokens end their sessions', async () => {
    const prefix = uniquePrefix('dash');
    const redis = redisConfig();
    const first = await startApiServer({ registry: labRegistry, redis, prefix, port: 0, auth });
    const session = await signIn(first.url, ADMIN);
    await first.close();

    const again = await startApiServer({ registry: labRegistry, redis, prefix, port: 0, auth });
    const demoted = await startApiServer({
      registry: labRegistry,
      redis,
      prefix,
      port: 0,
      auth: { tokens: [{ ...admin, scopes: ['lab:read'] }, reader] },
    });
    const replaced = await startApiServer({
      registry: labRegistry,
      redis,
      prefix,
      port: 0,
      auth: { tokens: [{ ...admin, sha256: hashToken('tw_a-new-admin-token-0000000000') }, reader] },
    });
    try {
      expect(await page(again.url, { cookie: session })).toBe(200); // another replica, same Redis: same secret
      expect(await page(demoted.url, { cookie: session })).toBe(303);
      expect(await page(replaced.url, { cookie: session })).toBe(303);
    } finally {
      await Promise.all([again.close(), demoted.close(), replaced.close()]);
      const cleanup = createRedis(redis, 'worker');
      await cleanup.del(createKeys(prefix).sessionSecret());
      cleanup.disconnect();
    }
  });

  it('rotates configured secrets: the first signs, the others still verify, a dropped one ends its sessions', async () => {
    const [a, b] = ['a'.repeat(40), 'b'.repeat(40)];
    await using old = await startStack({ registry: labRegistry, auth, api: { sessions: { secrets: [a] } } });
    const session = await signIn(old.api.url, ADMIN);
    await using both = await startStack({ registry: labRegistry, auth, api: { sessions: { secrets: [b, a] } } });
    await using rotated = await startStack({ registry: labRegistry, auth, api: { sessions: { secrets: [b] } } });
    expect(await page(both.api.url, { cookie: session })).toBe(200);
    expect(await page(rotated.api.url, { cookie: session })).toBe(303);
    expect(await page(rotated.api.url, { cookie: await signIn(both.api.url, ADMIN) })).toBe(200);
  });

  it('refuses state changes from other sites (CSRF): Sec-Fetch-Site, else Origin; a session call with neither is refused', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const base = stack.api.url;
    const session = await signIn(base, ADMIN);
    const pause = (headers: Record<string, string>) =>
      fetch(`${base}/admin/queues/api/queues/lab/pause`, {
        method: 'PUT',
        headers: { cookie: session, ...headers },
      });
    expect((await pause({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await pause({ 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await pause({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await pause({})).status).toBe(403);
    expect(await stack.api.hub.queue('lab').isPaused()).toBe(false);
    expect((await pause({ 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect(await stack.api.hub.queue('lab').isPaused()).toBe(true);
    await stack.api.hub.queue('lab').resume();
    expect((await pause({ origin: base })).status).toBe(200);
    // A bearer token is not sent by browsers on their own: no origin needed.
    const resume = await fetch(`${base}/admin/queues/api/queues/lab/resume`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(resume.status).toBe(200);
    // Sign-in from another site (login CSRF) is refused too.
    const crossLogin = await fetch(`${base}/admin/login`, {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
      body: new URLSearchParams({ token: ADMIN }),
      redirect: 'manual',
    });
    expect(crossLogin.status).toBe(403);
  });
});
