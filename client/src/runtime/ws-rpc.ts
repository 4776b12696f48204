import { decodeReplyFrame, deserializeWire, TaskwireError, type WireValue } from '@taskwire/shared/wire';
import { type ErrorShape, encodeInput, errorFromShape, refusalError } from './errors.ts';
import type { ClientPlatform, WebSocketEventLike, WebSocketLike } from './platform.ts';

/** A query or mutation: what the lean transport carries (subscriptions stay on SSE). */
export type CallType = 'query' | 'mutation';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** The frame that carried the call, once sent. */
  frame?: Frame;
}

/** A frame sent; its UTF-8 size is counted only if the server refuses a frame as too big. */
interface Frame {
  text: string;
  bytes?: number;
}

/** A call whose message is larger than this travels in a frame of its own. */
const ALONE_BYTES = 64 * 1024;
/** WebSocket close code: a frame was larger than the server accepts. */
const MESSAGE_TOO_BIG = 1009;
/** WebSocket ready states (the standard's numbers). */
const CONNECTING = 0;
const OPEN = 1;

/** Runs `fn` after the current turn of the event loop, once the calls made in it are queued. */
const nextTurn: (fn: () => void) => void = typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => void setTimeout(fn, 0);

interface Connection {
  socket: WebSocketLike;
  /** Resolves once the socket is open (and its connection params sent); rejects if it never opens. */
  open: Promise<void>;
  pending: Map<number, Pending>;
  /** Calls made this turn of the event loop, sent together in one frame. */
  outbox: { id: number; method: CallType; params: { path: string; input: unknown } }[];
  /** No call waits for a reply (the platform may let the process exit meanwhile). */
  idle: boolean;
  /** The server asked clients to reconnect: no new calls go here. */
  draining: boolean;
  /** Why the server refused this connection's credentials; the calls still waiting fail with it. */
  refusal?: TaskwireError;
}

/** What the server sends: a reply to a call, or a notice. Errors and data are superjson-encoded. */
interface ServerMessage {
  id: number | string | null;
  method?: 'reconnect';
  result?: { type: 'data'; data: unknown };
  error?: unknown;
}

export interface WsRpcOptions {
  platform: ClientPlatform;
  /** Sent on the upgrade, by a platform that can send headers. */
  headers: Record<string, string>;
  /**
   * Sent as tRPC connection params (`?connectionParams=1`, then a first message) by a platform
   * that cannot send headers: `{ token }`.
   */
  connectionParams?: Record<string, string> | undefined;
  /** How long a connection may take to open (ms). */
  connectTimeoutMs?: number;
}

/**
 * The taskwire client's own WebSocket transport for queries and mutations: it speaks the
 * standard tRPC WebSocket protocol (any tRPC server with `applyWSSHandler` answers it) but skips
 * the stock client's per-call machinery (observables, an AbortController per call), which is
 * most of its CPU at thousands of calls per second. It runs on the standard WebSocket API, with
 * the socket made by the platform (see {@link ClientPlatform}).
 *
 * - Calls made in the same turn of the event loop travel in one frame.
 * - One connection, opened on the first call and re-opened on the next call after a drop; calls
 *   in flight when it drops fail with QUEUE_UNAVAILABLE (retryable), as an HTTP call would.
 * - Credentials the API refuses fail the calls with UNAUTHORIZED (or TOO_MANY_REQUESTS while the
 *   address is locked out), whether refused at the upgrade or in answer to the connection params.
 * - On a platform that can (Node), the connection does not keep the process alive while no call
 *   is waiting.
 *
 * @example
 * const rpc = new WsRpc('ws://localhost:3000/trpc', { platform: webPlatform, headers: {}, connectionParams: { token } });
 * const ref = await rpc.call('mutation', 'email.send.enqueue', { input });
 */
export class WsRpc {
  private connection: Connection | undefined;
  private nextId = 1;
  private readonly platform: ClientPlatform;
  private readonly headers: Record<string, string> | undefined;
  private readonly paramsMessage: string | undefined;
  private readonly connectTimeoutMs: number;

  constructor(
    private readonly url: string,
    options: WsRpcOptions,
  ) {
    this.platform = options.platform;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
    if (this.platform.sendsHeaders) this.headers = options.headers;
    else if (options.connectionParams) {
      this.url = `${url}${url.includes('?') ? '&' : '?'}connectionParams=1`;
      this.paramsMessage = JSON.stringify({ method: 'connectionParams', data: options.connectionParams });
    }
  }

  call(type: CallType, path: string, input: unknown): Promise<unknown> {
    let serialized: unknown;
    try {
      serialized = encodeInput(input);
    } catch (error) {
      return Promise.reject(error);
    }
    const connection = this.current();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      connection.pending.set(id, { resolve, reject });
      if (connection.idle) {
        connection.idle = false;
        this.platform.setIdle?.(connection.socket, false);
      }
      if (connection.outbox.length === 0) nextTurn(() => this.flush(connection));
      connection.outbox.push({ id, method: type, params: { path, input: serialized } });
    });
  }

  /** Closes the connection; calls in flight fail with QUEUE_UNAVAILABLE. */
  close(): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) this.drop(connection, 'client closed');
  }

  private flush(connection: Connection): void {
    const messages = connection.outbox;
    connection.outbox = [];
    // A large call goes alone, so that a frame the server refuses as too big (which closes the
    // connection) is known to be that call's, and small calls are not held behind it.
    const frames: (Frame & { ids: number[] })[] = [];
    const smallTexts: string[] = [];
    const smallIds: number[] = [];
    for (const message of messages) {
      const text = JSON.stringify(message);
      if (text.length > ALONE_BYTES) frames.push({ text, ids: [message.id] });
      else {
        smallTexts.push(text);
        smallIds.push(message.id);
      }
    }
    if (smallTexts.length > 0) {
      // Each message is encoded once: a batch is the JSON array of their texts.
      frames.unshift({ text: smallTexts.length === 1 ? (smallTexts[0] as string) : `[${smallTexts.join(',')}]`, ids: smallIds });
    }
    connection.open.then(
      () => {
        for (const frame of frames) {
          for (const id of frame.ids) {
            const pending = connection.pending.get(id);
            if (pending) pending.frame = frame;
          }
          try {
            connection.socket.send(frame.text);
          } catch (error) {
            this.drop(connection, (error as Error).message);
            return;
          }
        }
      },
      () => {}, // the pending calls were rejected when the connection failed
    );
  }

  private current(): Connection {
    const known = this.connection;
    if (known && !known.draining && known.socket.readyState <= OPEN) return known;
    const socket = this.platform.createWebSocket(this.url, {
      headers: this.headers,
      onRefused: (status, message) => {
        this.drop(connection, message, refusalError(status, message));
      },
    });
    const connection: Connection = { socket, pending: new Map(), outbox: [], idle: false, draining: false, open: Promise.resolve() };
    connection.open = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.drop(connection, `no connection within ${this.connectTimeoutMs} ms`), this.connectTimeoutMs);
      socket.addEventListener('open', () => {
        clearTimeout(timer);
        if (this.paramsMessage !== undefined) socket.send(this.paramsMessage);
        resolve();
      });
      socket.addEventListener('close', () => {
        clearTimeout(timer);
        reject(new Error('closed before it opened'));
      });
    });
    connection.open.catch(() => {});
    socket.addEventListener('message', (event) =>
      this.receive(connection, typeof event.data === 'string' ? event.data : String(event.data)),
    );
    socket.addEventListener('error', (event) => this.drop(connection, event.message || 'connection failed'));
    socket.addEventListener('close', (event: WebSocketEventLike) => {
      if (event.code === MESSAGE_TOO_BIG) this.refuseLargest(connection);
      this.drop(connection, `connection closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
    });
    this.connection = connection;
    return connection;
  }

  private receive(connection: Connection, text: string): void {
    if (text === 'PING') {
      connection.socket.send('PONG');
      return;
    }
    if (text === 'PONG') return;
    let replies: ServerMessage[];
    try {
      // One reply, or the replies of one turn (we connect with `?replies=batch`).
      replies = decodeReplyFrame(text) as ServerMessage[];
    } catch {
      this.drop(connection, 'the server sent a message that is not JSON');
      return;
    }
    for (const message of replies) this.settle(connection, message);
    if (connection.pending.size === 0) {
      if (!connection.idle) {
        connection.idle = true;
        this.platform.setIdle?.(connection.socket, true);
      }
      if (connection.draining) connection.socket.close();
    }
  }

  private settle(connection: Connection, message: ServerMessage): void {
    if (message.method === 'reconnect') {
      connection.draining = true;
      return;
    }
    if (message.id === null && message.error !== undefined) {
      // The server could not read a frame, or refused the connection params (then it closes the
      // connection): it cannot say which calls it held, so every call waiting here fails rather
      // than wait forever.
      const error = this.decodeError(message.error);
      if (CREDENTIAL_REFUSALS.has(error.code)) {
        connection.refusal = error;
        connection.draining = true;
      }
      for (const p of connection.pending.values()) p.reject(error);
      connection.pending.clear();
      return;
    }
    const pending = typeof message.id === 'number' ? connection.pending.get(message.id) : undefined;
    if (!pending) return;
    connection.pending.delete(message.id as number);
    try {
      if (message.error !== undefined) pending.reject(this.decodeError(message.error));
      else pending.resolve(deserializeWire(message.result?.data as WireValue, { inPlace: true }));
    } catch (error) {
      pending.reject(new TaskwireError('INTERNAL', `Unreadable reply: ${(error as Error).message}`, { cause: error }));
    }
  }

  private decodeError(encoded: unknown): TaskwireError {
    try {
      return errorFromShape(deserializeWire(encoded as WireValue, { inPlace: true }) as ErrorShape);
    } catch (error) {
      return new TaskwireError('INTERNAL', `Unreadable error reply: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * The server closed the connection because a frame was too big: that was the largest frame in
   * flight (large calls travel alone), so its call fails with PAYLOAD_TOO_LARGE, not retryable;
   * the others only lost their connection.
   */
  private refuseLargest(connection: Connection): void {
    let largest: { id: number; pending: Pending; bytes: number } | undefined;
    for (const [id, pending] of connection.pending) {
      const frame = pending.frame;
      if (!frame) continue;
      frame.bytes ??= new TextEncoder().encode(frame.text).byteLength;
      if (frame.bytes > (largest?.bytes ?? ALONE_BYTES)) largest = { id, pending, bytes: frame.bytes };
    }
    if (!largest) return;
    connection.pending.delete(largest.id);
    largest.pending.reject(
      new TaskwireError('PAYLOAD_TOO_LARGE', `The call's message (${largest.bytes} bytes) is larger than the API accepts over WebSocket`),
    );
  }

  /** Fails every call waiting on a connection and forgets it; the next call opens a new one. */
  private drop(connection: Connection, reason: string, refusal?: TaskwireError): void {
    if (this.connection === connection) this.connection = undefined;
    const pending = [...connection.pending.values()];
    connection.pending.clear();
    const { socket } = connection;
    if (socket.readyState === OPEN || socket.readyState === CONNECTING) {
      if (socket.terminate) socket.terminate();
      else socket.close();
    }
    const error =
      refusal ??
      connection.refusal ??
      new TaskwireError('QUEUE_UNAVAILABLE', `API unreachable: ${reason} (WebSocket ${this.url})`, { retryable: true });
    for (const p of pending) p.reject(error);
  }
}

/** Codes of a connection-level error with which the API refuses a connection's credentials (it then closes it). */
const CREDENTIAL_REFUSALS = new Set<string>(['UNAUTHORIZED', 'FORBIDDEN', 'TOO_MANY_REQUESTS']);
