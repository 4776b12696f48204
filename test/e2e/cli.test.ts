/**
 * The `taskwire` CLI as a real process against a live API and real workers (in this process, on a
 * unique Redis prefix): every command, its human and JSON output, and its exit codes.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromJson as coerceInput, TaskwireError } from '@taskwire/shared';
import { families } from '@taskwire-example/reference/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exitCodeFor } from '../../client/src/cli/exit-codes.ts';
import { formatJson } from '../../client/src/cli/json.ts';
import { UsageError } from '../../client/src/cli/usage-error.ts';
import { JobFailedError } from '../../client/src/runtime/errors.ts';
import { familyHandlers } from '../../examples/reference/handlers/index.ts';
import { eventually, type Stack, startStack } from '../fixtures/harness.ts';
import { type Child, REFERENCE_CONFIG, spawnTs } from '../fixtures/processes.ts';

const CLI = 'client/src/cli/main.ts';
const TOKEN = 'tw_cli-e2e-admin-token-0123456789';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let stack: Stack<typeof families>;
let dirs: { outbox: string; reports: string };
const saved = { OUTBOX_DIR: process.env.OUTBOX_DIR, REPORTS_DIR: process.env.REPORTS_DIR };

beforeAll(async () => {
  dirs = { outbox: await mkdtemp(join(tmpdir(), 'taskwire-cli-outbox-')), reports: await mkdtemp(join(tmpdir(), 'taskwire-cli-reports-')) };
  process.env.OUTBOX_DIR = dirs.outbox;
  process.env.REPORTS_DIR = dirs.reports;
  stack = await startStack({
    registry: families,
    handlers: [familyHandlers.maintenance, familyHandlers.reports, familyHandlers.email],
    token: TOKEN,
  });
});

afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all(Object.values(dirs ?? {}).map((dir) => rm(dir, { recursive: true, force: true })));
});

const apiEnv = (env: NodeJS.ProcessEnv = {}) => ({
  TASKWIRE_URL: `${stack.api.url}/trpc`,
  TASKWIRE_TOKEN: TOKEN,
  TASKWIRE_CONFIG: REFERENCE_CONFIG,
  ...env,
});

/** Starts the CLI; `done` resolves once it exited and its output is read to the end. */
function startCli(args: string[], env: NodeJS.ProcessEnv = {}): { child: Child; done: Promise<Run> } {
  const child = spawnTs(CLI, args, apiEnv(env));
  let stdout = '';
  let stderr = '';
  child.process.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.process.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const done = new Promise<Run>((resolve) => child.process.once('close', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

const cli = (args: string[], env?: NodeJS.ProcessEnv) => startCli(args, env).done;
const json = <T = Record<string, unknown>>(run: Run): T => JSON.parse(run.stdout) as T;
const jsonLines = (run: Run) =>
  run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Each CLI run is a fresh Node process (about a second of CPU under tsx); the tests run side by side,
// and the generous timeout only matters on a machine busy with other work.
describe('taskwire CLI (real processes against a live API and workers)', { timeout: 120_000 }, () => {
  it.concurrent('refuses bad command lines with exit 2 and explains them; --help documents the exit codes', async ({ expect }) => {
    const [unknownTask, badJson, unknownOption, bothSchedules, help] = await Promise.all([
      cli(['enqueue', 'maintenance.nope', '{}']),
      cli(['enqueue', 'maintenance.healthCheck', '{nonce:']),
      cli(['list', '--bogus']),
      cli(['schedules', 'upsert', 'maintenance.cleanJobs', 'k', '--cron', '0 3 * * *', '--every-ms', '1000', '{"olderThanMs":1}']),
      cli(['--help']),
    ]);
    expect(unknownTask).toMatchObject({ code: 2, stdout: '' });
    expect(unknownTask.stderr).toContain("taskwire: USAGE: unknown task 'maintenance.nope'; valid tasks: email.send, email.passwordReset");
    expect(unknownTask.stderr).toContain('maintenance.healthCheck, maintenance.cleanJobs, maintenance.licenseExpiry');
    expect(unknownTask.stderr).toContain("Run 'taskwire enqueue --help' for usage.");
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^taskwire: USAGE: the input is not valid JSON: /);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/^taskwire: USAGE: unknown option '--bogus'\nRun 'taskwire list --help' for usage\.\n$/);
    expect(bothSchedules.code).toBe(2);
    expect(bothSchedules.stderr).toContain('taskwire: USAGE: give exactly one of --cron or --every-ms');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: taskwire <command>/m);
    expect(help.stdout).toMatch(/^ {2}dead-letter replay\s+Replay failed jobs/m);
    expect(help.stdout).toMatch(
      /^Exit codes:\n {2}0 {4}ok[^\n]*\n {2}1 {4}the job failed[^\n]*\n {2}2 {4}usage error[^\n]*\n {2}3 {4}API unreachable[^\n]*\n {2}4 {4}UNAUTHORIZED or FORBIDDEN/m,
    );
  });

  it.concurrent('enqueue sends typed input (a Date from an ISO string), dedupes by key; get shows the job; --wait prints the result', async ({
    expect,
  }) => {
    const input = '{"nonce":"cli-enqueue","sentAt":"2030-01-01T00:00:00Z"}';
    const [first, waited] = await Promise.all([
      cli(['enqueue', 'maintenance.healthCheck', input, '--idempotency-key', 'cli-once', '--json']),
      cli([
        'enqueue',
        'maintenance.healthCheck',
        '{"nonce":"cli-wait","sentAt":"2031-02-03T04:05:06.789Z"}',
        '--wait',
        '--timeout-ms',
        '15000',
      ]),
    ]);
    expect(waited).toMatchObject({ code: 0, stderr: '' });
    expect(waited.stdout).toMatch(/^nonce:\s+cli-wait$/m);
    expect(waited.stdout).toMatch(/^sentAt:\s+2031-02-03T04:05:06\.789Z$/m);
    expect(waited.stdout).toMatch(/^receivedAt:\s+\d{4}-\d{2}-\d{2}T[\d:.]+Z$/m);
    expect(waited.stdout).toMatch(new RegExp(`^worker:\\n {2}pid:\\s+${process.pid}$`, 'm'));

    expect(first.code).toBe(0);
    const ref = json<{ id: string; task: string; enqueuedAt: string; deduplicated: boolean }>(first);
    expect(ref).toMatchObject({ task: 'maintenance.healthCheck', deduplicated: false });
    expect(ref.enqueuedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // The worker saw a real Date: it came back as one in the result.
    const done = await eventually(async () => {
      const view = await stack.client.jobs.get(ref.id);
      return view.state === 'completed' ? view : undefined;
    });
    expect(done.task === 'maintenance.healthCheck' && done.result?.sentAt).toEqual(new Date('2030-01-01T00:00:00Z'));

    const [again, got] = await Promise.all([
      cli(['enqueue', 'maintenance.healthCheck', input, '--idempotency-key', 'cli-once']),
      cli(['get', ref.id]),
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^id:\\s+${ref.id.replace('.', '\\.')}$`, 'm'));
    expect(again.stdout).toMatch(/^deduplicated:\s+true$/m);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(/^task:\s+maintenance\.healthCheck$/m);
    expect(got.stdout).toMatch(/^state:\s+completed$/m);
    expect(got.stdout).toMatch(/^attempts:\s+1\/1$/m);
    expect(got.stdout).toMatch(/^finishedAt:\s+\d{4}-\d{2}-\d{2}T[\d:.]+Z$/m);
    expect(got.stdout).toMatch(/^input:\n {2}nonce:\s+cli-enqueue\n {2}sentAt:\s+2030-01-01T00:00:00\.000Z$/m);
    expect(got.stdout).toMatch(/^result:\n {2}nonce:\s+cli-enqueue$/m);
  });

  it.concurrent('enqueue of input the contract rejects exits 1 with INVALID_INPUT and one line per field issue', async ({ expect }) => {
    const run = await cli(['enqueue', 'maintenance.healthCheck', '{"nonce":"","sentAt":"not a date"}']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toMatch(/^taskwire: INVALID_INPUT: .+\n/);
    expect(run.stderr).toMatch(/^ {2}input\.nonce: Too small: expected string to have >=1 characters$/m);
    expect(run.stderr).toMatch(/^ {2}input\.sentAt: Invalid input: expected date, received string$/m);
  });

  it.concurrent('watch shows reports.generate progress as a bar, then the result (exit 0); --json gives JSON lines; pause, stats, resume', async ({
    expect,
  }) => {
    const paused = await cli(['pause', 'reports']);
    expect(paused).toMatchObject({ code: 0, stdout: 'reports paused\n' });
    const { id } = await stack.client.reports.generate.enqueue({
      title: 'CLI report',
      from: new Date('2020-01-01T00:00:00Z'),
      to: new Date('2035-01-01T00:00:00Z'),
    });
    const human = startCli(['watch', id, '--human']);
    const lines = startCli(['watch', id, '--json']);
    try {
      const [stats] = await Promise.all([
        cli(['stats', 'reports', '--json']),
        human.child.waitFor(/^state: waiting$/, 60_000),
        lines.child.waitFor(/"type":"state"/, 60_000),
      ]);
      expect(stats.code).toBe(0);
      expect(json(stats)).toEqual([expect.objectContaining({ family: 'reports', waiting: 1, active: 0, paused: true, workers: 1 })]);
      expect(await cli(['resume', 'reports'])).toMatchObject({ code: 0, stdout: 'reports resumed\n' });

      const shown = await human.done;
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(new RegExp(`^job ${id.replace('.', '\\.')} \\(reports\\.generate\\)\\nstate: waiting\\n`));
      expect(shown.stdout).toMatch(/^\[█+░+\] \d+% \| 1\/(\d+) \| collect — \w+$/m);
      const of = Number(/\| 1\/(\d+) \|/.exec(shown.stdout)?.[1]);
      expect(shown.stdout).toContain(`[${'█'.repeat(30)}] 100% | ${of}/${of} | checksum\ncompleted\n`);
      expect(shown.stdout.match(/^\[[█░]{30}\] \d+% \| \d+\/\d+ \| .+$/gm)).toHaveLength(of);
      expect(shown.stdout).toMatch(new RegExp(`^path:\\s+${dirs.reports}/\\S+\\.csv$`, 'm'));
      expect(shown.stdout).toMatch(/^sha256:\s+[a-f0-9]{64}\n$/m);

      const run = await lines.done;
      expect(run).toMatchObject({ code: 0, stderr: '' });
      const events = jsonLines(run);
      expect(events[0]).toEqual({ type: 'state', state: 'waiting' });
      const progress = events.filter((e) => e.type === 'progress').map((e) => e.progress as { step: number; of: number; stage: string });
      expect(progress.map((p) => p.step)).toEqual(Array.from({ length: of }, (_, i) => i + 1));
      expect(progress.at(-1)).toMatchObject({ step: of, of, stage: 'checksum' });
      const last = events.at(-1) as { type: string; result: { path: string; sha256: string } };
      expect(last.type).toBe('completed');
      expect(last.result.sha256).toMatch(/^[a-f0-9]{64}$/);
      expect(existsSync(last.result.path)).toBe(true);
    } finally {
      for (const watcher of [human, lines]) watcher.child.process.kill();
    }
  });

  it.concurrent('a failed job: --wait and watch (piped: JSON lines) exit 1 with its code; dead-letter list, retry and dead-letter replay', async ({
    expect,
  }) => {
    const bad = { olderThanMs: 0, families: ['nope'] };
    const failedAfter = (id: string, since: number) =>
      eventually(async () => {
        const view = await stack.client.jobs.get(id);
        return view.state === 'failed' && view.finishedAt && view.finishedAt.getTime() >= since ? view : undefined;
      });
    const [waited, other] = await Promise.all([
      cli(['enqueue', 'maintenance.cleanJobs', JSON.stringify(bad), '--wait']),
      stack.client.maintenance.cleanJobs.enqueue(bad),
    ]);
    expect(waited).toMatchObject({ code: 1, stdout: '' });
    const id = /^taskwire: HANDLER_ERROR: Unknown family 'nope'; .+ \(job (maintenance\.\d+)\)$/m.exec(waited.stderr)?.[1];
    expect(id, waited.stderr).toBeDefined();
    await failedAfter(other.id, 0);

    const [watched, dead] = await Promise.all([cli(['watch', id!]), cli(['dead-letter', 'list', '--family', 'maintenance'])]);
    expect(watched.code).toBe(1);
    expect(jsonLines(watched)).toEqual([
      { type: 'state', state: 'failed' },
      {
        type: 'failed',
        error: expect.objectContaining({ code: 'HANDLER_ERROR', message: expect.stringContaining("Unknown family 'nope'") }),
      },
    ]);
    expect(watched.stderr).toMatch(/^taskwire: HANDLER_ERROR: Unknown family 'nope'/);
    expect(dead.code).toBe(0);
    expect(dead.stdout).toMatch(/^ID\s+TASK\s+STATE\s+ATTEMPTS\s+ENQUEUED\s+FINISHED\s+ERROR$/m);
    for (const failed of [id!, other.id]) {
      expect(dead.stdout).toMatch(
        new RegExp(
          `^${failed.replace('.', '\\.')}\\s+maintenance\\.cleanJobs\\s+failed\\s+1/3\\s+\\S+Z\\s+\\S+Z\\s+HANDLER_ERROR: Unknown family`,
          'm',
        ),
      );
    }

    const since = Date.now();
    const [retried, replayed] = await Promise.all([cli(['retry', id!]), cli(['dead-letter', 'replay', other.id])]);
    expect(retried).toMatchObject({ code: 0, stdout: `job ${id} queued again (waiting)\n` });
    expect(replayed).toMatchObject({ code: 0, stdout: `replayed 1 job(s): ${other.id}\n` });
    await Promise.all([failedAfter(id!, since), failedAfter(other.id, since)]);
    const all = await cli(['dead-letter', 'replay', '--all', '--family', 'maintenance', '--json']);
    expect(all.code).toBe(0);
    expect(json(all)).toEqual({ replayed: expect.arrayContaining([id, other.id]), rejected: [] });
  });

  it.concurrent('cancel and remove jobs that have not run; cancel of a finished job and get of a missing one exit 1', async ({
    expect,
  }) => {
    const finished = await stack.client.maintenance.healthCheck.enqueue({ nonce: 'done', sentAt: new Date() });
    const later = await stack.client.maintenance.healthCheck.enqueue({ nonce: 'later', sentAt: new Date() }, { delayMs: 600_000 });
    const enqueued = await cli([
      'enqueue',
      'maintenance.healthCheck',
      '{"nonce":"later","sentAt":"2030-01-01T00:00:00Z"}',
      '--run-at',
      '2099-01-01T00:00:00Z',
      '--priority',
      '5',
      '--json',
    ]);
    const { id } = json<{ id: string }>(enqueued);
    const delayed = await stack.client.jobs.get(id);
    expect(delayed).toMatchObject({ state: 'delayed', priority: 5 });
    // The API stores a delay from its clock, so runAt comes back within a few ms of what was asked.
    expect(Math.abs(delayed.runAt!.getTime() - Date.parse('2099-01-01T00:00:00Z'))).toBeLessThan(1_000);
    await eventually(async () => ((await stack.client.jobs.get(finished.id)).state === 'completed' ? true : undefined));

    const [cancelled, removed, cancelFinished, missing] = await Promise.all([
      cli(['cancel', id]),
      cli(['remove', later.id, '--json']),
      cli(['cancel', finished.id]),
      cli(['get', 'maintenance.999999', '--json']),
    ]);
    expect(cancelled).toMatchObject({ code: 0, stdout: `job ${id} removed (it had not started)\n` });
    expect(removed.code).toBe(0);
    expect(json(removed)).toEqual({ id: later.id, removed: true });
    expect(cancelFinished).toMatchObject({ code: 1, stderr: `taskwire: INVALID_STATE: Job '${finished.id}' already completed\n` });
    expect(missing).toMatchObject({ code: 1, stderr: "taskwire: NOT_FOUND: No job 'maintenance.999999'\n" });
    expect(json(missing)).toEqual({ error: { code: 'NOT_FOUND', message: "No job 'maintenance.999999'" } });
    for (const gone of [id, later.id]) await expect(stack.client.jobs.get(gone)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.concurrent('list shows jobs as an aligned table, or JSON with ISO dates', async ({ expect }) => {
    const ref = await stack.client.maintenance.healthCheck.enqueue({ nonce: 'listed', sentAt: new Date() });
    await eventually(async () => ((await stack.client.jobs.get(ref.id)).state === 'completed' ? true : undefined));
    const [table, machine] = await Promise.all([
      cli(['list', '--family', 'maintenance', '--state', 'completed', '--limit', '50']),
      cli(['list', '--family', 'maintenance', '--state', 'completed', '--limit', '1', '--json']),
    ]);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+TASK\s+STATE\s+ATTEMPTS\s+ENQUEUED\s+FINISHED\s+ERROR$/);
    expect(rows.find((r) => r.startsWith(`${ref.id} `))).toMatch(
      /^maintenance\.\d+\s+maintenance\.healthCheck\s+completed\s+1\/1\s+\S+Z\s+\S+Z$/,
    );
    for (const row of rows) expect(row.indexOf(' completed ')).toBe(header!.indexOf('STATE') - 1);
    expect(machine.code).toBe(0);
    const jobs = json<{ id: string; state: string; enqueuedAt: string }[]>(machine);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ state: 'completed', enqueuedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/) });
  });

  it.concurrent('list and dead-letter list page across families with --cursor (printed on stderr); --offset there exits 1', async ({
    expect,
  }) => {
    // Far-future delayed jobs of two families no other test here delays: nothing moves them meanwhile.
    const runAt = new Date('2090-01-01T00:00:00Z');
    const refs = [
      ...(await stack.client.email.send.enqueueMany(
        [1, 2, 3].map((n) => ({ input: { to: `paging${n}@example.com`, subject: 'paging', html: '<p>p</p>' }, options: { runAt } })),
      )),
      ...(await stack.client.reports.generate.enqueueMany(
        [1, 2].map((n) => ({
          input: { title: `paging ${n}`, from: new Date(0), to: new Date(1), bucket: 'day' as const },
          options: { runAt },
        })),
      )),
    ];
    try {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const run = await cli(['list', '--state', 'delayed', '--limit', '2', '--json', ...(cursor ? ['--cursor', cursor] : [])]);
        expect(run.code, run.stderr).toBe(0);
        const jobs = json<{ id: string }[]>(run);
        expect(jobs.length).toBeLessThanOrEqual(2);
        seen.push(...jobs.map((j) => j.id));
        cursor = /^next page: --cursor ([A-Za-z0-9_-]+)$/m.exec(run.stderr)?.[1];
        if (!cursor) break;
      }
      expect(cursor).toBeUndefined();
      for (const ref of refs) expect(seen.filter((id) => id === ref.id)).toHaveLength(1);

      const [human, both, across, badCursor] = await Promise.all([
        cli(['list', '--state', 'delayed', '--family', 'email', '--limit', '1']),
        cli(['list', '--state', 'delayed', '--cursor', 'abc', '--offset', '1']),
        cli(['dead-letter', 'list', '--offset', '1']),
        cli(['dead-letter', 'list', '--cursor', 'not-a-cursor']),
      ]);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^ID\s+TASK\s+STATE\s+ATTEMPTS\s+ENQUEUED\s+FINISHED\s+ERROR\nemail\.\d+\s+email\.send\s+delayed\s/);
      expect(human.stderr).toMatch(/^next page: --cursor [A-Za-z0-9_-]+\n$/);
      expect(both).toMatchObject({ code: 2, stdout: '' });
      expect(both.stderr).toMatch(/^taskwire: USAGE: give --cursor or --offset, not both\n/);
      expect(across).toMatchObject({ code: 1, stdout: '' });
      expect(across.stderr).toMatch(/^taskwire: INVALID_INPUT: offset pages one family; .*cursor/);
      expect(badCursor).toMatchObject({ code: 1, stdout: '' });
      expect(badCursor.stderr).toMatch(/^taskwire: INVALID_INPUT: Invalid cursor/);
    } finally {
      await Promise.all(refs.map((ref) => stack.client.jobs.remove(ref.id)));
    }
  });

  it.concurrent('stats as an aligned table; health as a block', async ({ expect }) => {
    const [stats, health] = await Promise.all([cli(['stats']), cli(['health'])]);
    expect(stats.code).toBe(0);
    const [header, ...rows] = stats.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^FAMILY\s+WAITING\s+DELAYED\s+ACTIVE\s+COMPLETED\s+FAILED\s+PAUSED\s+WORKERS\s+RATE LIMIT$/);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(['email', 'reports', 'backups', 'maintenance']);
    const failedEnd = header!.indexOf('FAILED') + 'FAILED'.length;
    for (const row of rows) expect(row.slice(failedEnd - 1, failedEnd + 1)).toMatch(/^\d $/); // numbers right-aligned
    expect(rows[0]).toMatch(/^email\s.*\s50\/1000ms$/);
    expect(rows[2]).toMatch(/^backups\s+0\s+0\s+0\s+0\s+0\s+no\s+0\s+-$/);
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(
      /^status:\s+ok\nredis:\n {2}connected:\s+true\n {2}latencyMs:\s+[\d.]+\nfamilies:\s+email, reports, backups, maintenance\nuptimeSeconds:\s+\d+\n$/,
    );
  });

  it.concurrent('schedules upsert (cron with tz, every N ms with a Date in its input), list and remove', async ({ expect }) => {
    const [nightly, beat] = await Promise.all([
      cli([
        'schedules',
        'upsert',
        'maintenance.cleanJobs',
        'cli-nightly',
        '--cron',
        '0 3 * * *',
        '--tz',
        'Europe/Paris',
        '{"olderThanMs":86400000}',
      ]),
      cli([
        'schedules',
        'upsert',
        'maintenance.healthCheck',
        'cli-beat',
        '--every-ms',
        '3600000',
        '{"nonce":"tick","sentAt":"2030-01-01T00:00:00Z"}',
        '--json',
      ]),
    ]);
    expect(nightly.code).toBe(0);
    expect(nightly.stdout).toMatch(
      /^key:\s+cli-nightly\ncron:\s+0 3 \* \* \*\neveryMs:\s+-\ntz:\s+Europe\/Paris\nnext:\s+\S+Z\ninput:\n {2}olderThanMs:\s+86400000\n/,
    );
    expect(beat.code).toBe(0);
    expect(json(beat)).toMatchObject({
      key: 'cli-beat',
      cron: null,
      everyMs: 3_600_000,
      input: { nonce: 'tick', sentAt: '2030-01-01T00:00:00.000Z' },
    });
    const [stored] = await stack.client.maintenance.healthCheck.schedules.list();
    expect(stored?.input.sentAt).toEqual(new Date('2030-01-01T00:00:00Z'));

    const [table, removedJson] = await Promise.all([
      cli(['schedules', 'list', 'maintenance.cleanJobs']),
      cli(['schedules', 'remove', 'maintenance.healthCheck', 'cli-beat', '--json']),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^KEY\s+SCHEDULE\s+TZ\s+NEXT\s+INPUT\ncli-nightly\s+0 3 \* \* \*\s+Europe\/Paris\s+\S+Z\s+\{"olderThanMs":86400000,/,
    );
    expect(json(removedJson)).toEqual({ key: 'cli-beat', removed: true });
    expect(await stack.client.maintenance.healthCheck.schedules.list()).toEqual([]);
    expect(await cli(['schedules', 'remove', 'maintenance.cleanJobs', 'cli-nightly'])).toMatchObject({
      code: 0,
      stdout: 'schedule cli-nightly removed\n',
    });
    expect(await stack.client.maintenance.cleanJobs.schedules.list()).toEqual([]);
  });

  it.concurrent('a wrong token exits 4; an API that does not answer exits 3', async ({ expect }) => {
    const url = `http://127.0.0.1:${await closedPort()}/trpc`;
    const [wrong, unreachable, unreachableJson] = await Promise.all([
      cli(['health'], { TASKWIRE_TOKEN: 'tw_not-the-right-token-0000000000' }),
      cli(['stats', '--url', url]),
      cli(['get', 'maintenance.1', '--json'], { TASKWIRE_URL: url }),
    ]);
    expect(wrong).toMatchObject({ code: 4, stdout: '', stderr: 'taskwire: UNAUTHORIZED: Invalid token\n' });
    expect(unreachable).toMatchObject({ code: 3, stdout: '' });
    expect(unreachable.stderr).toMatch(/^taskwire: QUEUE_UNAVAILABLE: API unreachable: .*ECONNREFUSED/);
    expect(unreachableJson.code).toBe(3);
    expect(json(unreachableJson)).toMatchObject({ error: { code: 'QUEUE_UNAVAILABLE' } });
  });
});

describe('input coercion (what JSON cannot say, converted along the contract)', () => {
  it('turns ISO strings, digit strings, pair lists and arrays into Date, bigint, Map and Set where the schema wants them', () => {
    const schema = z.object({
      at: z.date(),
      big: z.bigint(),
      byName: z.map(z.string(), z.date()),
      byNumber: z.map(z.number(), z.bigint()).optional(),
      ids: z.set(z.number()),
      when: z.union([z.object({ kind: z.literal('a'), at: z.date() }), z.object({ kind: z.literal('b'), n: z.bigint() })]),
      list: z.array(z.date().nullable()).default([]),
      name: z.string(),
    });
    const sent = {
      at: '2030-01-01T00:00:00Z',
      big: '12345678901234567890',
      byName: [['launch', '2030-02-03T04:05:06.007+02:00']],
      byNumber: { '7': 3 },
      ids: [1, 2, 2],
      when: { kind: 'b', n: 5 },
      list: ['2030-01-02', null],
      name: '2030-01-01T00:00:00Z',
    };
    const input = coerceInput(schema, sent);
    expect(input).toEqual({
      at: new Date('2030-01-01T00:00:00Z'),
      big: 12345678901234567890n,
      byName: new Map([['launch', new Date('2030-02-03T02:05:06.007Z')]]),
      byNumber: new Map([[7, 3n]]),
      ids: new Set([1, 2]),
      when: { kind: 'b', n: 5n },
      list: [new Date('2030-01-02T00:00:00Z'), null],
      name: '2030-01-01T00:00:00Z',
    });
    expect(schema.safeParse(input).success).toBe(true);
    // --json output is accepted back as input.
    expect(coerceInput(schema, JSON.parse(formatJson(input)))).toEqual(input);
    // What cannot be converted is left for the API to reject with its path.
    expect(coerceInput(schema, { at: 'tomorrow', big: 1.5, ids: 'x' })).toEqual({ at: 'tomorrow', big: 1.5, ids: 'x' });
  });
});

describe('exit codes', () => {
  it('map usage errors to 2, unreachable to 3, refused credentials to 4, and any job failure or refusal to 1', () => {
    expect(exitCodeFor(new UsageError('bad'))).toBe(2);
    expect(exitCodeFor(new TaskwireError('QUEUE_UNAVAILABLE'))).toBe(3);
    expect(exitCodeFor(new TaskwireError('UNAUTHORIZED'))).toBe(4);
    expect(exitCodeFor(new TaskwireError('FORBIDDEN'))).toBe(4);
    expect(exitCodeFor(new TaskwireError('INVALID_INPUT'))).toBe(1);
    expect(exitCodeFor(new TaskwireError('NOT_FOUND'))).toBe(1);
    // A job that ran and failed is exit 1, whatever its code.
    expect(exitCodeFor(new JobFailedError('maintenance.1', { code: 'QUEUE_UNAVAILABLE', message: 'lost Redis' }))).toBe(1);
    expect(exitCodeFor(new Error('bug'))).toBe(1);
  });
});
