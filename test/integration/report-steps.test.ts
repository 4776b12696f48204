/**
 * The reference deployment's `reports.generate` is a durable workflow: each family's collection
 * and the file's writing are steps. A report whose write fails is retried without collecting
 * again: a job that finished between the attempts is not in it, and the file is written once.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRedis } from '@taskwire/shared/node';
import { families } from '@taskwire-example/reference/contracts';
import { Queue, Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { reportsHandlers } from '../../examples/reference/handlers/reports.ts';
import { eventually, startStack } from '../fixtures/harness.ts';
import { tempDir, withEnv } from '../services/support.ts';

describe('reports.generate as a workflow', () => {
  it('a failed write is retried from the write step: the families are not collected again', async () => {
    await using out = await tempDir('report-steps');
    const dir = join(out.path, 'reports');
    // A file where the directory should be: the first attempt's write fails.
    await writeFile(dir, 'not a directory');
    using _env = withEnv({ REPORTS_DIR: dir, REPORTS_MIN_STEP_MS: '0' });
    await using stack = await startStack({ registry: families, token: 'tkn' });
    const connection = createRedis(stack.redis, 'worker', 'report-steps');
    const email = new Queue('{email}', { connection, prefix: stack.prefix });
    // One finished email job before the report, one between its attempts (a plain BullMQ worker).
    const finishEmailJob = async () => {
      const job = await email.add('send', {});
      const workerConnection = createRedis(stack.redis, 'worker', 'report-steps-email');
      const worker = new Worker('{email}', async () => 'ok', { connection: workerConnection, prefix: stack.prefix });
      await eventually(async () => ((await email.getJobState(job.id as string)) === 'completed' ? true : undefined));
      await worker.close();
      workerConnection.disconnect();
    };
    try {
      await finishEmailJob();
      await stack.startWorker(reportsHandlers);
      const from = new Date(Date.now() - 60_000);
      const ref = await stack.client.reports.generate.enqueue({
        title: 'Steps',
        from,
        to: new Date(Date.now() + 60_000),
        families: ['email'],
      });
      const failedOnce = await eventually(async () => {
        const view = await stack.client.reports.generate.get(ref.id);
        return view.attemptsMade === 1 && view.state === 'delayed' ? view : undefined;
      });
      expect(failedOnce.error).toMatchObject({ code: 'HANDLER_ERROR' });

      await finishEmailJob();
      await rm(dir);
      await mkdir(dir);
      const reports = new Queue('{reports}', { connection, prefix: stack.prefix });
      await (await reports.getJob(ref.id.slice('reports.'.length)))?.promote();
      await reports.close();
      const view = await eventually(async () => {
        const v = await stack.client.reports.generate.get(ref.id);
        return v.state === 'completed' ? v : undefined;
      });
      expect(view.attemptsMade).toBe(2);
      const csv = (await readFile(view.result?.path as string, 'utf8')).trim().split('\n');
      // The one email job collected by the first attempt; the one finished since is not counted.
      expect(csv.slice(1).map((line) => line.split(',').slice(1, 5).join(','))).toEqual(['email,send,completed,1']);
      expect(view.result?.rows).toBe(1);
    } finally {
      await email.close();
      connection.disconnect();
    }
  });
});
