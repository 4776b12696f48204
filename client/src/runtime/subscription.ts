import { toClientError } from './errors.ts';

interface Subscribable<T> {
  subscribe(
    input: unknown,
    handlers: { onData(value: T): void; onError(error: unknown): void; onComplete(): void; signal?: AbortSignal },
  ): { unsubscribe(): void };
}

/** Turns a tRPC subscription into an async iterable that ends when the server ends it. */
export function iterate<T>(procedure: Subscribable<T>, input: unknown, signal?: AbortSignal): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const buffer: T[] = [];
      let failure: unknown;
      let finished = false;
      let wake: (() => void) | undefined;
      const notify = () => {
        wake?.();
        wake = undefined;
      };
      const subscription = procedure.subscribe(input, {
        onData: (value) => {
          buffer.push(value);
          notify();
        },
        onError: (error) => {
          failure = toClientError(error);
          finished = true;
          notify();
        },
        onComplete: () => {
          finished = true;
          notify();
        },
      });
      const stop = () => {
        finished = true;
        subscription.unsubscribe();
        notify();
      };
      signal?.addEventListener('abort', stop, { once: true });
      return {
        async next(): Promise<IteratorResult<T>> {
          while (buffer.length === 0 && !finished) await new Promise<void>((resolve) => (wake = resolve));
          if (buffer.length > 0) return { value: buffer.shift() as T, done: false };
          signal?.removeEventListener('abort', stop);
          if (failure) throw failure;
          return { value: undefined, done: true };
        },
        async return(): Promise<IteratorResult<T>> {
          stop();
          signal?.removeEventListener('abort', stop);
          return { value: undefined, done: true };
        },
      };
    },
  };
}
