/**
 * The API's cross-origin policy (TASKWIRE_CORS_ORIGINS): pages of other origins are refused
 * before anything runs — preflight, call, SSE stream, REST, WebSocket upgrade — unless their
 * origin is configured; the API's own origin and callers without `Origin` are not affected.
 */
import { parseCorsOrigins, securityFromEnv } from '@taskwire/router';
import { ConfigError } from '@taskwire/shared/node';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startStack } from '../fixtures/harness.ts';
import { labRegistry } from '../fixtures/lab.ts';

const TOKEN = 'tw_cors-test-token-000000000000';
const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';
const auth = { authorization: `Bearer ${TOKEN}` };

/** Whether a WebSocket upgrade with these headers opens, or the status it was refused with. */
function upgrade(url: string, headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('error', () => {});
  });
}

describe('cross-origin requests', () => {
  it('by default: refuses other origins everywhere (403, nothing run), serves the API’s own origin and callers without Origin', async () => {
    await using stack = await startStack({ registry: labRegistry, token: TOKEN });
    const base = stack.api.url;
    const host = new URL(base).host;
    const health = `${base}/trpc/health`;
    expect((await fetch(health, { headers: auth })).status).toBe(200);
    expect((await fetch(health, { headers: { ...auth, origin: `http://${host}` } })).status).toBe(200);
    expect((await fetch(health, { headers: { ...auth, origin: 'http://proxy.example', 'sec-fetch-site': 'same-origin' } })).status).toBe(
      200,
    );

    const refused = await fetch(health, { headers: { ...auth, origin: EVIL } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await refused.json()) as { error: string }).error).toContain(`Origin ${EVIL} is not allowed`);
    // Sec-Fetch-Site decides when present, whatever Origin and Host say.
    expect((await fetch(health, { headers: { ...auth, origin: `http://${host}`, 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    const preflight = await fetch(health, { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'GET' } });
    expect(preflight.status).toBe(403);

    // A mutation from another origin writes nothing.
    const enqueue = await fetch(`${base}/trpc/lab.echo.enqueue`, {
      method: 'POST',
      headers: { ...auth, origin: EVIL, 'content-type': 'application/json' },
      body: JSON.stringify({ json: { input: { at: '2030-01-01T00:00:00.000Z', tags: [], big: '1', note: 'x' } } }),
    });
    expect(enqueue.status).toBe(403);
    expect(await stack.client.jobs.list({ state: 'waiting' })).toEqual([]);

    const input = encodeURIComponent(JSON.stringify({ json: { id: 'lab.1' } }));
    expect((await fetch(`${base}/trpc/lab.echo.watch?input=${input}`, { headers: { ...auth, origin: EVIL } })).status).toBe(403);
    expect((await fetch(`${base}/openapi.json`, { headers: { origin: EVIL } })).status).toBe(403);

    const ws = `${base.replace(/^http/, 'ws')}/trpc`;
    expect(await upgrade(ws, { ...auth, origin: EVIL })).toBe(403);
    expect(await upgrade(ws, auth)).toBe('open');
    expect(await upgrade(ws, { ...auth, origin: `http://${host}` })).toBe('open');
  });

  it('with TASKWIRE_CORS_ORIGINS: answers the preflight and the calls of those origins with CORS headers, and still refuses the rest', async () => {
    await using stack = await startStack({ registry: labRegistry, token: TOKEN, api: { corsOrigins: [APP] } });
    const base = stack.api.url;
    const health = `${base}/trpc/health`;
    const preflight = await fetch(health, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('vary')).toContain('Origin');

    const allowed = await fetch(health, { headers: { ...auth, origin: APP } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
    // Credentials are still checked: an allowed origin is not a token.
    expect((await fetch(health, { headers: { origin: APP } })).status).toBe(401);
    expect((await fetch(health, { headers: { ...auth, origin: EVIL } })).status).toBe(403);

    const ws = `${base.replace(/^http/, 'ws')}/trpc`;
    expect(await upgrade(ws, { ...auth, origin: APP })).toBe('open');
    expect(await upgrade(ws, { ...auth, origin: EVIL })).toBe(403);
  });

  it('takes origins only: a path, a wildcard or a bare host is a configuration error naming it', () => {
    expect(parseCorsOrigins(' https://app.example.com, http://localhost:5173 ,')).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    expect(parseCorsOrigins('https://app.example.com/')).toEqual(['https://app.example.com']);
    expect(parseCorsOrigins(undefined)).toEqual([]);
    for (const bad of ['*', 'https://app.example.com/page', 'app.example.com', 'ftp://files.example.com', 'https://*.example.com']) {
      expect(() => parseCorsOrigins(bad)).toThrow(`'${bad}' is not an origin`);
    }
    expect(securityFromEnv({ TASKWIRE_CORS_ORIGINS: `${APP},http://localhost:5173` }).corsOrigins).toEqual([APP, 'http://localhost:5173']);
    expect(securityFromEnv({}).corsOrigins).toEqual([]);
    expect(() => securityFromEnv({ TASKWIRE_CORS_ORIGINS: '*' })).toThrow(ConfigError);
  });
});
