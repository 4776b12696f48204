import type { Socket } from 'node:net';
import { EventSource } from 'eventsource';
import WebSocket from 'ws';
import type { ClientPlatform, WebSocketLike } from './platform.ts';

/** Per socket: the TCP socket under it (once upgraded), and whether it waits for nothing. */
const idleness = new WeakMap<WebSocketLike, { tcp?: Socket; idle: boolean }>();

/**
 * Node's platform, on the `ws` and `eventsource` packages (used on every Node version, 22+
 * included, for what Node's global `WebSocket` cannot do):
 * - the token travels as `Authorization: Bearer` on the upgrade and on SSE requests, never in a
 *   URL, and the API answers the connection's single enqueues on its fast path from the first frame;
 * - a refused upgrade (401 wrong token, 403, 429 locked out or too many connections) fails the
 *   calls with that code, read from the API's answer;
 * - an idle connection does not keep the process alive: the TCP socket is unref'd while no call
 *   waits, so a script that enqueues and ends exits by itself.
 *
 * @example
 * const tw = createClient<typeof registry>({ url, token, platform: nodePlatform });
 */
export const nodePlatform: ClientPlatform = {
  createWebSocket(url, { headers, onRefused }) {
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    const state: { tcp?: Socket; idle: boolean } = { idle: false };
    idleness.set(socket, state);
    socket.on('upgrade', (res) => {
      state.tcp = res.socket;
      if (state.idle) state.tcp.unref();
    });
    socket.on('unexpected-response', (_req, res) => {
      // The API refuses an upgrade with a JSON `{ error }` and the status of the error table.
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.length < 16 && chunks.push(chunk));
      res.once('error', () => {});
      res.once('end', () => {
        let message = `the server answered the WebSocket upgrade with HTTP ${status}`;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: unknown };
          if (typeof body.error === 'string') message = body.error;
        } catch {}
        onRefused(status, message);
      });
    });
    return socket;
  },
  EventSource,
  sendsHeaders: true,
  eventSourceOptions: (headers) => ({
    fetch: (input: string | URL, init?: RequestInit) =>
      fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string> | undefined), ...headers } }),
  }),
  setIdle(socket, idle) {
    const state = idleness.get(socket);
    if (!state) return;
    state.idle = idle;
    if (idle) state.tcp?.unref();
    else state.tcp?.ref();
  },
};
