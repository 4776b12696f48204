/** A queue of values pushed by callbacks and pulled by an async loop. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;

  push(item: T): void {
    this.items.push(item);
    this.waiter?.();
  }

  /** The next item, or `undefined` after `timeoutMs` or when `signal` aborts. */
  async take(signal: AbortSignal, timeoutMs: number): Promise<T | undefined> {
    if (this.items.length > 0) return this.items.shift();
    if (signal.aborted) return undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiter = done;
    });
    return this.items.shift();
  }
}
