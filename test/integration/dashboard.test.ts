import { hashToken } from '@taskwire/router';
import { describe, expect, it } from 'vitest';
import { startStack } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';

const ADMIN = 'tw_dashboard-admin-token-000000';
const READER = 'tw_dashboard-reader-token-00000';
const auth = {
  tokens: [
    { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin' as const] },
    { name: 'reader', sha256: hashToken(READER), scopes: ['lab:read' as const] },
  ],
};

describe('dashboard', () => {
  it('serves Bull Board only with admin credentials: a bearer token, or a signed-in session cookie', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const url = `${stack.api.url}/admin/queues`;
    const page = (headers: Record<string, string> = {}) => fetch(url, { headers: { accept: 'text/html', ...headers }, redirect: 'manual' });

    const anonymous = await page();
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/admin/login');
    expect((await fetch(`${url}/api/queues`)).status).toBe(401);
    expect((await page({ authorization: `Bearer ${READER}` })).status).toBe(403);
    const withToken = await page({ authorization: `Bearer ${ADMIN}` });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toMatch(/<title>taskwire<\/title>|bull-board|taskwire/i);

    const login = await fetch(`${stack.api.url}/admin/login`);
    expect(await login.text()).toMatch(/Admin token/);
    const wrong = await fetch(`${stack.api.url}/admin/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: READER }),
      redirect: 'manual',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const right = await fetch(`${stack.api.url}/admin/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: ADMIN }),
      redirect: 'manual',
    });
    expect(right.status).toBe(303);
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^taskwire_admin=admin\.\d+\.[\w-]+; Path=\/admin; HttpOnly; SameSite=Strict/);
    expect(cookie).not.toContain(ADMIN);
    const session = cookie.split(';')[0]!;
    expect((await page({ cookie: session })).status).toBe(200);
    const queues = await fetch(`${url}/api/queues`, { headers: { cookie: session } });
    expect(queues.status).toBe(200);
    const body = (await queues.json()) as { queues: { name: string; displayName?: string }[] };
    expect(body.queues.map((q) => q.displayName ?? q.name)).toEqual(['lab']);
    // A forged or tampered cookie is refused.
    expect((await page({ cookie: session.replace(/\.[\w-]+$/, '.forged') })).status).toBe(303);
  });
});
