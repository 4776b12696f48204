import { createClient } from '@taskwire/client';
import { hashToken, parseTokens } from '@taskwire/router';
import { describe, expect, it } from 'vitest';
import { startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';
import { codeOf as code } from '../fixtures/outcomes.ts';

const ADMIN = 'tw_admin-token-for-tests-000000';
const PRODUCER = 'tw_producer-token-for-tests-0000';
const READER = 'tw_reader-token-for-tests-000000';
const LIMITED = 'tw_limited-token-for-tests-00000';

const auth = {
  tokens: parseTokens(
    JSON.stringify([
      { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin'] },
      { name: 'producer', token: PRODUCER, scopes: ['lab:enqueue'] },
      { name: 'reader', token: READER, scopes: ['*:read'] },
      { name: 'limited', token: LIMITED, scopes: ['lab:enqueue', 'lab:read'], ratePerSecond: 5 },
    ]),
  ),
};

describe('auth scopes', () => {
  it('no token → UNAUTHORIZED, unknown token → UNAUTHORIZED, missing scope → FORBIDDEN, granted → OK', async () => {
    await using stack = await startStack({ registry: labRegistry, auth, handlers: [labHandlers] });
    const as = (token?: string) => createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token });
    const input = { count: 1, delayMs: 0 };
    expect(await code(as().lab.steps.enqueue(input))).toBe('UNAUTHORIZED');
    expect(await code(as('tw_not-a-real-token-0000000000').lab.steps.enqueue(input))).toBe('UNAUTHORIZED');
    expect(await code(as(READER).lab.steps.enqueue(input))).toBe('FORBIDDEN');
    expect(await code(as(PRODUCER).lab.steps.enqueue(input))).toBe('OK');
    const ref = await as(PRODUCER).lab.steps.enqueue(input);
    expect(await code(as(PRODUCER).lab.steps.get(ref.id))).toBe('FORBIDDEN');
    expect(await code(as(READER).lab.steps.get(ref.id))).toBe('OK');
    expect(await code(as(READER).jobs.list({ state: 'waiting' }))).toBe('OK');
    expect(await code(as(PRODUCER).queues.stats())).toBe('FORBIDDEN');
    expect(await code(as(READER).queues.pause('lab'))).toBe('FORBIDDEN');
    expect(await code(as(READER).deadLetter.list())).toBe('FORBIDDEN');
    expect(await code(as(ADMIN).deadLetter.list())).toBe('OK');
    // Subscriptions are checked too.
    const watch = async (token: string) => {
      for await (const _ of as(token).lab.steps.watch(ref.id)) return 'OK';
      return 'OK';
    };
    expect(await code(watch(PRODUCER))).toBe('FORBIDDEN');
    expect(await code(watch(READER))).toBe('OK');
    // A stream the API refuses outright fails with the refusal's code, not as an unreachable API.
    expect(await code(watch('tw_not-a-real-token-0000000000'))).toBe('UNAUTHORIZED');
    // HTTP status codes for plain callers.
    const plain = await fetch(`${stack.api.url}/trpc/health`);
    expect(plain.status).toBe(401);
    const forbidden = await fetch(`${stack.api.url}/trpc/queues.pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${READER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ json: { family: 'lab' } }),
    });
    expect(forbidden.status).toBe(403);
  });

  it('rate-limits enqueues per token with TOO_MANY_REQUESTS, counting enqueueMany items', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const limited = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token: LIMITED });
    const admin = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token: ADMIN });
    // Start at the beginning of a one-second window so the budget is not split across two.
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 5));
    expect(await code(limited.lab.steps.enqueueMany(Array.from({ length: 4 }, () => ({ input: { count: 1, delayMs: 0 } }))))).toBe('OK');
    expect(await code(limited.lab.steps.enqueue({ count: 1, delayMs: 0 }))).toBe('OK');
    expect(await code(limited.lab.steps.enqueue({ count: 1, delayMs: 0 }))).toBe('TOO_MANY_REQUESTS');
    expect(await code(admin.lab.steps.enqueue({ count: 1, delayMs: 0 }))).toBe('OK'); // other tokens unaffected
    await new Promise((r) => setTimeout(r, 1_000 - (Date.now() % 1_000) + 5));
    expect(await code(limited.lab.steps.enqueue({ count: 1, delayMs: 0 }))).toBe('OK');
  });
});
