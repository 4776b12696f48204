import { type ClientPlatform, createClient } from '@taskwire/client';
import { hashToken, startApiServer } from '@taskwire/router';
import { TaskwireError } from '@taskwire/shared';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import { Cluster } from 'ioredis';
import superjson from 'superjson';
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { TaskwireRouter } from '../../router/src/index.ts';
import { startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';
import { codeOf } from '../fixtures/outcomes.ts';
import { spawnTs } from '../fixtures/processes.ts';

const echoInput = (note: string) => ({
  at: new Date('2030-05-06T07:08:09.123Z'),
  tags: new Map([['a', 1]]),
  big: 2n ** 70n,
  set: new Set(['x']),
  note,
});

describe.each(['websocket', 'http'] as const)('the typed client over %s', (transport) => {
  it('enqueues rich types, reads them back, bulk-enqueues, and reports error codes with issues', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn' });
    const tw = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token: 'tkn', transport });
    try {
      const ref = await tw.lab.echo.enqueue(echoInput('one'), { priority: 3 });
      expect(ref.enqueuedAt).toBeInstanceOf(Date);
      const view = await tw.lab.echo.get(ref.id);
      expect(view.input).toEqual(echoInput('one'));
      expect(typeof view.input.big).toBe('bigint');

      const refs = await tw.lab.echo.enqueueMany([{ input: echoInput('a') }, { input: echoInput('b') }]);
      expect(refs.map((r) => r.task)).toEqual(['lab.echo', 'lab.echo']);
      expect((await tw.jobs.list({ family: 'lab', state: 'waiting' })).length).toBe(3);
      expect((await tw.health()).status).toBe('ok');

      const invalid = await tw.lab.echo.enqueue({ ...echoInput(''), at: 'x' as unknown as Date }).catch((e: TaskwireError) => e);
      expect(invalid).toBeInstanceOf(TaskwireError);
      expect((invalid as TaskwireError).code).toBe('INVALID_INPUT');
      expect((invalid as TaskwireError).issues?.map((i) => i.path.join('.')).sort()).toEqual(['input.at', 'input.note']);
      expect(await codeOf(tw.lab.echo.get('lab.nope'))).toBe('NOT_FOUND');

      const anonymous = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, transport });
      expect(await codeOf(anonymous.health())).toBe('UNAUTHORIZED');
      anonymous.close();
    } finally {
      tw.close();
    }
  });
});

describe('WebSocket transport', () => {
  it('serves a stock tRPC wsLink client (standard protocol), with the token in the connection params', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn' });
    const wsClient = createWSClient({
      url: `${stack.api.url.replace('http', 'ws')}/trpc`,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      connectionParams: { token: 'tkn' },
    });
    const trpc = createTRPCClient<TaskwireRouter<typeof labRegistry>>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    try {
      const ref = await trpc.lab.echo.enqueue.mutate({ input: echoInput('stock') });
      const view = await trpc.lab.echo.get.query({ id: ref.id });
      expect(view.input.tags).toBeInstanceOf(Map);
      expect(view.input.note).toBe('stock');
    } finally {
      await wsClient.close();
    }
  });

  it('answers enqueues on its fast path exactly as the tRPC procedure does over HTTP: results, error shapes, metrics', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn' });
    // A stock wsLink client authenticated by header, so its single enqueues take the fast path.
    class WithToken extends WebSocket {
      constructor(url: string) {
        super(url, { headers: { authorization: 'Bearer tkn' } });
      }
    }
    const wsClient = createWSClient({
      url: `${stack.api.url.replace('http', 'ws')}/trpc`,
      WebSocket: WithToken as unknown as typeof globalThis.WebSocket,
    });
    const viaWs = createTRPCClient<TaskwireRouter<typeof labRegistry>>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    const viaHttp = createTRPCClient<TaskwireRouter<typeof labRegistry>>({
      links: [httpBatchLink({ url: `${stack.api.url}/trpc`, transformer: superjson, headers: { authorization: 'Bearer tkn' } })],
    });
    const addMany = vi.spyOn(stack.api.hub.writer('lab'), 'addMany');
    const add = vi.spyOn(stack.api.hub.writer('lab'), 'add');
    const errorOf = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: { message: string; data: unknown; shape: unknown }) => ({ message: e.message, data: e.data }),
      );
    try {
      const refs = await Promise.all([1, 2, 3].map((i) => viaWs.lab.echo.enqueue.mutate({ input: echoInput(`ws${i}`) })));
      expect(refs.map((r) => r.enqueuedAt instanceof Date)).toEqual([true, true, true]);
      expect(add.mock.calls.length + addMany.mock.calls.length).toBeGreaterThan(0);
      expect((await viaHttp.lab.echo.get.query({ id: refs[2]!.id })).input.note).toBe('ws3');

      const bad = { input: { ...echoInput(''), big: 'no' as unknown as bigint } };
      const [wsError, httpError] = await Promise.all([
        errorOf(viaWs.lab.echo.enqueue.mutate(bad)),
        errorOf(viaHttp.lab.echo.enqueue.mutate(bad)),
      ]);
      expect(wsError).toBeDefined();
      expect(wsError).toEqual(httpError);
      expect((wsError?.data as { taskwire: { code: string } } | undefined)?.taskwire.code).toBe('INVALID_INPUT');

      const metrics = await (await fetch(`${stack.api.url}/metrics`, { headers: { authorization: 'Bearer tkn' } })).text();
      expect(metrics).toMatch(/taskwire_jobs_enqueued_total\{task="lab.echo"\} 3/);
      expect(metrics).toMatch(/taskwire_enqueue_rejected_total\{task="lab.echo",code="INVALID_INPUT"\} 2/);
    } finally {
      await wsClient.close();
    }
  });

  it('answers a frame of calls with one frame of replies for a client that asks (?replies=batch), one frame per reply otherwise', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn' });
    const frame = JSON.stringify(
      [1, 2, 3].map((id) => ({
        id,
        jsonrpc: '2.0',
        method: 'mutation',
        params: { path: 'lab.echo.enqueue', input: superjson.serialize({ input: echoInput(`r${id}`) }) },
      })),
    );
    const framesFor = async (query: string) => {
      const socket = new WebSocket(`${stack.api.url.replace('http', 'ws')}/trpc${query}`, { headers: { authorization: 'Bearer tkn' } });
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const frames: unknown[] = [];
      const replies: { id: number; result?: unknown }[] = [];
      const done = new Promise<void>((resolve) =>
        socket.on('message', (data) => {
          const parsed = JSON.parse(data.toString());
          frames.push(parsed);
          replies.push(...(Array.isArray(parsed) ? parsed : [parsed]));
          if (replies.length === 3) resolve();
        }),
      );
      socket.send(frame);
      await done;
      socket.close();
      expect(replies.map((r) => r.id).sort()).toEqual([1, 2, 3]);
      expect(replies.every((r) => r.result !== undefined)).toBe(true);
      return frames.length;
    };
    const batched = await framesFor('?replies=batch');
    const standard = await framesFor('');
    console.log(`3 calls in one frame: ${batched} reply frame(s) with ?replies=batch, ${standard} without`);
    // On a single node the three adds leave in one write and Redis answers them in one read, so
    // their replies are settled in one turn; a cluster client's replies may arrive in several.
    if (stack.api.hub.redis instanceof Cluster) expect(batched).toBeLessThanOrEqual(3);
    else expect(batched).toBe(1);
    expect(standard).toBe(3);
  });

  it('fails calls in flight with QUEUE_UNAVAILABLE when the API goes away, and reconnects on the next call', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const port = Number(new URL(stack.api.url).port);
    const tw = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc` });
    try {
      await tw.lab.echo.enqueue(echoInput('before'));
      await stack.api.close();
      expect(await codeOf(tw.lab.echo.enqueue(echoInput('while away')))).toBe('QUEUE_UNAVAILABLE');

      const again = await startApiServer({ registry: labRegistry, redis: stack.redis, prefix: stack.prefix, port, auth: 'open' });
      try {
        const ref = await tw.lab.echo.enqueue(echoInput('after'));
        expect((await tw.lab.echo.get(ref.id)).input.note).toBe('after');
      } finally {
        await again.close();
      }
    } finally {
      tw.close();
    }
  });

  it('a call larger than the API accepts fails alone with PAYLOAD_TOO_LARGE, and the next call works', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const tw = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc` });
    try {
      expect(await codeOf(tw.lab.echo.enqueue(echoInput('x'.repeat(1_200_000))))).toBe('PAYLOAD_TOO_LARGE');
      const ref = await tw.lab.echo.enqueue(echoInput('small'));
      expect((await tw.lab.echo.get(ref.id)).input.note).toBe('small');
    } finally {
      tw.close();
    }
  });

  it('does not keep a script alive: a process that enqueues and ends exits by itself', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn' });
    const child = spawnTs('test/fixtures/one-shot-client.ts', [`${stack.api.url}/trpc`, 'tkn']);
    const line = await child.waitFor(/enqueued/);
    expect(JSON.parse(line).enqueued).toMatch(/^lab\./);
    const exited = await Promise.race([child.exit(), new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
    if (exited === 'still running') await child.stop('SIGKILL');
    expect(exited).toBe(0);
  });

  it('an HTTP-only tRPC client still works next to it', async () => {
    await using stack = await startStack({ registry: labRegistry });
    const trpc = createTRPCClient<TaskwireRouter<typeof labRegistry>>({
      links: [httpBatchLink({ url: `${stack.api.url}/trpc`, transformer: superjson })],
    });
    const ref = await trpc.lab.echo.enqueue.mutate({ input: echoInput('http') });
    expect((await trpc.lab.echo.get.query({ id: ref.id })).input.note).toBe('http');
  });
});

describe('a platform that cannot send headers, as in browsers', () => {
  // The standard WebSocket and EventSource, with no way to add a header: what a browser has.
  const headerless: ClientPlatform = { createWebSocket: (url) => new WebSocket(url), EventSource, sendsHeaders: false };

  it('sends the token as connection params (WebSocket) and in the SSE URL; once admitted, enqueues take the fast path; a wrong token is UNAUTHORIZED', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn', handlers: [labHandlers] });
    const url = `${stack.api.url}/trpc`;
    const procedures = stack.api.router._def.procedures as unknown as Record<string, (opts: unknown) => unknown>;
    const procedure = procedures['lab.echo.enqueue'] as (opts: unknown) => unknown;
    let procedureCalls = 0;
    procedures['lab.echo.enqueue'] = Object.assign((opts: unknown) => {
      procedureCalls += 1;
      return procedure(opts);
    }, procedure);
    const tw = createClient<typeof labRegistry>({ url, token: 'tkn', platform: headerless });
    const wrong = createClient<typeof labRegistry>({ url, token: 'not-the-token', platform: headerless });
    try {
      // The first call travels right behind the connection params, before the API has read them: tRPC answers it.
      await tw.lab.echo.enqueue(echoInput('first'));
      const refs = await Promise.all(['a', 'b', 'c'].map((note) => tw.lab.echo.enqueue(echoInput(note))));
      expect(refs.map((ref) => ref.enqueuedAt instanceof Date)).toEqual([true, true, true]);
      expect(procedureCalls).toBe(1);
      const result = await tw.lab.echo.run(echoInput('over SSE'), { timeoutMs: 10_000 });
      expect(result.at).toEqual(echoInput('').at);
      expect(result.tags).toBeInstanceOf(Map);
      expect(await codeOf(wrong.health())).toBe('UNAUTHORIZED');
      expect(await codeOf(wrong.lab.echo.enqueue(echoInput('refused')))).toBe('UNAUTHORIZED');
    } finally {
      tw.close();
      wrong.close();
    }
  });
});

describe('one enqueue entrance', () => {
  const PRODUCER = 'tw_entrance-producer-token-000000';
  const READER = 'tw_entrance-reader-token-00000000';
  const ADMIN = 'tw_entrance-admin-token-000000000';
  const auth = {
    tokens: [
      { name: 'producer', sha256: hashToken(PRODUCER), scopes: ['lab:enqueue' as const, 'lab:read' as const] },
      { name: 'reader', sha256: hashToken(READER), scopes: ['lab:read' as const] },
      { name: 'admin', sha256: hashToken(ADMIN), scopes: ['admin' as const] },
    ],
  };
  type Outcome = { code: string; message: string; issues?: string[] } | 'OK';

  it('refuses and counts the same way over HTTP tRPC, a stock wsLink, the WebSocket fast path and REST', async () => {
    await using stack = await startStack({ registry: labRegistry, auth });
    const wsUrl = `${stack.api.url.replace('http', 'ws')}/trpc`;
    // A tRPC client's failure as a comparable outcome: code, message and issue paths from the error shape.
    const viaTrpc = (p: Promise<unknown>): Promise<Outcome> =>
      p.then(
        () => 'OK',
        (e: { message: string; data?: { taskwire?: { code: string; issues?: { path: (string | number)[] }[] } } }) => ({
          code: e.data?.taskwire?.code ?? '?',
          message: e.message,
          issues: e.data?.taskwire?.issues?.map((i) => i.path.join('.')),
        }),
      );
    const trpcCallers = (token: string) => {
      class WithToken extends WebSocket {
        constructor(url: string) {
          super(url, { headers: { authorization: `Bearer ${token}` } });
        }
      }
      const byHeader = createWSClient({ url: wsUrl, WebSocket: WithToken as unknown as typeof globalThis.WebSocket });
      const byParams = createWSClient({
        url: wsUrl,
        WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
        connectionParams: { token },
      });
      const client = (link: Parameters<typeof createTRPCClient>[0]['links'][number]) =>
        createTRPCClient<TaskwireRouter<typeof labRegistry>>({ links: [link] });
      return {
        http: client(
          httpBatchLink({ url: `${stack.api.url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${token}` } }),
        ),
        // Authenticated by connection params (as browsers are): once admitted, the fast path too.
        wsLink: client(wsLink({ client: byParams, transformer: superjson })),
        // Authenticated at the upgrade: single enqueues take the fast path.
        fastPath: client(wsLink({ client: byHeader, transformer: superjson })),
        close: () => Promise.all([byHeader.close(), byParams.close()]),
      };
    };
    const viaRest = async (token: string, body: unknown): Promise<Outcome> => {
      const response = await fetch(`${stack.api.url}/api/v1/lab/echo/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status === 201) return 'OK';
      const { error } = (await response.json()) as { error: { code: string; message: string; issues?: { path: string[] }[] } };
      return { code: error.code, message: error.message, issues: error.issues?.map((i) => i.path.join('.')) };
    };
    const restBody = (note: string) => ({
      input: { at: '2030-05-06T07:08:09.123Z', tags: [['a', 1]], big: '1180591620717411303424', set: ['x'], note },
    });
    // Calls that reach the tRPC procedure (the fast path does not).
    const procedures = stack.api.router._def.procedures as unknown as Record<string, (opts: unknown) => unknown>;
    const procedure = procedures['lab.echo.enqueue'] as (opts: unknown) => unknown;
    let procedureCalls = 0;
    procedures['lab.echo.enqueue'] = Object.assign((opts: unknown) => {
      procedureCalls += 1;
      return procedure(opts);
    }, procedure);

    const reader = trpcCallers(READER);
    const producer = trpcCallers(PRODUCER);
    try {
      // A connection-params connection is admitted once its first message is read; calls sent
      // before that go to tRPC. One call each first, so that what follows is deterministic.
      await Promise.all([reader.wsLink.health.query(), producer.wsLink.health.query()]);
      // The family's enqueue scope, checked by admission on every transport.
      const forbidden = await Promise.all([
        viaTrpc(reader.http.lab.echo.enqueue.mutate({ input: echoInput('scope') })),
        viaTrpc(reader.wsLink.lab.echo.enqueue.mutate({ input: echoInput('scope') })),
        viaTrpc(reader.fastPath.lab.echo.enqueue.mutate({ input: echoInput('scope') })),
        viaRest(READER, restBody('scope')),
      ]);
      expect(forbidden[0]).toMatchObject({ code: 'FORBIDDEN' });
      expect(forbidden).toEqual([forbidden[0], forbidden[0], forbidden[0], forbidden[0]]);

      // Validation against the task's schema, with the same message and issues.
      const invalid = await Promise.all([
        viaTrpc(producer.http.lab.echo.enqueue.mutate({ input: echoInput('') })),
        viaTrpc(producer.wsLink.lab.echo.enqueue.mutate({ input: echoInput('') })),
        viaTrpc(producer.fastPath.lab.echo.enqueue.mutate({ input: echoInput('') })),
        viaRest(PRODUCER, restBody('')),
      ]);
      expect(invalid[0]).toMatchObject({ code: 'INVALID_INPUT', issues: ['input.note'] });
      expect(invalid).toEqual([invalid[0], invalid[0], invalid[0], invalid[0]]);

      const accepted = await Promise.all([
        viaTrpc(producer.http.lab.echo.enqueue.mutate({ input: echoInput('http') })),
        viaTrpc(producer.wsLink.lab.echo.enqueue.mutate({ input: echoInput('wsLink') })),
        viaTrpc(producer.fastPath.lab.echo.enqueue.mutate({ input: echoInput('fast path') })),
        viaRest(PRODUCER, restBody('rest')),
      ]);
      expect(accepted).toEqual(['OK', 'OK', 'OK', 'OK']);
      // HTTP went through the procedure; both WebSocket clients (by header, by connection params) and REST did not.
      expect(procedureCalls).toBe(3);

      const metrics = await (await fetch(`${stack.api.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
      expect(metrics).toMatch(/taskwire_enqueue_rejected_total\{task="lab.echo",code="FORBIDDEN"\} 4/);
      expect(metrics).toMatch(/taskwire_enqueue_rejected_total\{task="lab.echo",code="INVALID_INPUT"\} 4/);
      expect(metrics).toMatch(/taskwire_jobs_enqueued_total\{task="lab.echo"\} 4/);
    } finally {
      await Promise.all([reader.close(), producer.close()]);
    }
  });
});
