import http from 'node:http';
import type { Duplex } from 'node:stream';
import { TaskwireError } from '@taskwire/shared';
import type { AnyTRPCRouter } from '@trpc/server';
import { applyWSSHandler, type CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { EnqueueAdmission } from './admission.ts';
import type { LimitedLog } from './limited-log.ts';
import type { TaskwireContext } from './trpc.ts';
import { httpStatusOf, toTaskwireError, toTRPCError } from './trpc.ts';
import { interceptDirectCalls } from './ws-direct.ts';

export interface WebSocketOptions {
  router: AnyTRPCRouter;
  /** Upgrades are accepted on this path only (e.g. `/trpc`). */
  path: string;
  /**
   * Checks an upgrade request's credentials before the connection is accepted and resolves with
   * the connection's context; rejects with a TaskwireError (answered with its HTTP status, the
   * connection refused). Resolves `'params'` for a client that sends its credentials in tRPC's
   * connection params instead (`?connectionParams=1`; browsers cannot set headers).
   */
  admitUpgrade(req: http.IncomingMessage): Promise<TaskwireContext | 'params'>;
  /** The context of a connection from its connection params; a rejection closes the connection. */
  admitParams(req: http.IncomingMessage, params: Record<string, unknown> | null): Promise<TaskwireContext>;
  /** The address connections are counted under (see clientAddress). */
  addressOf(req: http.IncomingMessage): string;
  /** Open connections (and upgrades being checked) one address may have; more are refused with 429. */
  maxConnectionsPerAddress: number;
  /** How long a connection that sends connection params may take to send them (ms). */
  paramsDeadlineMs: number;
  /** Where unexpected errors go, rate-limited so that no client can flood the log. */
  log: LimitedLog;
  /** Largest message accepted (bytes); a larger one closes the connection (1009). */
  maxPayload: number;
  /** Single enqueues answered without tRPC's per-call machinery, by path (see `interceptDirectCalls`). */
  directEnqueues?: ReadonlyMap<string, EnqueueAdmission>;
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
  const logInternal = (path: string | undefined, error: Error) => options.log(`ws ${path ?? '?'}: ${error.message}`);
  const direct = { router: options.router, enqueues: options.directEnqueues ?? new Map(), onInternalError: logInternal };
  const contexts = new WeakMap<http.IncomingMessage, TaskwireContext>();
  const createContext = async ({ req, res, info }: CreateWSSContextFnOptions): Promise<TaskwireContext> => {
    const known = contexts.get(req);
    if (known) return known;
    // A refusal (wrong token, locked out) goes to tRPC with its own code, which answers it and
    // closes the connection; not as an internal error.
    const ctx = await options.admitParams(req, info.connectionParams as Record<string, unknown> | null).catch((error: unknown) => {
      throw toTRPCError(toTaskwireError(error));
    });
    contexts.set(req, ctx);
    // Admitted by its connection params (a browser): from now on its single enqueues take the
    // fast path too. Calls that arrived before (tRPC holds them until this context exists) stay with tRPC.
    interceptDirectCalls(res, req, ctx, direct);
    return ctx;
  };
  const handler = applyWSSHandler({
    wss,
    router: options.router,
    createContext,
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    onError: ({ error, path }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') logInternal(path, error);
    },
  });
  const open = new Map<string, number>();
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = (req.url ?? '/').split('?')[0];
    if (path !== options.path && path !== `${options.path}/`) return refuse(socket, 404, 'Not Found');
    const address = options.addressOf(req);
    const count = open.get(address) ?? 0;
    if (count >= options.maxConnectionsPerAddress) return refuse(socket, 429, 'Too many WebSocket connections from this address');
    open.set(address, count + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
    options.admitUpgrade(req).then(
      (admitted) => {
        if (socket.destroyed) return;
        wss.handleUpgrade(req, socket, head, (client) => {
          coalesceWrites(client, socket);
          if (admitted !== 'params') {
            contexts.set(req, admitted);
            interceptDirectCalls(client, req, admitted, direct);
          } else {
            // Credentials in the connection params: a client that does not send them in time is dropped.
            const timer = setTimeout(() => {
              if (!contexts.has(req)) client.terminate();
            }, options.paramsDeadlineMs);
            client.once('close', () => clearTimeout(timer));
          }
          wss.emit('connection', client, req);
        });
      },
      (error: unknown) => {
        const tw = error instanceof TaskwireError ? error : TaskwireError.fromUnknown(error);
        refuse(socket, httpStatusOf(tw), tw.message);
      },
    );
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

/** Answers an upgrade request with an HTTP error and closes the socket. */
function refuse(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
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
