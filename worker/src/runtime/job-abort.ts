/** Why a running job's signal fired. */
/** `suspended`: the job waits (a durable sleep, or its children) and runs again later. */
export type AbortReason = 'timeout' | 'cancelled' | 'shutdown' | 'suspended';

/**
 * How a running job is stopped: timeout, cancellation or shutdown. The handler's `ctx.signal` is
 * created on first use only: an AbortController costs several microseconds in Node, more than a
 * no-op job's own work, and most handlers never look at it. Stopping works either way, since the
 * job's run goes through {@link race}, which rejects at once when the job is stopped.
 *
 * @example
 * const stop = new JobAbort();
 * setTimeout(() => stop.abort('timeout'), 30_000);
 * const output = await stop.race(handler(input, { signal: stop.signal }));
 */
export class JobAbort {
  /** Set once the job was told to stop. */
  reason: AbortReason | undefined;
  private controller: AbortController | undefined;
  /** Rejects the promise {@link race} returned, once the job is told to stop. */
  private rejectRun: ((reason: AbortReason) => void) | undefined;

  /** Aborts on timeout, cancellation and worker shutdown (created on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /**
   * Settles as `run` does, or rejects with the reason as soon as the job is told to stop (a
   * handler that ignores its signal is not waited for). One promise per job, where
   * `Promise.race` with a standing "aborted" promise costs three.
   */
  race<T>(run: Promise<T>): Promise<T> {
    if (this.reason) return Promise.reject(this.reason);
    return new Promise<T>((resolve, reject) => {
      this.rejectRun = reject;
      run.then(resolve, reject);
    });
  }

  abort(reason: AbortReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.rejectRun?.(reason);
  }
}
