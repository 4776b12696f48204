/**
 * `taskwire contracts check` as a user meets it: edit a real task file, run the check. Each test
 * works in a copy of the reference deployment's contracts and lock (the tree is never touched),
 * with a config naming their registry and the checkout's node_modules linked in. It first brings
 * the copy's lock up to date, as a tree that passed CI has it.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const root = process.cwd();

interface Run {
  status: number;
  stdout: string;
}

/** The config of the copy: the registry alone (the check needs nothing else). */
const CONFIG = `import { defineConfig } from '@taskwire/shared/node';
import { families } from './contracts/index.ts';
export default defineConfig({ registry: families });
`;

/** A throwaway copy of what `taskwire contracts check` reads: the contracts, their lock, a config. */
async function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'taskwire-contracts-'));
  cpSync(join(root, 'examples/reference/contracts'), join(dir, 'contracts'), { recursive: true });
  cpSync(join(root, 'examples/reference/contracts.lock.json'), join(dir, 'contracts.lock.json'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'taskwire.config.ts'), CONFIG);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const cli = async (command: 'check' | 'update'): Promise<Run> => {
    const args = ['--conditions=taskwire-source', '--import', 'tsx', join(root, 'client/src/cli/main.ts'), 'contracts', command];
    try {
      const { stdout } = await exec(process.execPath, [...args, '--config', join(dir, 'taskwire.config.ts')], {
        cwd: dir,
        encoding: 'utf8',
      });
      return { status: 0, stdout };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string };
      return { status: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '' };
    }
  };
  const space = {
    dir,
    check: () => cli('check'),
    update: () => cli('update'),
    /** Replaces the last occurrence of `from` in a task file; fails if it is not there. */
    edit(file: string, from: string, to: string) {
      const path = join(dir, 'contracts', file);
      const text = readFileSync(path, 'utf8');
      const at = text.lastIndexOf(from);
      if (at < 0) throw new Error(`${file} has no ${JSON.stringify(from)}`);
      writeFileSync(path, text.slice(0, at) + to + text.slice(at + from.length));
    },
    [Symbol.asyncDispose]: async () => rmSync(dir, { recursive: true, force: true }),
  };
  const baseline = await space.update();
  expect(baseline.status, baseline.stdout).toBe(0);
  return space;
}

const breaking = (task: string, where: string, what: RegExp) =>
  new RegExp(`✗ BREAKING {2}${task.replace('.', '\\.')}: ${where}: ${what.source}`);

// Each test runs npm two to four times; under a full parallel run that takes a while.
describe.concurrent('contracts:check on edited task files', { timeout: 120_000 }, () => {
  it('fails on a Date bound added to an input', async () => {
    await using space = await workspace();
    space.edit('email/passwordReset.ts', 'expiresAt: z.date(),', "expiresAt: z.date().min(new Date('2030-01-01')),");
    const result = await space.check();
    expect(result.stdout).toMatch(breaking('email.passwordReset', "input at 'expiresAt'", /minimum 2030-01-01T00:00:00\.000Z added/));
    expect(result.status).toBe(1);
  });

  it('fails on a bigint bound added to an input', async () => {
    await using space = await workspace();
    space.edit(
      'maintenance/cleanJobs.ts',
      'olderThanMs: z.number().int().min(0),',
      'olderThanMs: z.number().int().min(0),\n    maxBytes: z.bigint().optional(),',
    );
    expect((await space.update()).status).toBe(0);
    space.edit('maintenance/cleanJobs.ts', 'maxBytes: z.bigint().optional(),', 'maxBytes: z.bigint().max(1_000_000_000_000n).optional(),');
    const result = await space.check();
    expect(result.stdout).toMatch(breaking('maintenance.cleanJobs', "input at 'maxBytes'", /maximum 1000000000000 added/));
    expect(result.status).toBe(1);
  });

  it('fails on a size limit added to a Set', async () => {
    await using space = await workspace();
    space.edit('email/send.ts', 'sendAt: z.date().optional(),', 'sendAt: z.date().optional(),\n    tags: z.set(z.string()).optional(),');
    expect((await space.update()).status).toBe(0);
    space.edit('email/send.ts', 'tags: z.set(z.string()).optional(),', 'tags: z.set(z.string()).max(10).optional(),');
    const result = await space.check();
    expect(result.stdout).toMatch(breaking('email.send', "input at 'tags'", /maxItems 10 added/));
    expect(result.status).toBe(1);
  });

  it('fails on a size limit added to a Map', async () => {
    await using space = await workspace();
    space.edit(
      'email/send.ts',
      'sendAt: z.date().optional(),',
      'sendAt: z.date().optional(),\n    headers: z.map(z.string(), z.string()).optional(),',
    );
    expect((await space.update()).status).toBe(0);
    space.edit(
      'email/send.ts',
      'headers: z.map(z.string(), z.string()).optional(),',
      'headers: z.map(z.string(), z.string()).max(20).optional(),',
    );
    const result = await space.check();
    expect(result.stdout).toMatch(breaking('email.send', "input at 'headers'", /maxItems 20 added/));
    expect(result.status).toBe(1);
  });

  it("fails on a URL's protocol narrowed", async () => {
    await using space = await workspace();
    space.edit('email/passwordReset.ts', 'resetUrl: z.url({ protocol: /^https?$/ }),', 'resetUrl: z.url({ protocol: /^https$/ }),');
    const result = await space.check();
    expect(result.stdout).toMatch(breaking('email.passwordReset', "input at 'resetUrl'", /URL protocol tightened/));
    expect(result.status).toBe(1);
  });

  it('fails on an input object made strict', async () => {
    await using space = await workspace();
    space.edit('email/passwordReset.ts', 'input: z.object({', 'input: z.strictObject({');
    const result = await space.check();
    expect(result.stdout).toMatch(breaking('email.passwordReset', 'input', /unknown keys are now rejected/));
    expect(result.status).toBe(1);
  });

  it("passes a pattern's bound widened as compatible, and the update records it", async () => {
    await using space = await workspace();
    space.edit('backups/snapshot.ts', '[a-zA-Z0-9._-]{0,99}$', '[a-zA-Z0-9._-]{0,199}$');
    const result = await space.check();
    expect(result.stdout).not.toMatch(/BREAKING/);
    expect(result.stdout).toMatch(/• out of date {2}backups\.snapshot: compatible changes .*input at 'name': pattern loosened/);
    expect((await space.update()).status).toBe(0);
    expect((await space.check()).status).toBe(0);
  });

  it('passes an enum turned into a string every old value meets as compatible', async () => {
    await using space = await workspace();
    space.edit('email/invite.ts', "role: z.enum(['member', 'admin']),", 'role: z.string().min(1),');
    const result = await space.check();
    expect(result.stdout).not.toMatch(/BREAKING/);
    expect(result.stdout).toMatch(/• out of date {2}email\.invite: .*input at 'role': no longer restricted to 'member'\|'admin'/);
    expect((await space.update()).status).toBe(0);
    expect((await space.check()).status).toBe(0);
  });

  it('names, without failing, a field whose constraint the lock cannot record', async () => {
    await using space = await workspace();
    const result = await space.check();
    expect(result.stdout).toMatch(/⚠ unchecked {2}reports\.generate: input: a refinement/);
    expect(result.status).toBe(0);
  });

  it('reads a lock written before URL protocols were recorded, asks for an update, then passes', async () => {
    await using space = await workspace();
    const lockPath = join(space.dir, 'contracts.lock.json');
    writeFileSync(lockPath, JSON.stringify(asOlderLock(JSON.parse(readFileSync(lockPath, 'utf8'))), null, 2));
    const stale = await space.check();
    expect(stale.stdout).not.toMatch(/BREAKING/);
    expect(stale.stdout).toMatch(/• out of date {2}email\.passwordReset: the lock was written by an older taskwire .*'resetUrl'/);
    expect(stale.status).toBe(1);
    expect((await space.update()).status).toBe(0);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).lockVersion).toBe(2);
    expect((await space.check()).status).toBe(0);
  });
});

/** What an older taskwire wrote for the same contracts: none of what it did not record. */
function asOlderLock(lock: { lockVersion: number }): unknown {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    const wire = (node as Record<string, unknown>)['x-wire'];
    for (const [key, value] of Object.entries(node)) {
      if (['x-protocol', 'x-hostname', 'x-options', 'x-catch', 'x-coerce', 'formatMinimum', 'formatMaximum', 'vocabulary'].includes(key))
        continue;
      if (wire === 'bigint' && ['minimum', 'maximum', 'multipleOf'].includes(key)) continue;
      if ((wire === 'Set' || wire === 'Map') && ['minItems', 'maxItems'].includes(key)) continue;
      out[key] = strip(value);
    }
    return out;
  };
  return { ...(strip(lock) as object), lockVersion: 1 };
}
