/**
 * The API's edges as an attacker meets them: guessing tokens, amplifying answers, holding
 * connections, reading metrics, and the messages that could leak configuration.
 */
import { createClient } from '@taskwire/client';
import { hashToken, parseTokens, startApiServer } from '@taskwire/router';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';
import { codeOf as code } from '../fixtures/outcomes.ts';

const ADMIN = 'tw_access-admin-token-0000000000';
const PRODUCER = 'tw_access-producer-token-0000000';
const READER = 'tw_access-reader-token-000000000';
const LIMITED = 'tw_access-limited-token-00000000';
const WRONG = 'tw_not-a-configured-token-000000';
const auth = {
  tokens: parseTokens(
    JSON.stringify([
      { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin'] },
      { name: 'producer', token: PRODUCER, scopes: ['lab:enqueue'] },
      { name: 'billing', token: READER, scopes: ['lab:read'] },
      { name: 'limited', token: LIMITED, scopes: ['lab:enqueue', 'lab:read'], ratePerSecond: 2 },
    ]),
  ),
};
/** Windows of an hour: a test never straddles one, so its counts are not split. */
const throttle = { maxFailures: 10, windowMs: 3_600_000 };

/** How a WebSocket upgrade ends: `open`, or the HTTP status it was refused with. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ outcome: 'open' | number; socket: WebSocket }> {
  const socket = new WebSocket(url, { headers });
  return new Promise((resolve) => {
    socket.once('open', () => resolve({ outcome: 'open', socket }));
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ outcome: res.statusCode ?? 0, socket });
    });
    socket.once('error', () => resolve({ outcome: -1, socket }));
  });
}

const trpcCall = (base: string, path: string, token?: string, body = 'x') =>
  fetch(`${base}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });

describe('access', () => {
  it('locks out an address after 10 wrong tokens counted across replicas and transports; then right tokens get 429 too', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, api: { authThrottle: throttle } });
    const other = await startApiServer({
      registry: labRegistry,
      redis: stack.redis,
      prefix: stack.prefix,
      port: 0,
      auth,
      authThrottle: throttle,
    });
    try {
      const a = stack.api.url;
      const b = other.url;
      // Five wrong guesses on one replica over tRPC, five on the other over REST and the sign-in form.
      for (let i = 0; i < 5; i++) expect((await trpcCall(a, 'health', `${WRONG}${i}`)).status).toBe(401);
      for (let i = 0; i < 3; i++) {
        const rest = await fetch(`${b}/api/v1/lab/steps/jobs/lab.1`, { headers: { authorization: `Bearer ${WRONG}${i}` } });
        expect(rest.status).toBe(401);
      }
      for (let i = 0; i < 2; i++) {
        const form = await fetch(`${b}/admin/login`, {
          method: 'POST',
          body: new URLSearchParams({ token: `${WRONG}${i}` }),
          redirect: 'manual',
        });
        expect(form.status).toBe(401);
      }
      // The right token no longer tells anything, on any replica or transport.
      const locked = await trpcCall(a, 'health', ADMIN);
      expect(locked.status).toBe(429);
      expect((await locked.json()) as unknown).toMatchObject({ error: { json: { data: { taskwire: { code: 'TOO_MANY_REQUESTS' } } } } });
      expect((await fetch(`${b}/api/v1/lab/steps/jobs/lab.1`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(429);
      const ws = await upgrade(`${b.replace('http', 'ws')}/trpc`, { authorization: `Bearer ${ADMIN}` });
      expect(ws.outcome).toBe(429);
      const form = await fetch(`${a}/admin/login`, { method: 'POST', body: new URLSearchParams({ token: ADMIN }), redirect: 'manual' });
      expect(form.status).toBe(429);
      expect(
        await code(createClient<typeof labRegistry>({ url: `${a}/trpc`, token: ADMIN }).lab.steps.enqueue({ count: 1, delayMs: 0 })),
      ).toBe('TOO_MANY_REQUESTS');
    } finally {
      await other.close();
    }
  });

  it('answers a batch naming 3,001 calls, without a token and with a 1-byte body, with one small error', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const names = Array.from({ length: 3_001 }, () => 'a').join(',');
    const huge = await trpcCall(stack.api.url, `${names}?batch=1`);
    const hugeText = await huge.text();
    expect(huge.status).toBe(413);
    expect(hugeText.length).toBeLessThan(600);
    // Within the bound but without a token: authenticated before any per-call answer.
    const hundred = Array.from({ length: 100 }, () => 'lab.steps.enqueue').join(',');
    const anonymous = await trpcCall(stack.api.url, `${hundred}?batch=1`);
    const anonymousText = await anonymous.text();
    expect(anonymous.status).toBe(401);
    expect(anonymousText.length).toBeLessThan(600);
    // With a token, 101 calls are refused whole; 100 run.
    const tooMany = Array.from({ length: 101 }, () => 'health').join(',');
    expect((await fetch(`${stack.api.url}/trpc/${tooMany}?batch=1`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(413);
    const fine = await fetch(`${stack.api.url}/trpc/${Array.from({ length: 100 }, () => 'health').join(',')}?batch=1`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(fine.status).toBe(200);
    expect(((await fine.json()) as unknown[]).length).toBe(100);
    console.log(
      `3,001-call batch: ${huge.status}, ${hugeText.length} bytes; 100 calls without a token: ${anonymous.status}, ${anonymousText.length} bytes`,
    );
  });

  it('refuses WebSocket upgrades without a valid token, drops silent connection-params clients, and caps connections per address', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, api: { authThrottle: throttle, maxConnectionsPerAddress: 3 } });
    const url = `${stack.api.url.replace('http', 'ws')}/trpc`;
    expect((await upgrade(url)).outcome).toBe(401);
    expect((await upgrade(url, { authorization: `Bearer ${WRONG}` })).outcome).toBe(401);
    // Credentials promised in the connection params but never sent: closed after the deadline.
    const silent = await upgrade(`${url}?connectionParams=1`);
    expect(silent.outcome).toBe('open');
    const closedAt = await new Promise<number>((resolve) => {
      const opened = performance.now();
      silent.socket.once('close', () => resolve(performance.now() - opened));
    });
    expect(closedAt).toBeLessThan(7_000);
    // Wrong connection params: closed at once.
    const wrong = await upgrade(`${url}?connectionParams=1`);
    wrong.socket.send(JSON.stringify({ method: 'connectionParams', data: { token: WRONG } }));
    await new Promise((resolve) => wrong.socket.once('close', resolve));

    const open = await Promise.all([1, 2, 3].map(() => upgrade(url, { authorization: `Bearer ${ADMIN}` })));
    expect(open.map((o) => o.outcome)).toEqual(['open', 'open', 'open']);
    expect((await upgrade(url, { authorization: `Bearer ${ADMIN}` })).outcome).toBe(429);
    open[0]?.socket.close();
    await eventually(async () => ((await upgrade(url, { authorization: `Bearer ${ADMIN}` })).outcome === 'open' ? true : undefined));
    for (const o of open) o.socket.terminate();
  }, 20_000);

  it('takes a token in the URL (tRPC connection params, for browsers’ EventSource) for SSE subscriptions only, through the same throttle', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, api: { authThrottle: throttle } });
    const base = `${stack.api.url}/trpc`;
    const inUrl = (token: string) => `connectionParams=${encodeURIComponent(JSON.stringify({ token }))}`;
    const watch = (token: string) =>
      `${base}/lab.echo.watch?input=${encodeURIComponent(JSON.stringify({ json: { id: 'lab.1' } }))}&${inUrl(token)}`;
    const stream = new AbortController();
    const admitted = await fetch(watch(READER), { signal: stream.signal });
    expect(admitted.status).toBe(200);
    expect(admitted.headers.get('content-type')).toMatch(/text\/event-stream/);
    stream.abort();
    // Queries, mutations and batches never take a token from the URL.
    expect((await fetch(`${base}/health?${inUrl(ADMIN)}`)).status).toBe(401);
    expect(
      (await fetch(`${base}/lab.echo.get?input=${encodeURIComponent(JSON.stringify({ json: { id: 'lab.1' } }))}&${inUrl(ADMIN)}`)).status,
    ).toBe(401);
    expect((await fetch(`${base}/health,lab.echo.watch?batch=1&${inUrl(ADMIN)}`)).status).toBe(401);
    // Wrong tokens in the URL count against the address like wrong headers: then the right header gets 429.
    for (let i = 0; i < throttle.maxFailures; i++) expect((await fetch(watch(`${WRONG}${i}`))).status).toBe(401);
    expect((await trpcCall(stack.api.url, 'health', ADMIN)).status).toBe(429);
  });

  it('/metrics needs the admin scope or the metrics token unless made public', async () => {
    await using stack = await startStack({
      registry: labRegistry,
      auth,
      api: { metricsAccess: { token: 'tw_scraper-only-token-000000' } },
    });
    const metrics = (token?: string) => fetch(`${stack.api.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await metrics()).status).toBe(401);
    expect((await metrics(READER)).status).toBe(403);
    expect((await metrics(ADMIN)).status).toBe(200);
    expect((await metrics('tw_scraper-only-token-000000')).status).toBe(200);
    // The metrics token opens nothing else.
    expect((await trpcCall(stack.api.url, 'health', 'tw_scraper-only-token-000000')).status).toBe(401);
    await using open = await startStack({ registry: labRegistry, auth, api: { metricsAccess: { public: true } } });
    expect((await fetch(`${open.api.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${open.api.url}/healthz`)).status).toBe(200);
  });

  it('schedules and retries count against a token’s rate, like enqueues', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, handlers: [labHandlers] });
    const limited = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token: LIMITED });
    const ref = await createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token: ADMIN }).lab.flaky.enqueue({
      failTimes: 0,
      key: 'access-retry',
      permanent: true,
    });
    await eventually(async () => ((await limited.lab.flaky.get(ref.id)).state === 'failed' ? true : undefined));
    const nextWindow = () => new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 5));
    await nextWindow();
    const schedule = (key: string) => limited.lab.steps.schedules.upsert({ key, everyMs: 3_600_000, input: { count: 1, delayMs: 0 } });
    expect(await code(schedule('one'))).toBe('OK');
    expect(await code(schedule('two'))).toBe('OK');
    expect(await code(schedule('three'))).toBe('TOO_MANY_REQUESTS');
    expect(await code(limited.jobs.retry(ref.id))).toBe('TOO_MANY_REQUESTS');
    await nextWindow();
    expect(await code(limited.jobs.retry(ref.id))).toBe('OK');
  });

  it('says which scope is missing without naming the token, and never echoes a token from bad configuration', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const reader = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token: READER });
    const refused = await reader.lab.steps.enqueue({ count: 1, delayMs: 0 }).catch((error: Error) => error);
    expect((refused as Error).message).toBe("This call needs the 'lab:enqueue' scope");
    expect((refused as Error).message).not.toContain('billing');

    const secret = 'tw_plaintext-secret-that-must-not-leak';
    for (const json of [`[{"name":"a","token":"${secret}`, `[{"name":"a","token":"${secret}"}`, `{"token":"${secret}",}`]) {
      let message = '';
      try {
        parseTokens(json);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/TASKWIRE_TOKENS/);
      expect(message).not.toContain('plaintext');
      expect(message).not.toContain('tw_');
    }
  });

  it('answers a job id with broken percent-encoding with 400, not 500', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const response = await fetch(`${stack.api.url}/api/v1/lab/steps/jobs/%E0%A4%A`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
  });
});
