/** An event of a {@link WebSocketLike}: what the client reads of it. */
export interface WebSocketEventLike {
  readonly type: string;
  /** A message's data (a string for the text frames the API sends). */
  readonly data?: unknown;
  /** A close event's code and reason. */
  readonly code?: number;
  readonly reason?: string;
  /** An error event's message, where the platform gives one. */
  readonly message?: string;
}

/**
 * The part of the standard WebSocket API the client uses: a browser's, Deno's or Bun's
 * `WebSocket`, Node ≥ 22's, and the `ws` package's all fit.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'error' | 'close', listener: (event: WebSocketEventLike) => void): void;
  /** Drops the connection without the closing handshake, where the platform can (`ws`). */
  terminate?(): void;
}

/** An event of an {@link EventSourceLike}: what the client reads of it. */
export interface EventSourceEventLike {
  /** A message's data (text). */
  readonly data?: unknown;
  /** An error event's HTTP status, where the platform gives one (the `eventsource` package). */
  readonly code?: number | undefined;
  readonly message?: string | undefined;
}

/** The part of the standard `EventSource` API the client uses. */
export interface EventSourceLike {
  /** 0 connecting, 1 open, 2 closed (for good). */
  readonly readyState: number;
  addEventListener(type: string, listener: (event: EventSourceEventLike) => void): void;
  close(): void;
}

/**
 * An `EventSource` class: the standard one (browsers, Deno, Bun, Node ≥ 22 behind a flag) and
 * the `eventsource` package fit, as do the classes tRPC's `httpSubscriptionLink` takes.
 */
// biome-ignore lint/suspicious/noExplicitAny: each EventSource class has its own init dictionary
export type EventSourceConstructor = new (url: string, init?: any) => EventSourceLike;

/** What {@link ClientPlatform.createWebSocket} is given besides the URL. */
export interface WebSocketOpenOptions {
  /** Headers for the upgrade request; given only to a platform that {@link ClientPlatform.sendsHeaders}. */
  headers?: Record<string, string> | undefined;
  /**
   * For a platform that can read the HTTP answer to a refused upgrade (browsers cannot): the
   * status and the API's message, so that calls fail with UNAUTHORIZED, FORBIDDEN or
   * TOO_MANY_REQUESTS rather than QUEUE_UNAVAILABLE.
   */
  onRefused(status: number, message: string): void;
}

/**
 * What the client needs from the runtime: WebSockets for queries and mutations, an
 * `EventSource` for `watch` and `run`. `@taskwire/client` picks one by itself — the platform's
 * own `WebSocket` and `EventSource` (browsers, Deno, Bun), or the `ws` and `eventsource`
 * packages on Node — and `createClient({ platform })` takes another (tests, other runtimes).
 *
 * @example
 * const tw = createClient<typeof registry>({ url, token, platform: webPlatform });
 */
export interface ClientPlatform {
  /** Opens a WebSocket to `url`. */
  createWebSocket(url: string, options: WebSocketOpenOptions): WebSocketLike;
  /** The `EventSource` class for SSE; undefined: the global one, when the stream opens. */
  readonly EventSource: EventSourceConstructor | undefined;
  /**
   * Whether headers reach the API (on WebSocket upgrades and SSE requests). When they cannot
   * (browsers), the token travels as tRPC connection params: in the first WebSocket message,
   * and in the URL of SSE requests.
   */
  readonly sendsHeaders: boolean;
  /** The `EventSource` options that send `headers` with each SSE request (a platform that sends headers). */
  eventSourceOptions?(headers: Record<string, string>): Record<string, unknown>;
  /**
   * Told when a socket starts or stops waiting for replies: a platform that can lets the process
   * exit while the socket is idle (Node).
   */
  setIdle?(socket: WebSocketLike, idle: boolean): void;
}

/**
 * The platform of browsers, Deno, Bun and Node ≥ 22: their global `WebSocket` and `EventSource`,
 * looked up when first used. They cannot send headers, so the token travels as connection params.
 */
export const webPlatform: ClientPlatform = {
  createWebSocket(url) {
    const WebSocket = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
    if (!WebSocket) {
      throw new Error(
        'No global WebSocket in this runtime (Node 20): use the "node" export condition, a `platform`, or `transport: "http"`',
      );
    }
    return new WebSocket(url);
  },
  EventSource: undefined,
  sendsHeaders: false,
};
