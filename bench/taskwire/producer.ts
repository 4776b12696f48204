/** taskwire: the real typed client (`createClient`, on its default WebSocket transport), to the real router. */
import { createClient } from '@taskwire/client';
import { apiToken, type BenchRegistry } from '../contract.ts';
import type { CreateProducer } from '../core/roles.ts';

export const createProducer: CreateProducer = async (url) => {
  const tw = createClient<BenchRegistry>({ url, token: apiToken() });
  return {
    enqueue: (input) => tw.bench.noop.enqueue(input),
    enqueueMany: (inputs) => tw.bench.noop.enqueueMany(inputs.map((input) => ({ input }))),
    close: async () => tw.close(),
  };
};
