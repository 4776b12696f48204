import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { NonRetriableError } from '@taskwire/shared';
import { email, generateReport, reports } from '@taskwire-example/reference/contracts';
import type { Job } from 'bullmq';
import { describe, expect, test } from 'vitest';
import { reportsHandlers } from '../../examples/reference/handlers/reports.ts';
import { csvField, toCsv } from '../../examples/reference/services/csv.ts';
import { aggregateActivity, collectFinishedJobs, type FinishedJob } from '../../examples/reference/services/job-activity.ts';
import { generateActivityReport, type ReportProgress } from '../../examples/reference/services/reports.ts';
import { listDir, redisFixture, tempDir, withEnv } from './support.ts';

const HOUR = 3_600_000;
const HEADER = 'bucket_start,family,task,outcome,jobs,mean_duration_ms,max_duration_ms';

/** The CSV lines the report should contain for these jobs, computed independently of the service. */
function expectedLines(jobs: Job[]): string[] {
  const groups = new Map<string, number[]>();
  for (const job of jobs) {
    const family = job.queueName.slice(1, -1);
    const bucket = new Date(Math.floor((job.finishedOn ?? 0) / HOUR) * HOUR).toISOString();
    const key = `${bucket},${family},${job.name},${job.failedReason ? 'failed' : 'completed'}`;
    groups.set(key, [...(groups.get(key) ?? []), (job.finishedOn ?? 0) - (job.processedOn ?? 0)]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, ds]) => `${key},${ds.length},${Math.round(ds.reduce((s, d) => s + d, 0) / ds.length)},${Math.max(...ds)}`);
}

describe('generateActivityReport with real queues', () => {
  test('aggregates finished jobs per bucket, family, task and outcome into a checksummed CSV', async () => {
    await using fx = await redisFixture({ email, reports });
    await using out = await tempDir('reports');
    const from = new Date(Date.now() - 1_000);
    const jobs = [
      ...(await fx.runJobs('email', [
        { name: 'send', ms: 30 },
        { name: 'send', ms: 10 },
        { name: 'send', ms: 20 },
        { name: 'invite', ms: 5 },
        { name: 'invite', ms: 5, fail: true },
      ])),
      ...(await fx.runJobs('reports', [{ name: 'generate', ms: 15 }])),
    ];
    // Waiting jobs are not finished and must not be counted.
    await fx.queue('email').add('send', {});
    const progress: ReportProgress[] = [];
    const input = generateReport.input.parse({ title: 'Weekly "activity", Q1', from, to: new Date(Date.now() + 1_000), bucket: 'hour' });

    const result = generateReport.output.parse(
      await generateActivityReport(input, {
        registry: fx.registry,
        queue: fx.queue,
        dir: out.path,
        progress: (p) => void progress.push(p),
      }),
    );

    expect(dirname(result.path)).toBe(out.path);
    expect(basename(result.path)).toMatch(/^weekly-activity-q1-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.csv$/);
    const csv = await readFile(result.path);
    expect(result.bytes).toBe(csv.length);
    expect(result.sha256).toBe(createHash('sha256').update(csv).digest('hex'));
    const lines = csv.toString('utf8').split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe(HEADER);
    expect(lines.slice(1)).toEqual(expectedLines(jobs));
    expect(result.rows).toBe(lines.length - 1);
    expect(result.rows).toBeGreaterThanOrEqual(4);
    const send = lines.find((l) => l.includes(',email,send,completed,'))?.split(',');
    expect(send?.[4]).toBe('3');
    expect(Number(send?.[5])).toBeGreaterThanOrEqual(10);
    expect(Number(send?.[6])).toBeGreaterThanOrEqual(30);
    expect(lines.some((l) => l.includes(',email,invite,failed,1,'))).toBe(true);

    expect(progress.map((p) => p.stage)).toEqual(['collect', 'collect', 'aggregate', 'render', 'write', 'checksum']);
    expect(progress.map((p) => p.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.every((p) => p.of === 6)).toBe(true);
    expect(progress.map((p) => p.detail)).toEqual(['email', 'reports', '6 finished jobs', `${result.rows} rows`, result.path, undefined]);
    for (const p of progress) generateReport.progress.parse(p);
    expect(await listDir(out.path)).toEqual([basename(result.path)]);
  });

  test('honours the range and the family filter', async () => {
    await using fx = await redisFixture({ email, reports });
    await using out = await tempDir('reports');
    await fx.runJobs('email', [{ name: 'send' }]);
    await fx.runJobs('reports', [{ name: 'generate' }]);
    const deps = { registry: fx.registry, queue: fx.queue, dir: out.path };

    const past = generateReport.input.parse({ title: 'past', from: new Date(0), to: new Date(Date.now() - 60_000) });
    const empty = await generateActivityReport(past, deps);
    expect(empty.rows).toBe(0);
    expect(await readFile(empty.path, 'utf8')).toBe(`${HEADER}\r\n`);

    const now = { from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) };
    const onlyReports = await generateActivityReport(generateReport.input.parse({ title: 'r', ...now, families: ['reports'] }), deps);
    const body = (await readFile(onlyReports.path, 'utf8')).split('\r\n').slice(1, -1);
    expect(body).toHaveLength(1);
    expect(body[0]).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z,reports,generate,completed,1,\d+,\d+$/);
  });

  test('an unknown family fails without retry and writes nothing', async () => {
    await using fx = await redisFixture({ email });
    await using out = await tempDir('reports');
    const input = generateReport.input.parse({ title: 'x', from: new Date(0), to: new Date(), families: ['email', 'nope'] });

    const run = generateActivityReport(input, { registry: fx.registry, queue: fx.queue, dir: out.path });

    await expect(run).rejects.toBeInstanceOf(NonRetriableError);
    await expect(run).rejects.toThrow("Unknown family 'nope'");
    expect(await listDir(out.path)).toEqual([]);
  });

  test('an abort between steps stops the report before anything is written', async () => {
    await using fx = await redisFixture({ email });
    await using out = await tempDir('reports');
    const controller = new AbortController();
    const input = generateReport.input.parse({ title: 'x', from: new Date(0), to: new Date() });

    const run = generateActivityReport(input, {
      registry: fx.registry,
      queue: fx.queue,
      dir: out.path,
      signal: controller.signal,
      progress: (p) => {
        if (p.stage === 'aggregate') controller.abort(new Error('cancelled'));
      },
    });

    await expect(run).rejects.toThrow('cancelled');
    expect(await listDir(out.path)).toEqual([]);
  });

  test('the handler writes into REPORTS_DIR and reports validated progress', async () => {
    await using fx = await redisFixture({ email, reports });
    await using out = await tempDir('reports');
    using _env = withEnv({ REPORTS_DIR: out.path });
    const input = generateReport.input.parse({ title: 'Handler', from: new Date(0), to: new Date() });

    const result = await reportsHandlers.handlers.generate(input, fx.context(generateReport));

    expect(dirname(result.path)).toBe(out.path);
    expect(fx.progress).toHaveLength(6);
  });
});

describe('collectFinishedJobs', () => {
  test('pages through every finished job and stops early at jobs older than the range', async () => {
    await using fx = await redisFixture({ email });
    await fx.runJobs('email', [{ name: 'send' }, { name: 'send' }, { name: 'send' }, { name: 'send' }, { name: 'send', fail: true }]);
    let calls = 0;
    const queue = {
      getJobs: (...args: Parameters<ReturnType<typeof fx.queue>['getJobs']>) => {
        calls += 1;
        return fx.queue('email').getJobs(...args);
      },
    };

    const all = await collectFinishedJobs(queue, 'email', { from: 0, to: Date.now() + 1_000 }, undefined, 2);
    expect(all.map((j) => j.outcome).sort()).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);
    expect(calls).toBe(5); // completed: 2 + 2 + empty page; failed: 1 + empty page

    calls = 0;
    const future = await collectFinishedJobs(queue, 'email', { from: Date.now() + 60_000, to: Date.now() + 120_000 }, undefined, 2);
    expect(future).toEqual([]);
    expect(calls).toBe(2); // one page per state, then the older jobs end the scan
  });

  test('finds the newer jobs when older ones precede them (pages really are newest first)', async () => {
    await using fx = await redisFixture({ email });
    await fx.runJobs('email', [{ name: 'send' }, { name: 'send' }, { name: 'send' }, { name: 'send' }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const newer = await fx.runJobs('email', [{ name: 'invite' }, { name: 'invite' }, { name: 'invite' }]);

    const found = await collectFinishedJobs(fx.queue('email'), 'email', { from, to: Date.now() }, undefined, 2);

    expect(found.map((j) => j.task)).toEqual(['invite', 'invite', 'invite']);
    expect(found.map((j) => j.finishedOn).sort()).toEqual(newer.map((j) => j.finishedOn).sort());
  });
});

describe('aggregateActivity and CSV', () => {
  const at = (iso: string) => Date.parse(iso);
  const job = (over: Partial<FinishedJob>): FinishedJob => ({
    family: 'email',
    task: 'send',
    outcome: 'completed',
    finishedOn: at('2025-01-01T10:00:00Z'),
    processedOn: at('2025-01-01T10:00:00Z') - 100,
    ...over,
  });

  test('groups by UTC day or hour, sorts, and averages known durations', () => {
    const jobs = [
      job({ finishedOn: at('2025-01-02T00:00:00Z'), processedOn: at('2025-01-01T23:59:59Z') }),
      job({ processedOn: at('2025-01-01T10:00:00Z') - 101 }),
      job({}),
      job({ task: 'invite', outcome: 'failed', processedOn: undefined }),
      job({ family: 'backups', task: 'snapshot', finishedOn: at('2025-01-01T23:59:59.999Z'), processedOn: at('2025-01-01T23:59:59.999Z') }),
    ];

    expect(aggregateActivity(jobs, 'day')).toEqual([
      {
        bucketStart: '2025-01-01T00:00:00.000Z',
        family: 'backups',
        task: 'snapshot',
        outcome: 'completed',
        count: 1,
        meanDurationMs: 0,
        maxDurationMs: 0,
      },
      {
        bucketStart: '2025-01-01T00:00:00.000Z',
        family: 'email',
        task: 'invite',
        outcome: 'failed',
        count: 1,
        meanDurationMs: null,
        maxDurationMs: null,
      },
      {
        bucketStart: '2025-01-01T00:00:00.000Z',
        family: 'email',
        task: 'send',
        outcome: 'completed',
        count: 2,
        meanDurationMs: 101,
        maxDurationMs: 101,
      },
      {
        bucketStart: '2025-01-02T00:00:00.000Z',
        family: 'email',
        task: 'send',
        outcome: 'completed',
        count: 1,
        meanDurationMs: 1000,
        maxDurationMs: 1000,
      },
    ]);
    expect(aggregateActivity(jobs, 'hour').map((r) => `${r.bucketStart} ${r.family}.${r.task}`)).toEqual([
      '2025-01-01T10:00:00.000Z email.invite',
      '2025-01-01T10:00:00.000Z email.send',
      '2025-01-01T23:00:00.000Z backups.snapshot',
      '2025-01-02T00:00:00.000Z email.send',
    ]);
  });

  test('escapes CSV fields per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).toBe('a,b\r\n1,"x,y"\r\n');
  });
});
