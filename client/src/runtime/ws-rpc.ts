import type { Socket } from 'node:net';
import { decodeReplyFrame, deserializeWire, serializeWire, TaskwireError, type WireValue } from '@taskwire/shared';
import WebSocket from 'ws';
import { type ErrorData, fromErrorData } from './errors.ts';

/** A query or mutation: what the lean transport carries (subscriptions stay on SSE). */
export type CallType = 'query' | 'mutation';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Size of the frame that carried the call, once sent. */
  frameBytes?: number;
}

/** A call whose message is larger than this travels in a frame of its own. */
const ALONE_BYTES = 64 * 1024;
/** WebSocket close code: a frame was larger than the server accepts. */
const MESSAGE_TOO_BIG = 1009;

interface Connection {
  socket: WebSocket;
  /** Resolves once the socket is open; rejects if it never opens. */
  open: Promise<void>;
  pending: Map<number, Pending>;
  /** Calls made this turn of the event loop, sent together in one frame. */
  outbox: { id: number; method: CallType; params: { path: string; input: unknown } }[];
  /** The TCP socket under the WebSocket, unref'd while no call waits on it. */
  tcp?: Socket;
  /** The server asked clients to reconnect: no new calls go here. */
  draining: boolean;
}

/** What the server sends: a reply to a call, or a notice. Errors and data are superjson-encoded. */
interface ServerMessage {
  id: number | string | null;
  method?: 'reconnect';
  result?: { type: 'data'; data: unknown };
  error?: unknown;
}

interface ErrorShape {
  message?: string;
  data?: ErrorData;
}

/**
 * The taskwire client's own WebSocket transport for queries and mutations: it speaks the
 * standard tRPC WebSocket protocol (any tRPC server with `applyWSSHandler` answers it) but skips
 * the stock client's per-call machinery (observables, an AbortController per call), which is
 * most of its CPU at thousands of calls per second.
 *
 * - Calls made in the same turn of the event loop travel in one frame.
 * - One connection, opened on the first call and re-opened on the next call after a drop; calls
 *   in flight when it drops fail with QUEUE_UNAVAILABLE (retryable), as an HTTP call would.
 * - The connection does not keep the process alive while no call is waiting.
 *
 * @example
 * const rpc = new WsRpc('ws://localhost:3000/trpc', { authorization: `Bearer ${token}` });
 * const ref = await rpc.call('mutation', 'email.send.enqueue', { input });
 */
export class WsRpc {
  private connection: Connection | undefined;
  private nextId = 1;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
    private readonly connectTimeoutMs = 5_000,
  ) {}

  call(type: CallType, path: string, input: unknown): Promise<unknown> {
    let serialized: unknown;
    try {
      serialized = input === undefined ? undefined : serializeWire(input);
    } catch (error) {
      // superjson refuses keys such as `__proto__` (prototype pollution guard).
      return Promise.reject(new TaskwireError('INVALID_INPUT', `Input cannot be sent: ${(error as Error).message}`, { cause: error }));
    }
    const connection = this.current();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      connection.pending.set(id, { resolve, reject });
      connection.tcp?.ref();
      if (connection.outbox.length === 0) setImmediate(() => this.flush(connection));
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
    const frames: { text: string; ids: number[] }[] = [];
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
        for (const { text, ids } of frames) {
          const bytes = Buffer.byteLength(text);
          for (const id of ids) {
            const pending = connection.pending.get(id);
            if (pending) pending.frameBytes = bytes;
          }
          connection.socket.send(text, (error) => {
            if (error) this.drop(connection, error.message);
          });
        }
      },
      () => {}, // the pending calls were rejected when the connection failed
    );
  }

  private current(): Connection {
    if (this.connection && !this.connection.draining && this.connection.socket.readyState <= WebSocket.OPEN) return this.connection;
    const socket = new WebSocket(this.url, { headers: this.headers, perMessageDeflate: false, handshakeTimeout: this.connectTimeoutMs });
    const connection: Connection = { socket, pending: new Map(), outbox: [], draining: false, open: Promise.resolve() };
    connection.open = new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('close', () => reject(new Error('closed before it opened')));
    });
    connection.open.catch(() => {});
    socket.on('upgrade', (res) => {
      connection.tcp = res.socket;
      if (connection.pending.size === 0) connection.tcp.unref();
    });
    socket.on('unexpected-response', (_req, res) => {
      // The API refuses an upgrade with a JSON `{ error }` and the status of the error table
      // (401 wrong token, 429 locked out or too many connections): the calls fail with that code.
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
        const code = UPGRADE_REFUSALS[status];
        this.drop(connection, message, code ? new TaskwireError(code, message) : undefined);
      });
    });
    socket.on('message', (data) => this.receive(connection, data.toString()));
    socket.on('error', (error) => this.drop(connection, error.message));
    socket.on('close', (code, reason) => {
      if (code === MESSAGE_TOO_BIG) this.refuseLargest(connection);
      this.drop(connection, `connection closed (${code}${reason.length ? ` ${reason}` : ''})`);
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
      connection.tcp?.unref();
      if (connection.draining) connection.socket.close();
    }
  }

  private settle(connection: Connection, message: ServerMessage): void {
    if (message.method === 'reconnect') {
      connection.draining = true;
      return;
    }
    if (message.id === null && message.error !== undefined) {
      // The server could not read a frame, so it cannot say which calls it held: fail every call
      // waiting here rather than leave some waiting forever.
      const error = this.decodeError(message.error);
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
      return errorFrom(deserializeWire(encoded as WireValue, { inPlace: true }) as ErrorShape);
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
    let largest: [number, Pending] | undefined;
    for (const entry of connection.pending) {
      if ((entry[1].frameBytes ?? 0) > (largest?.[1].frameBytes ?? 0)) largest = entry;
    }
    if (!largest || (largest[1].frameBytes ?? 0) <= ALONE_BYTES) return;
    const [id, pending] = largest;
    connection.pending.delete(id);
    pending.reject(
      new TaskwireError(
        'PAYLOAD_TOO_LARGE',
        `The call's message (${pending.frameBytes} bytes) is larger than the API accepts over WebSocket`,
      ),
    );
  }

  /** Fails every call waiting on a connection and forgets it; the next call opens a new one. */
  private drop(connection: Connection, reason: string, refusal?: TaskwireError): void {
    if (this.connection === connection) this.connection = undefined;
    const pending = [...connection.pending.values()];
    connection.pending.clear();
    if (connection.socket.readyState === WebSocket.OPEN || connection.socket.readyState === WebSocket.CONNECTING) {
      connection.socket.terminate();
    }
    for (const p of pending) {
      p.reject(
        refusal ?? new TaskwireError('QUEUE_UNAVAILABLE', `API unreachable: ${reason} (WebSocket ${this.url})`, { retryable: true }),
      );
    }
  }
}

/** The codes of the HTTP statuses with which the API refuses a WebSocket upgrade. */
const UPGRADE_REFUSALS: Partial<Record<number, 'UNAUTHORIZED' | 'FORBIDDEN' | 'TOO_MANY_REQUESTS'>> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  429: 'TOO_MANY_REQUESTS',
};

/** The TaskwireError a tRPC error shape describes. */
function errorFrom(shape: ErrorShape): TaskwireError {
  const message = shape.message ?? 'Request failed';
  return fromErrorData(message, shape.data) ?? new TaskwireError('INTERNAL', message);
}
