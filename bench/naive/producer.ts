/** The naive client: `createTRPCClient` with `httpBatchLink` and superjson. */
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import type { CreateProducer } from '../core/roles.ts';
import type { NaiveRouter } from './router.ts';

export const createProducer: CreateProducer = async (url) => {
  const trpc = createTRPCClient<NaiveRouter>({ links: [httpBatchLink({ url, transformer: superjson })] });
  return {
    enqueue: (input) => trpc.enqueue.mutate(input),
    enqueueMany: (inputs) => trpc.enqueueMany.mutate(inputs),
    close: async () => {},
  };
};
