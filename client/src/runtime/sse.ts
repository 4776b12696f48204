import { deserializeWire, TaskwireError, type WireValue } from '@taskwire/shared/wire';
import { type ErrorShape, encodeInput, errorFromShape, refusalError } from './errors.ts';
import type { ClientPlatform, EventSourceConstructor, EventSourceEventLike, EventSourceLike } from './platform.ts';

/** EventSource's `readyState` once it has given up (a refused or failed request); it does not retry then. */
const CLOSED = 2;

export interface SseOptions {
  /** The tRPC endpoint, e.g. `http://localhost:3000/trpc`. */
  url: string;
  platform: ClientPlatform;
  /** Sent with each request by a platform that {@link ClientPlatform.sendsHeaders}. */
  headers: Record<string, string>;
  /** Sent in the URL (`connectionParams=`) by a platform that cannot send headers: `{ token }`. */
  connectionParams?: Record<string, string> | undefined;
}

export interface StreamHandlers<T> {
  onData(value: T): void;
  /** The stream failed for good: a server error (its code), a refused request, or an unreadable event. */
  onError(error: TaskwireError): void;
  /** The server ended the stream. */
  onComplete(): void;
}

/**
 * Reads a tRPC subscription over Server-Sent Events, as tRPC's `sseStreamProducer` writes it,
 * with the platform's `EventSource`: data events are decoded with the wire codec, a
 * `serialized-error` event ends the stream with that error's code, `return` ends it. A dropped
 * connection is re-opened by the `EventSource` itself (the API's subscriptions start over with the
 * current state), and one that stays silent past the server's `reconnectAfterInactivityMs`
 * (the server pings more often than that) is re-opened here. A request the API refuses (401, 403,
 * 429) fails with that code where the platform reports the status (Node), else QUEUE_UNAVAILABLE.
 *
 * @example
 * const stop = subscribe(options, 'email.send.watch', { id }, { onData, onError, onComplete });
 */
export function subscribe<T>(options: SseOptions, path: string, input: unknown, handlers: StreamHandlers<T>): { unsubscribe(): void } {
  let source: EventSourceLike | undefined;
  let inactivity: ReturnType<typeof setTimeout> | undefined;
  let inactivityMs = 0;
  let ended = false;
  const stop = () => {
    ended = true;
    clearTimeout(inactivity);
    source?.close();
    source = undefined;
  };
  const fail = (error: TaskwireError) => {
    if (ended) return;
    stop();
    handlers.onError(error);
  };
  const EventSourceClass = options.platform.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor | undefined }).EventSource;
  let url: string;
  try {
    if (!EventSourceClass) throw new TaskwireError('INTERNAL', 'No global EventSource in this runtime: pass a `platform`');
    url = streamUrl(options, path, input);
  } catch (error) {
    queueMicrotask(() => fail(error as TaskwireError));
    return { unsubscribe: stop };
  }
  const init = options.platform.sendsHeaders ? options.platform.eventSourceOptions?.(options.headers) : undefined;

  const open = () => {
    const es = new EventSourceClass(url, init);
    source = es;
    const alive = () => {
      if (!inactivityMs || ended) return;
      clearTimeout(inactivity);
      inactivity = setTimeout(() => {
        // Silent for longer than the server's pings allow: the connection is gone without a word.
        es.close();
        if (!ended) open();
      }, inactivityMs);
    };
    /** A listener that ends the stream with INTERNAL if the event cannot be read. */
    const on = (type: string, listener: (event: EventSourceEventLike) => void) =>
      es.addEventListener(type, (event) => {
        if (ended || source !== es) return;
        try {
          listener(event);
        } catch (error) {
          fail(new TaskwireError('INTERNAL', `Unreadable ${type} event: ${(error as Error).message}`, { cause: error }));
        }
      });
    on('connected', (event) => {
      const { reconnectAfterInactivityMs } = JSON.parse(String(event.data)) as { reconnectAfterInactivityMs?: number };
      inactivityMs = typeof reconnectAfterInactivityMs === 'number' ? reconnectAfterInactivityMs : 0;
      alive();
    });
    on('ping', alive);
    on('message', (event) => {
      alive();
      handlers.onData(deserializeWire(JSON.parse(String(event.data)) as WireValue, { inPlace: true }) as T);
    });
    on('serialized-error', (event) => {
      fail(errorFromShape(deserializeWire(JSON.parse(String(event.data)) as WireValue, { inPlace: true }) as ErrorShape));
    });
    on('return', () => {
      stop();
      handlers.onComplete();
    });
    on('error', (event) => {
      // While connecting again the EventSource retries by itself; once closed, it never will.
      if (es.readyState !== CLOSED) return;
      const status = typeof event.code === 'number' ? event.code : 0;
      const reason = event.message || 'the stream could not be opened';
      fail(
        refusalError(status, reason) ??
          new TaskwireError('QUEUE_UNAVAILABLE', `API unreachable: ${reason} (SSE ${options.url})`, { retryable: true }),
      );
    });
  };
  open();
  return { unsubscribe: stop };
}

/** `<url>/<path>?connectionParams=…&input=…`, as tRPC's `httpSubscriptionLink` asks for a subscription. */
function streamUrl(options: SseOptions, path: string, input: unknown): string {
  const [base = '', query] = options.url.split('?');
  const parts = query ? [query] : [];
  if (options.connectionParams) parts.push(`connectionParams=${encodeURIComponent(JSON.stringify(options.connectionParams))}`);
  if (input !== undefined) parts.push(`input=${encodeURIComponent(JSON.stringify(encodeInput(input)))}`);
  return `${base.replace(/\/$/, '')}/${path}${parts.length ? `?${parts.join('&')}` : ''}`;
}
