/** Raw BullMQ: a plain `Worker` whose processor returns `{ n }`, no validation. */
import { type Job, Worker } from 'bullmq';
import { connectionOf, QUEUES, WORKER_SETTINGS } from '../contract.ts';
import type { CreateConsumer } from '../core/roles.ts';
import type { RawJobData } from './producer.ts';

export const createConsumer: CreateConsumer = async ({ redisUrl, concurrency, hooks }) => {
  const worker = new Worker<RawJobData>(
    QUEUES.raw.name,
    async (job: Job<RawJobData>) => {
      hooks.onHandled(job.data.at);
      return { n: job.data.n };
    },
    { connection: connectionOf(redisUrl), prefix: QUEUES.raw.prefix, concurrency, autorun: false, ...WORKER_SETTINGS },
  );
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
