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

/** What the open loop's sender did: how many calls, how late, and how long each call took. */
export interface OpenLoopRun {
  sent: number;
  /** From the first send to the last reply. */
  ms: number;
  /** Worst lateness of a send against its slot in the schedule. */
  maxLagMs: number;
  /** Sends per second from the first send to the last: the rate asked for, unless the sender fell behind. */
  sentPerS: number;
  /** Each call's send → reply time. */
  roundTripMs: number[];
}

/**
 * Single calls on a fixed schedule (`rate` per second for `durationMs`), not waiting for replies:
 * an open loop, so a slow path shows up as latency rather than as a lower send rate.
 *
 * Each timer tick sends every call whose slot has come, then sleeps until the next slot. A timer
 * fires at best about once a millisecond, so above 1,000/s a tick sends several calls (two or
 * three at 2,000/s); a sleep per call would fall behind. Lateness is measured per call, at the
 * moment it is sent, so a sender short of CPU shows in `maxLagMs` and `sentPerS`.
 */
export async function openLoop(rate: number, durationMs: number, send: (input: BenchInput) => Promise<unknown>): Promise<OpenLoopRun> {
  const total = Math.round((rate * durationMs) / 1_000);
  const interval = 1_000 / rate;
  const calls: Promise<unknown>[] = [];
  const roundTripMs: number[] = [];
  let failure: unknown;
  let maxLagMs = 0;
  let lastSentAt = 0;
  let sent = 0;
  const started = performance.now();
  while (sent < total) {
    while (sent < total && started + sent * interval <= performance.now()) {
      const sentAt = performance.now();
      maxLagMs = Math.max(maxLagMs, sentAt - (started + sent * interval));
      lastSentAt = sentAt;
      calls.push(
        send(nextInput()).then(
          () => roundTripMs.push(performance.now() - sentAt),
          (error: unknown) => {
            failure ??= error;
          },
        ),
      );
      sent++;
    }
    if (sent < total) await sleep(started + sent * interval - performance.now());
  }
  await Promise.all(calls);
  if (failure) throw failure;
  const sendingMs = lastSentAt - started;
  return {
    sent,
    ms: performance.now() - started,
    maxLagMs,
    sentPerS: sent > 1 && sendingMs > 0 ? ((sent - 1) / sendingMs) * 1_000 : rate,
    roundTripMs,
  };
}
