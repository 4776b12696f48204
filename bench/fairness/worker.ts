/** A worker process of the fairness workload. Environment: REDIS_URL, TASKWIRE_PREFIX. */
import { startFamilyWorker } from '../../worker/src/index.ts';
import { fairHandlers, fairRegistry } from './family.ts';

const worker = await startFamilyWorker({
  handlers: fairHandlers(),
  redis: { mode: 'single', url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  prefix: process.env.TASKWIRE_PREFIX,
  registry: fairRegistry,
  graceMs: 1_000,
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
