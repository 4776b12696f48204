/** The naive worker: a plain BullMQ `Worker` that parses the job data with zod before running. */
import { z } from 'zod';
import { QUEUES } from '../contract.ts';
import { bullConsumer } from '../core/bull-consumer.ts';

// The data went through JSON in Redis: the Date the client sent is an ISO string now.
const jobData = z.object({ n: z.number().int().nonnegative(), at: z.coerce.date() });

export const createConsumer = bullConsumer(QUEUES.naive, (job, onHandled) => {
  const data = jobData.parse(job.data);
  onHandled(data.at.getTime());
  return { n: data.n };
});
