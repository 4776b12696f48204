/**
 * A worker process of the fan-in workload. Argument: `taskwire` or `raw`. Environment: REDIS_URL,
 * TASKWIRE_PREFIX. Both sides run 16 jobs at once in one process.
 */

import { Worker } from 'bullmq';
import { createRedis } from '../../shared/src/node/index.ts';
import { startFamilyWorker } from '../../worker/src/index.ts';
import { faninHandlers, faninRegistry, rawProcessor } from './family.ts';

const redis = { mode: 'single' as const, url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
const prefix = process.env.TASKWIRE_PREFIX ?? 'taskwire';
let close: () => Promise<unknown>;
if (process.argv[2] === 'raw') {
  const connection = createRedis(redis, 'worker', 'bench-fanin-raw');
  const worker = new Worker('{faninraw}', rawProcessor, { connection, prefix, concurrency: 16 });
  await worker.waitUntilReady();
  close = async () => {
    await worker.close();
    connection.disconnect();
  };
} else {
  const worker = await startFamilyWorker({ handlers: faninHandlers(), redis, prefix, registry: faninRegistry, graceMs: 1_000 });
  close = () => worker.close();
}
process.stdout.write('ready\n');
process.once('SIGTERM', () => void close().then(() => process.exit(0)));
