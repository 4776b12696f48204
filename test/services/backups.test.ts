import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NonRetriableError } from '@taskwire/shared';
import { snapshot } from '@taskwire-example/reference/contracts';
import * as tar from 'tar';
import { describe, expect, test } from 'vitest';
import { backupsHandlers } from '../../examples/reference/handlers/backups.ts';
import { snapshotDirectory } from '../../examples/reference/services/backups.ts';
import { scanTree } from '../../examples/reference/services/scan-tree.ts';
import { listDir, redisFixture, tempDir, withEnv } from './support.ts';

/** A tree with nested, binary, empty, oddly named and linked entries. Returns the regular files. */
async function makeTree(root: string): Promise<string[]> {
  const files: Record<string, Buffer | string> = {
    'readme.txt': 'hello\n',
    'nested/deep/er/data.bin': randomBytes(256 * 1024),
    'nested/zeros.bin': Buffer.alloc(10_000),
    'with space & ümlaut.txt': 'x',
    '@starts-with-at.txt': 'tar.create() would read this name as an archive to merge',
    '.hidden': '',
  };
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  await mkdir(join(root, 'empty-dir'));
  await symlink('readme.txt', join(root, 'link-to-readme'));
  return Object.keys(files);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('snapshotDirectory', () => {
  test('archives the tree with a verifiable checksum and restores it byte for byte', async () => {
    await using source = await tempDir('src');
    await using backups = await tempDir('bak');
    await using restored = await tempDir('out');
    const files = await makeTree(source.path);
    const progress: unknown[] = [];
    const createdAt = new Date('2025-01-02T03:04:05.678Z');

    const input = snapshot.input.parse({ source: source.path, name: 'site.data' });
    const result = snapshot.output.parse(
      await snapshotDirectory(input, {
        dir: backups.path,
        sources: [source.path],
        progress: (p) => void progress.push(p),
        now: () => createdAt,
      }),
    );

    expect(result.path).toBe(join(backups.path, 'site.data', 'site.data-2025-01-02T03-04-05-678Z.tar.gz'));
    expect(result.createdAt).toEqual(createdAt);
    expect(result.files).toBe(files.length);
    expect(result.pruned).toEqual([]);
    expect(progress).toEqual([
      { stage: 'scan' },
      { stage: 'archive', files: files.length },
      { stage: 'checksum', files: files.length },
      { stage: 'prune', files: files.length },
    ]);

    const archive = await readFile(result.path);
    expect(result.bytes).toBe(archive.length);
    expect(archive.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(sha256(archive)).toBe(result.sha256);
    const sidecar = await readFile(`${result.path}.sha256`, 'utf8');
    expect(sidecar).toBe(`${result.sha256}  ${basename(result.path)}\n`);
    expect(await listDir(dirname(result.path))).toEqual([basename(result.path), `${basename(result.path)}.sha256`]);

    const listed: string[] = [];
    await tar.t({ file: result.path, onReadEntry: (entry) => void listed.push(entry.path) });
    expect(listed.every((p) => !p.startsWith('/') && !p.includes(source.path))).toBe(true);
    expect(listed).toContain('nested/deep/er/data.bin');

    await tar.x({ file: result.path, cwd: restored.path });
    const before = await scanTree(source.path);
    const after = await scanTree(restored.path);
    expect(after).toEqual(before);
    for (const path of files) {
      expect((await readFile(join(restored.path, path))).equals(await readFile(join(source.path, path)))).toBe(true);
    }
    expect(await readlink(join(restored.path, 'link-to-readme'))).toBe('readme.txt');
    expect((await stat(join(restored.path, 'empty-dir'))).isDirectory()).toBe(true);
  });

  test('keeps only the newest keepLast archives of a set, with their sidecars', async () => {
    await using source = await tempDir('src');
    await using backups = await tempDir('bak');
    await writeFile(join(source.path, 'a.txt'), 'a');
    const clock = [0, 1, 2].map((i) => new Date(Date.UTC(2025, 0, 1, 0, 0, i)));
    const input = snapshot.input.parse({ source: source.path, name: 'db', keepLast: 2 });

    const results = [];
    for (const at of clock) results.push(await snapshotDirectory(input, { dir: backups.path, sources: [source.path], now: () => at }));

    const [first, second, third] = results;
    expect(first?.pruned).toEqual([]);
    expect(second?.pruned).toEqual([]);
    expect(third?.pruned).toEqual([first?.path]);
    const names = (r: typeof first) => [basename(r?.path ?? ''), `${basename(r?.path ?? '')}.sha256`];
    expect(await listDir(join(backups.path, 'db'))).toEqual([...names(second), ...names(third)]);
  });

  test('leaves other sets and the backups dir itself out of an archive', async () => {
    await using source = await tempDir('src');
    await writeFile(join(source.path, 'a.txt'), 'a');
    const dir = join(source.path, 'backups');
    await snapshotDirectory(snapshot.input.parse({ source: source.path, name: 'other' }), { dir, sources: [source.path] });

    const result = await snapshotDirectory(snapshot.input.parse({ source: source.path, name: 'self' }), { dir, sources: [source.path] });

    const listed: string[] = [];
    await tar.t({ file: result.path, onReadEntry: (entry) => void listed.push(entry.path) });
    expect(listed).toEqual(['a.txt']);
    expect(result.files).toBe(1);
  });

  test('leaves the backups dir out when the source and the backups dir are reached through a symlink', async () => {
    await using root = await tempDir('root');
    const real = join(root.path, 'real');
    const link = join(root.path, 'link');
    await mkdir(real);
    await writeFile(join(real, 'a.txt'), 'a');
    await symlink(real, link);
    const deps = { dir: join(link, 'backups'), sources: [root.path] };
    await snapshotDirectory(snapshot.input.parse({ source: link, name: 'first' }), deps);

    const result = await snapshotDirectory(snapshot.input.parse({ source: link, name: 'second' }), deps);

    const listed: string[] = [];
    await tar.t({ file: result.path, onReadEntry: (entry) => void listed.push(entry.path) });
    expect(listed).toEqual(['a.txt']);
  });

  test('a missing or non-directory source fails without retry', async () => {
    await using backups = await tempDir('bak');
    const missing = snapshot.input.parse({ source: join(backups.path, 'nope'), name: 'x' });
    await expect(snapshotDirectory(missing, { dir: backups.path, sources: [backups.path] })).rejects.toBeInstanceOf(NonRetriableError);
    await writeFile(join(backups.path, 'file'), 'x');
    const file = snapshot.input.parse({ source: join(backups.path, 'file'), name: 'x' });
    await expect(snapshotDirectory(file, { dir: backups.path, sources: [backups.path] })).rejects.toThrow(/is not a directory/);
    expect(await listDir(backups.path)).toEqual(['file']);
  });

  test('only directories inside BACKUP_SOURCES are archived: not outside, not through a symlink pointing out, none when unset', async () => {
    await using allowed = await tempDir('allowed');
    await using outside = await tempDir('outside');
    await using backups = await tempDir('bak');
    await writeFile(join(outside.path, 'secret.txt'), 'not for backups');
    await mkdir(join(allowed.path, 'data'));
    await writeFile(join(allowed.path, 'data', 'a.txt'), 'a');
    await symlink(outside.path, join(allowed.path, 'escape'));
    const deps = { dir: backups.path, sources: [allowed.path] };
    const run = (source: string, sources = deps.sources) =>
      snapshotDirectory(snapshot.input.parse({ source, name: 'x' }), { ...deps, sources });

    expect((await run(join(allowed.path, 'data'))).files).toBe(1);
    expect((await run(allowed.path)).files).toBe(1);
    await expect(run(outside.path)).rejects.toThrow(new RegExp(`${outside.path} is not inside BACKUP_SOURCES \\(${allowed.path}\\)`));
    await expect(run(`${allowed.path}-sibling`)).rejects.toThrow(/is not inside BACKUP_SOURCES/);
    await expect(run(join(allowed.path, '..', basename(outside.path)))).rejects.toBeInstanceOf(NonRetriableError);
    await expect(run(join(allowed.path, 'escape'))).rejects.toThrow(/escape is not inside BACKUP_SOURCES/);
    // Refused before the file system is read: the same answer whether the path exists or not.
    await expect(run('/no/such/dir')).rejects.toThrow(/is not inside BACKUP_SOURCES/);
    await expect(run(join(allowed.path, 'data'), [])).rejects.toThrow(/BACKUP_SOURCES is not set, so no directory may be archived/);
    expect((await listDir(join(backups.path, 'x'))).filter((f) => f.endsWith('.tar.gz'))).toHaveLength(2);
  });

  test('a directory swapped for a symlink between the scan and the read does not put outside files into the archive', async () => {
    await using source = await tempDir('src');
    await using outside = await tempDir('outside');
    await using backups = await tempDir('bak');
    await mkdir(join(source.path, 'sub'));
    await writeFile(join(source.path, 'sub', 'data.txt'), 'inside');
    await writeFile(join(outside.path, 'data.txt'), 'outside secret');
    const input = snapshot.input.parse({ source: source.path, name: 'swap' });

    // 'archive' is reported after the scan and before the first entry is read: the swap lands
    // exactly in the window an attacker (or a concurrent deploy) would use.
    const run = snapshotDirectory(input, {
      dir: backups.path,
      sources: [source.path],
      progress: async (p) => {
        if (p.stage !== 'archive') return;
        await rm(join(source.path, 'sub'), { recursive: true });
        await symlink(outside.path, join(source.path, 'sub'));
      },
    });

    await expect(run).rejects.toBeInstanceOf(NonRetriableError);
    await expect(run).rejects.toThrow(/sub changed while it was archived/);
    expect(await listDir(join(backups.path, 'swap'))).toEqual([]);
  });

  test('an aborted signal leaves no archive behind', async () => {
    await using source = await tempDir('src');
    await using backups = await tempDir('bak');
    await writeFile(join(source.path, 'big.bin'), randomBytes(4 * 1024 * 1024));
    const controller = new AbortController();
    const input = snapshot.input.parse({ source: source.path, name: 'big' });

    // Abort once archiving has started, so the stream itself must stop.
    const run = snapshotDirectory(input, {
      dir: backups.path,
      sources: [source.path],
      signal: controller.signal,
      progress: (p) => {
        if (p.stage === 'archive') setImmediate(() => controller.abort(new Error('cancelled')));
      },
    });

    await expect(run).rejects.toThrow();
    expect(await listDir(join(backups.path, 'big'))).toEqual([]);
  });

  test('the handler archives into BACKUPS_DIR', async () => {
    await using source = await tempDir('src');
    await using backups = await tempDir('bak');
    await using fx = await redisFixture();
    await writeFile(join(source.path, 'a.txt'), 'a');
    using _env = withEnv({ BACKUPS_DIR: backups.path, BACKUP_SOURCES: source.path });

    const result = await backupsHandlers.handlers.snapshot(snapshot.input.parse({ source: source.path, name: 'h' }), fx.context(snapshot));

    expect(dirname(result.path)).toBe(join(backups.path, 'h'));
    expect(fx.progress.map((p) => (p as { stage: string }).stage)).toEqual(['scan', 'archive', 'checksum', 'prune']);
  });
});
