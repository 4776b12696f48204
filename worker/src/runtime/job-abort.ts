/** Why a running job's signal fired. */
export type AbortReason = 'timeout' | 'cancelled' | 'shutdown';

/**
 * How a running job is stopped: timeout, cancellation or shutdown. The handler's `ctx.signal` is
 * created on first use only: an AbortController costs several microseconds in Node, more than a
 * no-op job's own work, and most handlers never look at it. Stopping works either way, since the
 * job's run races {@link aborted}, which rejects at once.
 *
 * @example
 * const stop = new JobAbort();
 * setTimeout(() => stop.abort('timeout'), 30_000);
 * await Promise.race([handler(input, { signal: stop.signal }), stop.aborted]);
 */
export class JobAbort {
  /** Set once the job was told to stop. */
  reason: AbortReason | undefined;
  /** Rejects with the reason when the job is told to stop. */
  readonly aborted: Promise<never>;
  private controller: AbortController | undefined;
  private reject!: (reason: AbortReason) => void;

  constructor() {
    this.aborted = new Promise<never>((_, reject) => {
      this.reject = reject;
    });
    this.aborted.catch(() => {});
  }

  /** Aborts on timeout, cancellation and worker shutdown (created on first use). */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: AbortReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.reject(reason);
  }
}
