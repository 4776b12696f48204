/**
 * taskwire as another team meets it: the four packages packed (`npm pack`) and installed into a
 * fresh app outside the workspace, which declares its own task, compiles with strict TypeScript
 * against the packed `.d.ts` files, and runs with plain `node`. The app's first files are the
 * README's "Your first task", read from the README itself, so the documentation is what runs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from '../fixtures/build.ts';
import { dropPrefix, redisUrl, uniquePrefix } from '../fixtures/harness.ts';
import { type Child, spawnNode } from '../fixtures/processes.ts';

const exec = promisify(execFile);
const root = process.cwd();
const PACKAGES = ['shared', 'router', 'worker', 'client'] as const;

/** The code blocks of the README's "Your first task" whose first line names their file. */
function readmeFiles(): Record<string, string> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Your first task'), readme.indexOf('## The reference deployment'));
  const files: Record<string, string> = {};
  for (const match of section.matchAll(/```(?:ts|json)\n\/\/ (\S+)\n([\s\S]*?)```/g)) files[match[1] as string] = match[2] as string;
  return files;
}

/** Files of the app beyond the README's: handlers for the binaries, a stock tRPC client, type probes. */
const APP_FILES: Record<string, string> = {
  'src/handlers.ts': `import { defineHandlers } from '@taskwire/worker';
import { registry } from './tasks.js';
export const hello = defineHandlers(registry.hello, { greet: async ({ name, at }) => ({ message: \`Hi, \${name}\`, at }) });
`,
  'taskwire.config.mjs': `import { defineConfig } from '@taskwire/shared/node';
import { hello } from './dist/handlers.js';
import { registry } from './dist/tasks.js';
export default defineConfig({ registry, handlers: { hello } });
`,
  // A stock tRPC client typed with the deployment's router type (the router's type-only entry), over HTTP with superjson.
  'src/stock.ts': `import type { TaskwireRouter } from '@taskwire/router/types';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import type { registry } from './tasks.js';

const trpc = createTRPCClient<TaskwireRouter<typeof registry>>({ links: [httpBatchLink({ url: process.env.API_URL as string, transformer: superjson })] });
const at = new Date('2030-01-02T03:04:05.000Z');
const ref = await trpc.hello.greet.enqueue.mutate({ input: { name: 'Stock', at } });
for (let i = 0; i < 200; i++) {
  const view = await trpc.hello.greet.get.query({ id: ref.id });
  if (view.state === 'completed' && view.result) {
    console.log(JSON.stringify({ message: view.result.message, isDate: view.result.at instanceof Date, at: view.result.at.toISOString() }));
    process.exit(0);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
process.exit(1);
`,
  // Compiles only if the wrong field is an error (an unused @ts-expect-error is one).
  'src/wrong.ts': `import { createClient } from '@taskwire/client';
import type { registry } from './tasks.js';
export async function wrong(tw: ReturnType<typeof createClient<typeof registry>>) {
  // @ts-expect-error: 'when' is not a field of hello.greet's input
  await tw.hello.greet.enqueue({ name: 'Ada', when: new Date() });
  const out = await tw.hello.greet.run({ name: 'Ada', at: new Date() });
  const message: string = out.message;
  const at: Date = out.at;
  return { message, at };
}
`,
  // The handlers run in the test harness, no Redis: the worker's ./testing entry, from its .d.ts and with plain node.
  'src/harness-run.ts': `import { createTestHarness } from '@taskwire/worker/testing';
import { hello } from './handlers.js';
import { greet, registry } from './tasks.js';
const harness = createTestHarness({ registry, handlers: [hello] });
const ref = harness.enqueue(greet, { name: 'Grace', at: new Date('2030-01-02T03:04:05.000Z') });
let refused = '';
try {
  // @ts-expect-error: 'when' is not a field of hello.greet's input
  harness.enqueue(greet, { name: 'Grace', when: new Date() });
} catch (error) {
  refused = (error as { code: string }).code;
}
await harness.runUntilIdle();
const out = harness.result(ref);
const message: string = out.message;
console.log(JSON.stringify({ message, isDate: out.at instanceof Date, state: harness.job(ref).state, refused }));
`,
  // What a consumer that only calls the API compiles: the client, nothing else.
  'src/only-client.ts': `import { createClient } from '@taskwire/client';
export const connect = (url: string) => createClient({ url });
`,
  'tsconfig.consumer.json': `{ "compilerOptions": { "target": "ES2023", "module": "NodeNext", "strict": true, "skipLibCheck": true, "noEmit": true }, "files": ["src/only-client.ts"] }
`,
};

let app: string;
let tarballs: string;

beforeAll(async () => {
  tarballs = mkdtempSync(join(tmpdir(), 'taskwire-packs-'));
  app = mkdtempSync(join(tmpdir(), 'taskwire-app-'));
  await buildPackages(root);
  await exec('npm', ['pack', ...PACKAGES.flatMap((p) => ['-w', p]), '--pack-destination', tarballs], { cwd: root });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'outside-app', private: true, type: 'module' }, null, 2));
  const versions = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages as Record<string, { version: string }>;
  const pinned = (name: string) => `${name}@${versions[`node_modules/${name}`]?.version}`;
  await exec(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      ...PACKAGES.map((p) => join(tarballs, `taskwire-${p}-0.1.0.tgz`)),
      ...['zod', 'typescript', '@types/node', '@trpc/client', 'superjson'].map(pinned),
    ],
    { cwd: app },
  );
  for (const [path, text] of Object.entries({ ...readmeFiles(), ...APP_FILES })) {
    mkdirSync(dirname(join(app, path)), { recursive: true });
    writeFileSync(join(app, path), text);
  }
}, 240_000);

afterAll(() => {
  rmSync(app, { recursive: true, force: true });
  rmSync(tarballs, { recursive: true, force: true });
});

/** The app's own TypeScript; a failure carries the compiler's report. */
const tsc = (...args: string[]) =>
  exec(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), ...args], { cwd: app }).catch((error: { stdout?: string }) => {
    throw new Error(`tsc ${args.join(' ')} failed:\n${error.stdout ?? ''}`);
  });

describe('an app outside the workspace, on the packed packages', () => {
  it('type-checks strictly against the .d.ts files (a wrong input field is an error) and runs the README first task with plain node', async () => {
    await tsc('-p', '.');
    const { stdout } = await exec(process.execPath, ['dist/main.js'], { cwd: app, env: { ...process.env, REDIS_URL: redisUrl() } });
    expect(stdout.trim()).toBe('Hello, Ada true');
  }, 120_000);

  it('runs taskwire-api and taskwire-worker from a taskwire.config.mjs, called by a stock tRPC client', async () => {
    const env = { REDIS_URL: redisUrl(), TASKWIRE_PREFIX: uniquePrefix('app'), TASKWIRE_AUTH: 'open', PORT: '0', HOST: '127.0.0.1' };
    const running: Child[] = [];
    try {
      const api = spawnNode(['node_modules/@taskwire/router/bin/taskwire-api.js'], { ...env, TASKWIRE_CONFIG: 'taskwire.config.mjs' }, app);
      running.push(api);
      const worker = spawnNode(
        ['node_modules/@taskwire/worker/bin/taskwire-worker.js', '--config', 'taskwire.config.mjs', '--family', 'hello'],
        env,
        app,
      );
      running.push(worker);
      const { url } = JSON.parse(await api.waitFor(/"event":"api.started"/, 30_000)) as { url: string };
      await worker.waitFor(/"event":"worker.started"/, 30_000);
      const { stdout } = await exec(process.execPath, ['dist/stock.js'], { cwd: app, env: { ...process.env, API_URL: url } });
      expect(JSON.parse(stdout)).toEqual({ message: 'Hi, Stock', isDate: true, at: '2030-01-02T03:04:05.000Z' });
      expect(await worker.stop('SIGTERM')).toBe(0);
      expect(await api.stop('SIGTERM')).toBe(0);
    } finally {
      await Promise.all(running.map((child) => child.stop('SIGKILL')));
      await dropPrefix(env.REDIS_URL, env.TASKWIRE_PREFIX);
    }
  }, 120_000);

  it('runs the handlers in the test harness with plain node, no Redis (@taskwire/worker/testing)', async () => {
    const { stdout } = await exec(process.execPath, ['dist/harness-run.js'], {
      cwd: app,
      env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' },
    });
    expect(JSON.parse(stdout)).toEqual({ message: 'Hi, Grace', isDate: true, state: 'completed', refused: 'INVALID_INPUT' });
  }, 60_000);

  it('a consumer that imports only the client compiles .d.ts files, no taskwire source', async () => {
    const { stdout: list } = await tsc('-p', 'tsconfig.consumer.json', '--listFilesOnly');
    const files = list.trim().split('\n');
    const taskwire = files.filter((file) => file.includes('/node_modules/@taskwire/'));
    expect(taskwire.length).toBeGreaterThan(0);
    expect(taskwire.filter((file) => !file.endsWith('.d.ts'))).toEqual([]);
    // The router is reached through its type-only entry, never its main one (the server's run time).
    expect(taskwire.filter((file) => file.endsWith('/@taskwire/router/dist/index.d.ts'))).toEqual([]);
    const { stdout: diagnostics } = await tsc('-p', 'tsconfig.consumer.json', '--extendedDiagnostics');
    const seconds = Number(/Total time:\s+([\d.]+)s/.exec(diagnostics)?.[1]);
    console.log(
      `consumer of @taskwire/client alone: tsc reads ${files.length} files (${taskwire.length} of them taskwire .d.ts), ${seconds.toFixed(2)} s`,
    );
    expect(seconds).toBeGreaterThan(0);
  }, 60_000);
});
