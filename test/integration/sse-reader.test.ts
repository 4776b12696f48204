/**
 * The client's own SSE reader (what `watch`, `run` and `tw.trpc`'s subscriptions use) against a
 * real HTTP server that writes tRPC's event stream by hand, so that each case the reader must
 * handle can be produced on demand: a silent connection, a server error, a refusal, a drop.
 * The same reader against the real API is covered by the watch/run tests and the browser test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from '@taskwire/client';
import { serializeWire } from '@taskwire/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { nodePlatform } from '../../client/src/runtime/node-platform.ts';
import { type SseOptions, subscribe } from '../../client/src/runtime/sse.ts';
import { iterate } from '../../client/src/runtime/subscription.ts';
import { startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';

/** One request the server saw: its URL and headers, and the response to write events into. */
interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
  res: http.ServerResponse;
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

/** A server that answers every request with `answer` (an SSE stream by default) and records it. */
async function sseServer(answer?: (seen: Seen) => void): Promise<{ url: string; seen: Seen[]; next(): Promise<Seen> }> {
  const seen: Seen[] = [];
  let waiting: ((s: Seen) => void) | undefined;
  const server = http.createServer((req, res) => {
    const s = { url: req.url ?? '', headers: req.headers, res };
    seen.push(s);
    if (answer) answer(s);
    else res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    waiting?.(s);
    waiting = undefined;
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`,
    seen,
    next: () => new Promise((resolve) => (waiting = resolve)),
  };
}

const send = (res: http.ServerResponse, event: string | undefined, data: unknown) =>
  res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);

/** Collects a subscription's events until it completes or fails. */
function collect(options: SseOptions, path: string, input: unknown) {
  const data: unknown[] = [];
  const done = new Promise<{ error?: { code: string; message: string } }>((resolve) => {
    subscribe(options, path, input, {
      onData: (value) => data.push(value),
      onError: (error) => resolve({ error }),
      onComplete: () => resolve({}),
    });
  });
  return { data, done };
}

describe('the client’s SSE reader', () => {
  it('asks as tRPC does (path, input, header token), decodes data with the wire codec, ends on `return`', async () => {
    const server = await sseServer();
    const options: SseOptions = { url: server.url, platform: nodePlatform, headers: { authorization: 'Bearer t0k' } };
    const first = server.next();
    const { data, done } = collect(options, 'lab.echo.watch', { id: 'lab.1', at: new Date('2030-01-01T00:00:00Z') });
    const { url, headers, res } = await first;
    const [path, query] = url.split('?');
    expect(path).toBe('/trpc/lab.echo.watch');
    const input = JSON.parse(new URLSearchParams(query).get('input') ?? 'null');
    expect(input).toEqual(serializeWire({ id: 'lab.1', at: new Date('2030-01-01T00:00:00Z') }));
    expect(new URLSearchParams(query).has('connectionParams')).toBe(false);
    expect(headers.authorization).toBe('Bearer t0k');
    send(res, 'connected', {});
    send(res, undefined, serializeWire({ type: 'state', at: new Date(5), big: 7n }));
    send(res, 'ping', '');
    send(res, undefined, serializeWire({ type: 'completed' }));
    send(res, 'return', '');
    expect(await done).toEqual({});
    expect(data).toEqual([{ type: 'state', at: new Date(5), big: 7n }, { type: 'completed' }]);
  });

  it('sends the token as connection params in the URL when the platform cannot send headers', async () => {
    const server = await sseServer();
    const headerless = { ...nodePlatform, sendsHeaders: false };
    const first = server.next();
    const { done } = collect(
      { url: server.url, platform: headerless, headers: { authorization: 'Bearer x' }, connectionParams: { token: 'x' } },
      'a.watch',
      { id: '1' },
    );
    const { url, headers, res } = await first;
    expect(JSON.parse(new URLSearchParams(url.split('?')[1]).get('connectionParams') ?? 'null')).toEqual({ token: 'x' });
    expect(headers.authorization).toBeUndefined();
    send(res, 'return', '');
    expect(await done).toEqual({});
  });

  it('ends with the code of a `serialized-error` event', async () => {
    const server = await sseServer();
    const first = server.next();
    const { done } = collect({ url: server.url, platform: nodePlatform, headers: {} }, 'a.watch', { id: '1' });
    const { res } = await first;
    send(res, 'connected', {});
    send(res, 'serialized-error', serializeWire({ message: 'No job a.1', code: -32004, data: { taskwire: { code: 'NOT_FOUND' } } }));
    const { error } = await done;
    expect(error).toMatchObject({ code: 'NOT_FOUND', message: 'No job a.1' });
  });

  it('re-opens a stream that stays silent past the server’s reconnectAfterInactivityMs, and goes on reading', async () => {
    const server = await sseServer();
    const first = server.next();
    const { data, done } = collect({ url: server.url, platform: nodePlatform, headers: {} }, 'a.watch', { id: '1' });
    const one = await first;
    const second = server.next();
    send(one.res, 'connected', { reconnectAfterInactivityMs: 300 });
    send(one.res, undefined, serializeWire({ n: 1 }));
    // Then nothing, not even pings: the reader gives up on this connection and opens another.
    const two = await second;
    expect(two.url).toBe(one.url);
    send(two.res, 'connected', { reconnectAfterInactivityMs: 300 });
    send(two.res, undefined, serializeWire({ n: 2 }));
    send(two.res, 'return', '');
    expect(await done).toEqual({});
    expect(data).toEqual([{ n: 1 }, { n: 2 }]);
    expect(server.seen).toHaveLength(2);
  });

  it('keeps a stream whose pings arrive, however long it is quiet otherwise', async () => {
    const server = await sseServer();
    const first = server.next();
    const { data, done } = collect({ url: server.url, platform: nodePlatform, headers: {} }, 'a.watch', { id: '1' });
    const { res } = await first;
    send(res, 'connected', { reconnectAfterInactivityMs: 300 });
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 100));
      send(res, 'ping', '');
    }
    send(res, undefined, serializeWire({ n: 1 }));
    send(res, 'return', '');
    expect(await done).toEqual({});
    expect(data).toEqual([{ n: 1 }]);
    expect(server.seen).toHaveLength(1);
  });

  it('fails with the refusal’s code when the API refuses the stream (401, 403, 429), with no retry', async () => {
    for (const [status, code] of [
      [401, 'UNAUTHORIZED'],
      [403, 'FORBIDDEN'],
      [429, 'TOO_MANY_REQUESTS'],
    ] as const) {
      const server = await sseServer(({ res }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'refused' }));
      });
      const { error } = await collect({ url: server.url, platform: nodePlatform, headers: {} }, 'a.watch', { id: '1' }).done;
      expect(error?.code).toBe(code);
      await new Promise((r) => setTimeout(r, 300));
      expect(server.seen).toHaveLength(1);
    }
  });

  it('goes on through a dropped connection (the EventSource opens it again), as through an API restart', async () => {
    const server = await sseServer();
    const first = server.next();
    const { data, done } = collect({ url: server.url, platform: nodePlatform, headers: {} }, 'a.watch', { id: '1' });
    const one = await first;
    const second = server.next();
    send(one.res, 'connected', {});
    send(one.res, 'retry', ''); // (an unknown event: ignored)
    one.res.write('retry: 50\n\n');
    send(one.res, undefined, serializeWire({ n: 1 }));
    await new Promise((r) => setTimeout(r, 50));
    one.res.destroy();
    const two = await second;
    send(two.res, undefined, serializeWire({ n: 2 }));
    send(two.res, 'return', '');
    expect(await done).toEqual({});
    expect(data).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('fails with INVALID_INPUT, sending nothing, for input that cannot be sent', async () => {
    const server = await sseServer();
    const poisoned = JSON.parse('{"__proto__": {"polluted": true}}');
    const { error } = await collect({ url: server.url, platform: nodePlatform, headers: {} }, 'a.watch', poisoned).done;
    expect(error?.code).toBe('INVALID_INPUT');
    expect(server.seen).toHaveLength(0);
  });

  it('stops reading (and closes the request) when the iteration is abandoned or aborted', async () => {
    const server = await sseServer();
    const first = server.next();
    const stop = new AbortController();
    const events = iterate<unknown>({ url: server.url, platform: nodePlatform, headers: {} }, 'a.watch', { id: '1' }, stop.signal);
    const reading = (async () => {
      const got: unknown[] = [];
      for await (const event of events) got.push(event);
      return got;
    })();
    const { res } = await first;
    const closed = new Promise<void>((resolve) => res.on('close', resolve));
    send(res, undefined, serializeWire({ n: 1 }));
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    expect(await reading).toEqual([{ n: 1 }]);
    await closed;
  });

  it('carries `tw.trpc` subscriptions too, against the real API', async () => {
    await using stack = await startStack({ registry: labRegistry, token: 'tkn', handlers: [labHandlers] });
    const tw = createClient<typeof labRegistry>({ url: `${stack.api.url}/trpc`, token: 'tkn' });
    try {
      const ref = await tw.lab.steps.enqueue({ count: 2, delayMs: 50 });
      const types = await new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        tw.trpc.lab.steps.watch.subscribe(
          { id: ref.id },
          {
            onData: (event) => seen.push(event.type),
            onError: reject,
            onComplete: () => resolve(seen),
          },
        );
      });
      expect(types[0]).toBeDefined();
      expect(types.at(-1)).toBe('completed');
      expect(types.filter((t) => t === 'progress')).toHaveLength(2);
    } finally {
      tw.close();
    }
  });
});
