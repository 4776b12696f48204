import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineFamily, defineRegistry, defineTask, migration } from '@taskwire/shared';
import { buildLock, checkContracts, parseLock } from '@taskwire/shared/evolution';
import { families, sendEmail } from '@taskwire-example/reference/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const committed = parseLock(readFileSync('examples/reference/contracts.lock.json', 'utf8'));

/** The reference registry with `email.send` replaced. */
function withSend(send: ReturnType<typeof defineTask>) {
  const email = defineFamily('email', { ...families.email.tasks, send } as typeof families.email.tasks);
  return defineRegistry({ ...families, email } as typeof families);
}

const sendInput = sendEmail.input;
/** email.send's definition, to edit one part at a time. */
const sendDefinition = {
  id: sendEmail.id,
  version: sendEmail.version,
  input: sendInput,
  output: sendEmail.output,
  progress: sendEmail.progress,
  defaults: sendEmail.defaults,
};

describe('checkContracts against the committed lock', () => {
  it('is green for the committed contracts', () => {
    expect(checkContracts(families, committed).problems).toEqual([]);
  });

  it('names the task, part and path of a breaking edit made without a version bump', () => {
    const send = defineTask({ ...sendDefinition, input: sendInput.extend({ cc: z.array(z.email()).max(50) }) });
    const report = checkContracts(withSend(send), committed);
    expect(report.problems).toEqual([
      expect.objectContaining({
        severity: 'breaking',
        task: 'email.send',
        part: 'input',
        path: 'cc',
        message: expect.stringMatching(/required.*bump the version to 2 and add a migration from 1/),
      }),
    ]);
  });

  it('reports a change of flow control (added, retuned, removed) as stale, not breaking, and records it in the lock', () => {
    const throttled = defineTask({ ...sendDefinition, flow: { throttle: { key: (input) => input.to, ttlMs: 60_000 } } });
    expect(checkContracts(withSend(throttled), committed).problems).toEqual([
      { severity: 'stale', task: 'email.send', message: 'flow control changed: none → throttle ttlMs=60000' },
    ]);
    const locked = buildLock(withSend(throttled), committed);
    expect(locked.tasks['email.send']?.flow).toEqual({ kind: 'throttle', ttlMs: 60_000 });
    expect(checkContracts(withSend(throttled), locked).problems).toEqual([]);
    // The key function is code the lock cannot record; its settings are.
    const otherKey = defineTask({ ...sendDefinition, flow: { throttle: { key: (input) => input.subject, ttlMs: 60_000 } } });
    expect(checkContracts(withSend(otherKey), locked).problems).toEqual([]);
    const debounced = defineTask({
      ...sendDefinition,
      flow: { debounce: { key: (input) => input.to, delayMs: 5_000, maxDelayMs: 60_000 } },
    });
    expect(checkContracts(withSend(debounced), locked).problems).toEqual([
      {
        severity: 'stale',
        task: 'email.send',
        message: 'flow control changed: throttle ttlMs=60000 → debounce delayMs=5000 mode=trailing maxDelayMs=60000',
      },
    ]);
    expect(checkContracts(withSend(defineTask(sendDefinition)), locked).problems).toEqual([
      { severity: 'stale', task: 'email.send', message: 'flow control changed: throttle ttlMs=60000 → none' },
    ]);
  });

  it('refuses flow settings that cannot work, naming the task', () => {
    const key = (input: { to: string }) => input.to;
    expect(() => defineTask({ ...sendDefinition, flow: { unique: { key, ttlMs: 0 } } })).toThrow(/email\.send.*flow\.unique\.ttlMs/);
    expect(() => defineTask({ ...sendDefinition, flow: { debounce: { key, delayMs: 5_000, maxDelayMs: 1_000 } } })).toThrow(
      /maxDelayMs is below delayMs/,
    );
    // @ts-expect-error one knob per task
    expect(() => defineTask({ ...sendDefinition, flow: { unique: { key, ttlMs: 1_000 }, singleton: { key } } })).toThrow(/one of/);
    // @ts-expect-error the key is a function of the input
    expect(() => defineTask({ ...sendDefinition, flow: { singleton: { key: 'to' } } })).toThrow(/key must be a function/);
  });

  it('judges output changes from the caller side', () => {
    const send = defineTask({ ...sendDefinition, output: sendEmail.output.omit({ accepted: true }) });
    const [problem] = checkContracts(withSend(send), committed).problems;
    expect(problem).toMatchObject({ severity: 'breaking', part: 'output', path: 'accepted' });
  });

  it('asks for a migration when the version is bumped without one, and accepts it with one', () => {
    const input = sendInput.extend({ cc: z.array(z.email()).min(1) });
    const bare = defineTask({ ...sendDefinition, version: 2, input });
    const problems = checkContracts(withSend(bare), committed).problems;
    expect(problems).toContainEqual(
      expect.objectContaining({ severity: 'breaking', message: expect.stringMatching(/no migration from version 1/) }),
    );
    const migrated = defineTask({
      ...sendDefinition,
      version: 2,
      input,
      migrations: { 1: migration(sendInput, (old) => ({ ...old, cc: old.cc?.length ? old.cc : [old.to] })) },
    });
    const report = checkContracts(withSend(migrated), committed);
    expect(report.problems.filter((p) => p.severity === 'breaking')).toEqual([]);
    expect(report.problems).toContainEqual(
      expect.objectContaining({ severity: 'stale', message: expect.stringMatching(/version 2 is not in the lock/) }),
    );
    // Once the lock is updated, it is green, and keeps version 1 for queued jobs.
    const next = buildLock(withSend(migrated), committed);
    expect(Object.keys(next.tasks['email.send']!.versions)).toEqual(['1', '2']);
    expect(checkContracts(withSend(migrated), next).problems).toEqual([]);
  });

  it('flags a migration that does not accept what old jobs hold', () => {
    const narrower = sendInput.extend({ subject: z.string().min(5) });
    const task = defineTask({ ...sendDefinition, version: 2, migrations: { 1: migration(narrower, (old) => old) } });
    const problems = checkContracts(withSend(task), committed).problems;
    expect(problems).toContainEqual(
      expect.objectContaining({
        severity: 'breaking',
        path: 'subject',
        message: expect.stringMatching(/migration from version 1 does not accept/),
      }),
    );
  });

  it('reports compatible drift as out of date, and a removed task as breaking', () => {
    const send = defineTask({ ...sendDefinition, input: sendInput.extend({ bcc: z.array(z.email()).optional() }) });
    expect(checkContracts(withSend(send), committed).problems).toEqual([
      expect.objectContaining({ severity: 'stale', task: 'email.send' }),
    ]);
    const { backups: _gone, ...rest } = families;
    expect(checkContracts(defineRegistry(rest), committed).problems).toEqual([
      expect.objectContaining({ severity: 'breaking', task: 'backups.snapshot', message: expect.stringMatching(/task removed/) }),
    ]);
  });
});

describe('taskwire contracts check', () => {
  const run = (command: string, ...args: string[]) =>
    spawnSync(
      process.execPath,
      [
        '--conditions=taskwire-source',
        '--import',
        'tsx',
        'client/src/cli/main.ts',
        'contracts',
        command,
        '--config',
        'examples/reference/taskwire.config.ts',
        ...args,
      ],
      { encoding: 'utf8' },
    );

  it('exits 0 on the committed tree', () => {
    const result = run('check');
    expect(result.stdout).toMatch(/contracts: 8 tasks match examples\/reference\/contracts.lock.json/);
    expect(result.status).toBe(0);
  });

  it('exits 1 with the task and path when the lock holds a contract the code broke', () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskwire-lock-'));
    try {
      // A lock in which email.send's `subject` accepted any length: today's min(1) narrows it.
      const lock = structuredClone(committed);
      const props = (lock.tasks['email.send']!.versions['1']!.input as { properties: Record<string, Record<string, unknown>> }).properties;
      delete props.subject!.minLength;
      const path = join(dir, 'lock.json');
      writeFileSync(path, JSON.stringify(lock));
      const result = run('check', '--lock', path);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/✗ BREAKING {2}email\.send: input at 'subject': .*minLength/);
      const update = run('update', '--lock', path);
      expect(update.status).toBe(1);
      expect(update.stdout).toMatch(/not updating/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
