/** Raw BullMQ: `Queue.add` / `addBulk` straight to Redis, no layer in front (the ceiling). */
import { Queue } from 'bullmq';
import { connectionOf, JOB_OPTIONS, QUEUES } from '../contract.ts';
import type { CreateProducer } from '../core/roles.ts';

/** What a raw job carries: plain JSON, the send time as epoch ms. */
export interface RawJobData {
  n: number;
  at: number;
}

export const createProducer: CreateProducer = async (redisUrl) => {
  const queue = new Queue<RawJobData>(QUEUES.raw.name, { connection: connectionOf(redisUrl), prefix: QUEUES.raw.prefix });
  await queue.waitUntilReady();
  return {
    enqueue: ({ n, at }) => queue.add('noop', { n, at: at.getTime() }, JOB_OPTIONS),
    enqueueMany: (inputs) => queue.addBulk(inputs.map(({ n, at }) => ({ name: 'noop', data: { n, at: at.getTime() }, opts: JOB_OPTIONS }))),
    close: () => queue.close(),
  };
};
