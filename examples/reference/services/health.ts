import { hostname } from 'node:os';
import type { TaskInput, TaskOutput } from '@taskwire/shared';
import type { healthCheck } from '../contracts/index.ts';

/**
 * The worker's side of a health round trip: echoes the nonce and send time, says when and where
 * it was received. Latency is clamped at 0 because the sender's clock may run ahead of ours.
 *
 * @example
 * answerHealthCheck({ nonce: 'abc', sentAt }); // { nonce: 'abc', queueLatencyMs: 12, worker: { pid, host }, … }
 */
export function answerHealthCheck(input: TaskInput<typeof healthCheck>, now: Date = new Date()): TaskOutput<typeof healthCheck> {
  return {
    nonce: input.nonce,
    sentAt: input.sentAt,
    receivedAt: now,
    queueLatencyMs: Math.max(0, now.getTime() - input.sentAt.getTime()),
    worker: { pid: process.pid, host: hostname() },
  };
}
