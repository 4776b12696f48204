import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { AnyTRPCRouter } from '@trpc/server';
import { applyWSSHandler, type CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { DirectCall } from './task-procedures.ts';
import type { TaskwireContext } from './trpc.ts';
import { interceptDirectCalls } from './ws-direct.ts';

export interface WebSocketOptions {
  router: AnyTRPCRouter;
  /** Upgrades are accepted on this path only (e.g. `/trpc`). */
  path: string;
  /** Built once per connection, from the upgrade request (bearer token) or the connection params. */
  createContext(options: CreateWSSContextFnOptions): TaskwireContext;
  /** Largest message accepted (bytes); a larger one closes the connection (1009). */
  maxPayload: number;
  /** Calls answered without tRPC's per-call machinery (see `interceptDirectCalls`). */
  directCalls?: ReadonlyMap<string, DirectCall>;
}

/**
 * Serves the same tRPC procedures over WebSocket on the HTTP server's port: standard tRPC
 * messages (so the stock `wsLink` works), several calls per frame, one connection per client.
 * It is the high-throughput transport: no HTTP request per batch, no batch lockstep.
 *
 * Frames must be valid UTF-8 (`ws` closes the connection otherwise), and a silent client is
 * pinged and dropped after 30 s + 5 s without an answer.
 *
 * @example
 * const ws = attachWebSocket(server, { router, path: '/trpc', createContext, maxPayload: 1 << 20 });
 * await ws.close();
 */
export function attachWebSocket(server: http.Server, options: WebSocketOptions): { close(): Promise<void> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, perMessageDeflate: false });
  const logInternal = (path: string | undefined, error: Error) => console.error(`[taskwire-api] ws ${path ?? '?'}: ${error.message}`);
  const handler = applyWSSHandler({
    wss,
    router: options.router,
    createContext: options.createContext,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') logInternal(path, error);
    },
  });
  const direct = {
    router: options.router,
    calls: options.directCalls ?? new Map(),
    createContext: options.createContext,
    onInternalError: logInternal,
  };
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== options.path && path !== `${options.path}/`) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (client) => {
      coalesceWrites(client, socket);
      interceptDirectCalls(client, req, direct);
      wss.emit('connection', client, req);
    });
  };
  server.on('upgrade', onUpgrade);
  return {
    close: async () => {
      server.off('upgrade', onUpgrade);
      // Clients reconnect (to another instance, or to this one once it is back).
      handler.broadcastReconnectNotification();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * tRPC sends each reply as its own frame, and `ws` writes each frame with its own system call.
 * Replies produced in the same turn (a bulk add answers dozens of calls at once) are held in the
 * socket's buffer and written together at the end of the turn: one `writev` instead of dozens.
 */
function coalesceWrites(client: WebSocket, socket: Duplex): void {
  const send = client.send.bind(client) as (...args: unknown[]) => void;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  client.send = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    send(...args);
  }) as WebSocket['send'];
}
