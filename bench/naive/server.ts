/** The naive API: the router above on tRPC's standalone HTTP server. */
import type { AddressInfo } from 'node:net';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { Queue } from 'bullmq';
import { connectionOf, QUEUES } from '../contract.ts';
import { createNaiveRouter } from './router.ts';

export interface NaiveServer {
  /** The tRPC endpoint. */
  url: string;
  close(): Promise<void>;
}

export async function startNaiveServer(redisUrl: string): Promise<NaiveServer> {
  const queue = new Queue(QUEUES.naive.name, { connection: connectionOf(redisUrl), prefix: QUEUES.naive.prefix });
  await queue.waitUntilReady();
  const server = createHTTPServer({ router: createNaiveRouter(queue) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.close();
    },
  };
}
