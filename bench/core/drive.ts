/** The load shapes a client process drives an enqueue path with. */
import type { BenchInput } from '../contract.ts';

let counter = 0;

/** A fresh input, stamped now. */
function nextInput(): BenchInput {
  return { n: counter++, at: new Date() };
}

/** `jobs` single calls with `inFlight` outstanding at any time; ms from the first call to the last reply. */
export async function closedLoop(jobs: number, inFlight: number, send: (input: BenchInput) => Promise<unknown>): Promise<number> {
  let issued = 0;
  const lane = async () => {
    while (issued < jobs) {
      issued++;
      await send(nextInput());
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(inFlight, jobs) }, lane));
  return performance.now() - started;
}

/** `jobs` in calls of `batch`, one call at a time; ms overall. */
export async function batches(jobs: number, batch: number, sendMany: (inputs: BenchInput[]) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let done = 0; done < jobs; done += batch) {
    const size = Math.min(batch, jobs - done);
    await sendMany(Array.from({ length: size }, nextInput));
  }
  return performance.now() - started;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Single calls on a fixed schedule (`rate` per second for `durationMs`), not waiting for replies:
 * an open loop, so a slow path shows up as latency rather than as a lower send rate.
 */
export async function openLoop(
  rate: number,
  durationMs: number,
  send: (input: BenchInput) => Promise<unknown>,
): Promise<{ sent: number; ms: number; maxLagMs: number; roundTripMs: number[] }> {
  const total = Math.round((rate * durationMs) / 1_000);
  const interval = 1_000 / rate;
  const inFlight: Promise<unknown>[] = [];
  const roundTripMs: number[] = [];
  let failure: unknown;
  let maxLagMs = 0;
  let sent = 0;
  const started = performance.now();
  while (sent < total) {
    const now = performance.now() - started;
    while (sent < total && sent * interval <= now) {
      maxLagMs = Math.max(maxLagMs, now - sent * interval);
      const callStarted = performance.now();
      inFlight.push(
        send(nextInput()).then(
          () => roundTripMs.push(performance.now() - callStarted),
          (error: unknown) => {
            failure ??= error;
          },
        ),
      );
      sent++;
    }
    if (sent < total) await sleep(Math.max(0, sent * interval - (performance.now() - started)));
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { sent, ms: performance.now() - started, maxLagMs, roundTripMs };
}
