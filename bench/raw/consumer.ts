/** Raw BullMQ: a plain `Worker` whose processor returns `{ n }`, no validation. */
import type { Job } from 'bullmq';
import { QUEUES } from '../contract.ts';
import { bullConsumer } from '../core/bull-consumer.ts';
import type { RawJobData } from './producer.ts';

export const createConsumer = bullConsumer(QUEUES.raw, (job: Job<RawJobData>, onHandled) => {
  onHandled(job.data.at);
  return { n: job.data.n };
});
