import { hashToken } from '@taskwire/router';
import { describe, expect, it } from 'vitest';
import { eventually, snapshotKeys, startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';

const TOKEN = 'tw_rest-client-token-0000000000';
const READ_ONLY = 'tw_rest-reader-token-0000000000';
const auth = {
  tokens: [
    { name: 'rest', sha256: hashToken(TOKEN), scopes: ['lab:enqueue' as const, 'lab:read' as const] },
    { name: 'reader', sha256: hashToken(READ_ONLY), scopes: ['lab:read' as const] },
  ],
};

describe('REST + OpenAPI', () => {
  it('plain fetch enqueues with rich types as JSON and reads the typed job back; the OpenAPI 3.1 document describes it', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, handlers: [labHandlers] });
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

    const doc = (await (await fetch(`${stack.api.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            requestBody?: {
              content: { 'application/json': { schema: { properties: { input: { properties: Record<string, unknown> } } } } };
            };
          }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/v1/lab/echo/jobs');
    expect(Object.keys(doc.paths)).toContain('/api/v1/lab/echo/jobs/{id}');
    const echoInput = doc.paths['/api/v1/lab/echo/jobs']!.post!.requestBody!.content['application/json'].schema.properties.input.properties;
    expect(echoInput.at).toMatchObject({ type: 'string', format: 'date-time' });
    expect(echoInput.big).toMatchObject({ type: 'string', pattern: '^[+-]?\\d+$' });

    const created = await fetch(`${stack.api.url}/api/v1/lab/echo/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        input: { at: '2030-05-06T07:08:09.123Z', tags: [['a', 1]], big: '123456789012345678901234567890', set: ['x'], note: 'from curl' },
        options: { priority: 3 },
      }),
    });
    expect(created.status).toBe(201);
    const ref = (await created.json()) as { id: string; task: string; enqueuedAt: string; deduplicated: boolean };
    expect(ref).toMatchObject({ task: 'lab.echo', deduplicated: false });
    expect(new Date(ref.enqueuedAt).getTime()).toBeGreaterThan(0);

    const job = await eventually(async () => {
      const response = await fetch(`${stack.api.url}/api/v1/lab/echo/jobs/${ref.id}`, {
        headers: { authorization: `Bearer ${READ_ONLY}` },
      });
      const body = (await response.json()) as {
        state: string;
        result: {
          at: string;
          big: string;
          tags: [string, number][];
          seen: { dateIsDate: boolean; bigIsBigint: boolean; tagsIsMap: boolean };
        };
      };
      return body.state === 'completed' ? body : undefined;
    });
    expect(job.result.at).toBe('2030-05-06T07:08:09.123Z');
    expect(job.result.big).toBe('123456789012345678901234567890');
    expect(job.result.tags).toEqual([['a', 1]]);
    expect(job.result.seen).toMatchObject({ dateIsDate: true, bigIsBigint: true, tagsIsMap: true });
  });

  it('answers with the error table: 400 with issues and nothing written, 401, 403, 404, 413; __proto__ keys are dropped', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const post = (path: string, body: unknown, token: string | null = TOKEN) =>
      fetch(`${stack.api.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const before = await snapshotKeys(stack.redis, stack.prefix);
    const invalid = await post('/api/v1/lab/steps/jobs', { input: { count: 'three' } });
    expect(invalid.status).toBe(400);
    const error = (await invalid.json()) as { error: { code: string; issues: { path: string[] }[] } };
    expect(error.error.code).toBe('INVALID_INPUT');
    expect(error.error.issues.map((i) => i.path.join('.'))).toEqual(['input.count', 'input.delayMs']);
    expect((await post('/api/v1/lab/steps/jobs', '{"input": {nope')).status).toBe(400);
    expect(await snapshotKeys(stack.redis, stack.prefix)).toEqual(before);
    expect((await post('/api/v1/lab/steps/jobs', { input: { count: 1, delayMs: 0, __proto__: { polluted: true } } })).status).toBe(201);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect((await post('/api/v1/lab/steps/jobs', { input: { count: 1, delayMs: 0 } }, null)).status).toBe(401);
    expect((await post('/api/v1/lab/steps/jobs', { input: { count: 1, delayMs: 0 } }, READ_ONLY)).status).toBe(403);
    expect((await post('/api/v1/lab/nope/jobs', { input: {} })).status).toBe(404);
    expect((await fetch(`${stack.api.url}/api/v1/lab/steps/jobs/lab.999`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      404,
    );
    expect((await post('/api/v1/lab/steps/jobs', { input: { count: 1, delayMs: 0, pad: 'x'.repeat(2_000_000) } })).status).toBe(413);
  });
});
