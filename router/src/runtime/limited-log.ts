/** Writes a line to the error log, unless too many were written lately. */
export type LimitedLog = (line: string) => void;

/**
 * An error log that writes at most `max` lines per `intervalMs` and then one line saying how many
 * it left out: a client that makes every message fail cannot turn each into a log line (disk,
 * log shipping, and the operator's attention are finite).
 *
 * @example
 * const log = limitedLog('[taskwire-api]');
 * log('ws email.send.enqueue: Unexpected error');
 */
export function limitedLog(
  prefix: string,
  { max = 20, intervalMs = 10_000, write = (line: string) => console.error(line) } = {},
): LimitedLog {
  let windowStart = 0;
  let written = 0;
  let dropped = 0;
  return (line) => {
    const now = Date.now();
    if (now - windowStart >= intervalMs) {
      if (dropped > 0) write(`${prefix} … ${dropped} more error line(s) left out in the last ${Math.round((now - windowStart) / 1000)} s`);
      windowStart = now;
      written = 0;
      dropped = 0;
    }
    if (written >= max) {
      dropped += 1;
      return;
    }
    written += 1;
    write(`${prefix} ${line}`);
  };
}
