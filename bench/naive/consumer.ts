/** The naive worker: a plain BullMQ `Worker` that parses the job data with zod before running. */
import { type Job, Worker } from 'bullmq';
import { z } from 'zod';
import { connectionOf, QUEUES, WORKER_SETTINGS } from '../contract.ts';
import type { CreateConsumer } from '../core/roles.ts';

// The data went through JSON in Redis: the Date the client sent is an ISO string now.
const jobData = z.object({ n: z.number().int().nonnegative(), at: z.coerce.date() });

export const createConsumer: CreateConsumer = async ({ redisUrl, concurrency, hooks }) => {
  const worker = new Worker(
    QUEUES.naive.name,
    async (job: Job) => {
      const data = jobData.parse(job.data);
      hooks.onHandled(data.at.getTime());
      return { n: data.n };
    },
    { connection: connectionOf(redisUrl), prefix: QUEUES.naive.prefix, concurrency, autorun: false, ...WORKER_SETTINGS },
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
