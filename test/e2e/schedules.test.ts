import { createClient } from '@taskwire/client';
import type { Families } from '@taskwire-example/reference/contracts';
import { families } from '@taskwire-example/reference/contracts';
import { describe, expect, it } from 'vitest';
import { familyHandlers } from '../../examples/reference/handlers/index.ts';
import { startFamilyWorker } from '../../worker/src/index.ts';
import { dropPrefix, eventually, redisUrl, uniquePrefix } from '../fixtures/harness.ts';
import { REFERENCE_CONFIG, spawnTs } from '../fixtures/processes.ts';

describe('schedules across API processes', () => {
  it('upserts from two API processes and across restarts leave one schedule per key, which runs on time', async () => {
    const env = { REDIS_URL: redisUrl(), TASKWIRE_PREFIX: uniquePrefix('sched'), PORT: '0', HOST: '127.0.0.1', TASKWIRE_AUTH: 'open' };
    const started = async () => {
      const api = spawnTs('router/src/bin/api.ts', ['--config', REFERENCE_CONFIG], env);
      const { url } = JSON.parse(await api.waitFor(/"event":"api.started"/)) as { url: string };
      return { api, tw: createClient<Families>({ url }) };
    };
    const first = await started();
    let second = await started();
    const worker = await startFamilyWorker({
      handlers: familyHandlers.maintenance,
      redisUrl: env.REDIS_URL,
      prefix: env.TASKWIRE_PREFIX,
      registry: families,
    });
    try {
      const schedule = { key: 'heartbeat', everyMs: 1_000, input: { nonce: 'tick', sentAt: new Date('2030-01-01T00:00:00Z') } };
      await Promise.all([
        ...Array.from({ length: 5 }, () => first.tw.maintenance.healthCheck.schedules.upsert(schedule)),
        ...Array.from({ length: 5 }, () => second.tw.maintenance.healthCheck.schedules.upsert(schedule)),
      ]);
      // One API process restarts and upserts again, as a deploy would.
      expect(await second.api.stop('SIGTERM')).toBe(0);
      second = await started();
      const view = await second.tw.maintenance.healthCheck.schedules.upsert(schedule);
      expect(view).toMatchObject({ key: 'heartbeat', everyMs: 1_000, cron: null, input: { nonce: 'tick' } });
      expect(view.next).toBeInstanceOf(Date);
      await second.tw.maintenance.cleanJobs.schedules.upsert({
        key: 'nightly',
        cron: '0 3 * * *',
        tz: 'Europe/Paris',
        input: { olderThanMs: 86_400_000 },
      });

      const listed = await first.tw.maintenance.healthCheck.schedules.list();
      expect(listed.map((s) => s.key)).toEqual(['heartbeat']);
      expect((await first.tw.maintenance.cleanJobs.schedules.list()).map((s) => [s.key, s.cron, s.tz])).toEqual([
        ['nightly', '0 3 * * *', 'Europe/Paris'],
      ]);

      // It runs about once a second, once per tick.
      const completed = await eventually(
        async () => {
          const jobs = await first.tw.jobs.list({ family: 'maintenance', state: 'completed', limit: 100 });
          return jobs.length >= 3 ? jobs : undefined;
        },
        10_000,
        200,
      );
      const ticks = completed.map((j) => j.enqueuedAt.getTime()).sort((a, b) => a - b);
      const gaps = ticks.slice(1).map((t, i) => t - ticks[i]!);
      console.log(`schedule ticks ${ticks.length}, gaps ms: ${gaps.join(', ')}`);
      // BullMQ runs an \`every\` schedule once at creation, then on each multiple of the interval;
      // the 11 upserts above must not have added runs of their own.
      for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(900);
      expect(ticks.filter((t) => t - ticks[0]! < 900).length).toBeLessThanOrEqual(2);
      const stats = await first.tw.queues.stats('maintenance');
      expect(stats[0]!.delayed).toBe(2); // the next heartbeat and the next nightly clean, nothing more

      // Invalid schedules are rejected against the contract.
      const bad = await first.tw.maintenance.healthCheck.schedules
        .upsert({ key: 'bad', everyMs: 1_000, input: { nonce: '', sentAt: new Date() } })
        .catch((e: { code: string; issues: { path: string[] }[] }) => e);
      expect(bad).toMatchObject({ code: 'INVALID_INPUT', issues: [{ path: ['input', 'nonce'] }] });
      const badTz = await first.tw.maintenance.healthCheck.schedules
        .upsert({ key: 'tz', cron: '* * * * *', tz: 'Mars/Olympus', input: schedule.input })
        .catch((e: { code: string }) => e);
      expect(badTz).toMatchObject({ code: 'INVALID_INPUT' });

      expect(await first.tw.maintenance.healthCheck.schedules.remove('heartbeat')).toEqual({ key: 'heartbeat', removed: true });
      expect(await first.tw.maintenance.healthCheck.schedules.list()).toEqual([]);
    } finally {
      await worker.close();
      await first.api.stop('SIGTERM');
      await second.api.stop('SIGTERM');
      await dropPrefix(env.REDIS_URL, env.TASKWIRE_PREFIX);
    }
  }, 60_000);
});
