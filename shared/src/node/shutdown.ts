/**
 * How long a process may take to stop past its grace period, whatever Redis does (down, refusing
 * connections, frozen by SIGSTOP). A worker waits at most this long, after its grace period (or
 * after its last job is settled, if sooner), for its jobs' outcomes and its connections to close;
 * the API and an embedded Redis get as long. Then the connections are dropped and the process
 * says what it could not finish. A healthy Redis needs milliseconds of it.
 */
export const SHUTDOWN_BOUND_MS = 2_000;

/**
 * Waits for `work` to settle, at most `ms`: true when it settled (fulfilled or rejected) in time,
 * false when the time ran out first. For shutdown steps that may wait on Redis forever; the
 * caller then drops what is left (`disconnect()`, not `quit()`, which waits for Redis too).
 *
 * @example
 * if (!(await settleWithin(queue.close(), SHUTDOWN_BOUND_MS))) connection.disconnect();
 */
export function settleWithin(work: PromiseLike<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    work.then(done, done);
  });
}
