import { type SseOptions, subscribe } from './sse.ts';

/** A subscription of the API as an async iterable that ends when the server ends it (or `signal` aborts). */
export function iterate<T>(options: SseOptions, path: string, input: unknown, signal?: AbortSignal): AsyncIterable<T> {
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
      const subscription = subscribe<T>(options, path, input, {
        onData: (value) => {
          buffer.push(value);
          notify();
        },
        onError: (error) => {
          failure = error;
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
      if (signal?.aborted) stop();
      else signal?.addEventListener('abort', stop, { once: true });
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
