/** The two things each column provides: a way to enqueue, and a worker. */
import type { BenchInput } from '../contract.ts';

/** A column's enqueue path, as its users would call it. */
export interface Producer {
  enqueue(input: BenchInput): Promise<unknown>;
  enqueueMany(inputs: BenchInput[]): Promise<unknown>;
  close(): Promise<void>;
}

/** What a worker reports to the bench. */
export interface ConsumerHooks {
  /** Called when a handler starts, with the `at` the caller put in the job (epoch ms). */
  onHandled(sentAtMs: number): void;
  onCompleted(): void;
  onFailed(reason: string): void;
}

/** A column's worker, built connected but idle. */
export interface Consumer {
  /** Starts taking jobs. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface ConsumerOptions {
  redisUrl: string;
  concurrency: number;
  hooks: ConsumerHooks;
}

/** `target`: the Redis URL (raw) or the API's tRPC URL (naive, taskwire). */
export type CreateProducer = (target: string) => Promise<Producer>;
export type CreateConsumer = (options: ConsumerOptions) => Promise<Consumer>;
