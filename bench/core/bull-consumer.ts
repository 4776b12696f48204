import { type Job, Worker } from 'bullmq';
import { connectionOf, WORKER_SETTINGS } from '../contract.ts';
import type { CreateConsumer } from './roles.ts';

/**
 * A consumer on a plain BullMQ `Worker` (the raw and naive columns), reporting to the bench's
 * hooks; only the processor differs between columns.
 */
export function bullConsumer(
  queue: { name: string; prefix: string },
  process: (job: Job, onHandled: (enqueuedAtMs: number) => void) => unknown,
): CreateConsumer {
  return async ({ redisUrl, concurrency, hooks }) => {
    const worker = new Worker(queue.name, async (job: Job) => process(job, (at) => hooks.onHandled(at)), {
      connection: connectionOf(redisUrl),
      prefix: queue.prefix,
      concurrency,
      autorun: false,
      ...WORKER_SETTINGS,
    });
    worker.on('completed', () => hooks.onCompleted());
    worker.on('failed', (_job, error) => hooks.onFailed(error.message));
    worker.on('error', (error) => hooks.onFailed(error.message));
    await worker.waitUntilReady();
    return {
      start: async () => {
        void worker.run().catch((error: Error) => hooks.onFailed(error.message));
      },
      close: () => worker.close(),
    };
  };
}
