/** An API process (naive or taskwire column); prints nothing, reports its URL when ready. */
import { apiToken } from '../contract.ts';
import { argument, serve } from '../core/child.ts';
import type { ServerCommands } from '../core/protocol.ts';

const column = argument('column');
const redisUrl = argument('redis');

async function start(): Promise<{ url: string; close(): Promise<void> }> {
  if (column === 'naive') return (await import('../naive/server.ts')).startNaiveServer(redisUrl);
  if (column === 'taskwire') return (await import('../taskwire/server.ts')).startTaskwireServer(redisUrl, apiToken());
  throw new Error(`no server for column '${column}'`);
}

const server = await start();
serve<ServerCommands>({}, { info: { url: server.url }, close: () => server.close() });
