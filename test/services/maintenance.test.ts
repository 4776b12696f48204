import { hostname } from 'node:os';
import { NonRetriableError } from '@taskwire/shared';
import { cleanJobs, email, healthCheck, reports } from '@taskwire-example/reference/contracts';
import { describe, expect, test } from 'vitest';
import { maintenanceHandlers } from '../../examples/reference/handlers/maintenance.ts';
import { cleanFinishedJobs } from '../../examples/reference/services/clean-jobs.ts';
import { answerHealthCheck } from '../../examples/reference/services/health.ts';
import { redisFixture } from './support.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cleanFinishedJobs', () => {
  test('removes finished jobs older than the age, keeps recent ones, counts per family and state', async () => {
    await using fx = await redisFixture({ email, reports });
    const old = [
      ...(await fx.runJobs('email', [{ name: 'send' }, { name: 'send' }, { name: 'invite', fail: true }])),
      ...(await fx.runJobs('reports', [{ name: 'generate' }])),
    ];
    await sleep(400);
    const recent = await fx.runJobs('email', [{ name: 'send' }, { name: 'send', fail: true }]);
    const input = cleanJobs.input.parse({ olderThanMs: 250, states: ['completed', 'failed'] });

    const result = cleanJobs.output.parse(await maintenanceHandlers.handlers.cleanJobs(input, fx.context(cleanJobs)));

    expect(result).toEqual({
      removed: { 'email:completed': 2, 'email:failed': 1, 'reports:completed': 1, 'reports:failed': 0 },
      total: 4,
    });
    for (const job of old) expect(await fx.queue(job.queueName.slice(1, -1)).getJob(job.id as string)).toBeUndefined();
    for (const job of recent) expect(await fx.queue('email').getJob(job.id as string)).toBeDefined();
  });

  test('cleans only completed jobs by default, within the limit, for the chosen families', async () => {
    await using fx = await redisFixture({ email, reports });
    await fx.runJobs('email', [{ name: 'send' }, { name: 'send' }, { name: 'send' }, { name: 'send', fail: true }]);
    await fx.runJobs('reports', [{ name: 'generate' }]);
    const deps = { registry: fx.registry, queue: fx.queue };

    const limited = await cleanFinishedJobs(cleanJobs.input.parse({ olderThanMs: 0, families: ['email'], limit: 2 }), deps);

    expect(limited).toEqual({ removed: { 'email:completed': 2 }, total: 2 });
    expect(await fx.queue('email').getJobCounts('completed', 'failed')).toEqual({ completed: 1, failed: 1 });
    expect(await fx.queue('reports').getJobCounts('completed')).toEqual({ completed: 1 });
  });

  test('an unknown family fails without retry', async () => {
    await using fx = await redisFixture({ email });
    const input = cleanJobs.input.parse({ olderThanMs: 0, families: ['email', 'ghost'] });
    await expect(cleanFinishedJobs(input, { registry: fx.registry, queue: fx.queue })).rejects.toBeInstanceOf(NonRetriableError);
  });
});

describe('answerHealthCheck', () => {
  test('echoes the probe and measures the queue latency', () => {
    const sentAt = new Date('2025-01-01T00:00:00.000Z');
    const now = new Date('2025-01-01T00:00:00.250Z');

    const answer = healthCheck.output.parse(answerHealthCheck({ nonce: 'n-1', sentAt }, now));

    expect(answer).toEqual({ nonce: 'n-1', sentAt, receivedAt: now, queueLatencyMs: 250, worker: { pid: process.pid, host: hostname() } });
  });

  test('a sender clock ahead of ours gives 0, not a negative latency', () => {
    const now = new Date();
    expect(answerHealthCheck({ nonce: 'n', sentAt: new Date(now.getTime() + 5_000) }, now).queueLatencyMs).toBe(0);
  });

  test('the handler answers with the current time', async () => {
    await using fx = await redisFixture();
    const sentAt = new Date(Date.now() - 1_000);
    const before = Date.now();

    const answer = await maintenanceHandlers.handlers.healthCheck({ nonce: 'abc', sentAt }, fx.context(healthCheck));

    expect(answer.receivedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(answer.queueLatencyMs).toBeGreaterThanOrEqual(1_000);
  });
});
