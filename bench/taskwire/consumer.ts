/**
 * taskwire: the real `FamilyWorker` (decode the envelope → parse the input with the contract →
 * run the handler under its timeout → parse the output → encode the result).
 */
import { defineHandlers, FamilyWorker } from '@taskwire/worker';
import { benchFamily } from '../contract.ts';
import type { CreateConsumer } from '../core/roles.ts';

export const createConsumer: CreateConsumer = async ({ redisUrl, concurrency, hooks }) => {
  const handlers = defineHandlers(benchFamily, {
    noop: async (input) => {
      hooks.onHandled(input.at.getTime());
      return { n: input.n };
    },
  });
  const worker = new FamilyWorker({
    handlers,
    redisUrl,
    concurrency,
    graceMs: 1_000,
    onEvent: (event) => {
      if (event.type === 'completed') hooks.onCompleted();
      else if (event.type === 'failed') hooks.onFailed(`${event.jobId}: ${event.code} ${event.message}`);
      else if (event.type === 'error') hooks.onFailed(event.message);
    },
  });
  await worker.worker.waitUntilReady();
  return {
    start: async () => {
      await worker.start();
    },
    close: async () => {
      await worker.close(1_000);
    },
  };
};
