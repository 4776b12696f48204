/**
 * @taskwire/client as a browser app gets it: the built packages (dist/, under the conditions a
 * bundler for the browser uses, not taskwire-source) bundled by esbuild for the browser, then the
 * page run in headless Chromium against a live API, served from the same origin.
 *
 * Sizes are compared with stock tRPC clients bundled in the same run, each entry making one client
 * and nothing else: bare (`httpBatchLink` + superjson) and with the client's HTTP transports
 * (batching, plus SSE for subscriptions). They are written to var/browser-bundle/sizes.json, with
 * the test page's own size and a screenshot of the page.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from '../fixtures/build.ts';
import { launchChromium } from '../fixtures/chromium.ts';
import { startStack } from '../fixtures/harness.ts';
import { labHandlers, labRegistry } from '../fixtures/lab.ts';

const exec = promisify(execFile);
const root = process.cwd();
const dir = join(root, 'var', 'browser-bundle');
/** Screenshots, for a person to look at (ignored by git). */
const artifacts = join(root, 'test', 'artifacts');
const TOKEN = 'tw_browser-bundle-admin-token-000';

interface Bundle {
  path: string;
  text: string;
  gzipBytes: number;
  /** The files esbuild put in it, relative to the repository. */
  inputs: string[];
}

/** `esbuild --platform=browser --bundle --minify --format=esm` of an entry; rejects with esbuild's report. */
async function bundle(entry: string, name: string, extra: string[] = []): Promise<Bundle> {
  const path = join(dir, `${name}.js`);
  const meta = join(dir, `${name}.meta.json`);
  await exec(
    join(root, 'node_modules/.bin/esbuild'),
    [
      entry,
      '--bundle',
      '--platform=browser',
      '--minify',
      '--format=esm',
      `--outfile=${path}`,
      `--metafile=${meta}`,
      '--log-level=error',
      ...extra,
    ],
    { cwd: root },
  ).catch((error: { stderr?: string }) => {
    throw new Error(`esbuild ${entry} failed:\n${error.stderr ?? ''}`);
  });
  const text = readFileSync(path, 'utf8');
  const inputs = Object.keys((JSON.parse(readFileSync(meta, 'utf8')) as { inputs: Record<string, unknown> }).inputs);
  return { path, text, gzipBytes: gzipSync(text).length, inputs };
}

/** The packages (node_modules/<name>) a bundle holds code of. */
const packagesIn = (inputs: readonly string[]) =>
  [...new Set(inputs.flatMap((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? []))].sort();

/**
 * Serves the page and its bundle, and passes everything else (tRPC over HTTP, SSE, WebSocket
 * upgrades) to the API: the page and the API share an origin, as behind a reverse proxy.
 */
async function servePage(files: Record<string, { type: string; body: string }>, api: URL): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    const file = files[(req.url ?? '/').split('?')[0] as string];
    if (file) {
      res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
      res.end(file.body);
      return;
    }
    const upstream = http.request(
      { host: api.hostname, port: api.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const upstream = net.connect(Number(api.port), api.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

let client: Bundle;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  await buildPackages(root);
  client = await bundle('test/fixtures/browser-page.ts', 'page');
}, 240_000);

describe('the client in a browser', () => {
  it('bundles for the browser with no Node built-ins, no Buffer, no throwing stubs and no zod, within 1.5× of bare @trpc/client + superjson', async () => {
    expect(client.text).not.toMatch(/(?<![\w$])Buffer\b/);
    expect(client.text).not.toMatch(/\brequire\(|["']node:|ws does not work in the browser/);
    const packages = packagesIn(client.inputs);
    for (const name of ['ws', 'eventsource', 'eventsource-parser', 'zod', 'ioredis', 'bullmq']) expect(packages).not.toContain(name);
    expect(client.inputs.some((input) => input.startsWith('client/dist/'))).toBe(true);
    expect(client.inputs.filter((input) => /^(client|shared|router)\/src\//.test(input))).toEqual([]);
    // Without tree-shaking of side-effect-free modules (bundlers that ignore `sideEffects`), still no zod.
    const untrimmed = await bundle('test/fixtures/browser-page.ts', 'page-ignoring-side-effects', ['--ignore-annotations']);
    expect(packagesIn(untrimmed.inputs)).not.toContain('zod');

    // Each size entry makes one client and nothing else, so that the ratios compare clients, not pages.
    writeFileSync(
      join(dir, 'taskwire.js'),
      `import { createClient } from '@taskwire/client';
globalThis.tw = createClient({ url: '/trpc' });
`,
    );
    writeFileSync(
      join(dir, 'bare.js'),
      `import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
globalThis.trpc = createTRPCClient({ links: [httpBatchLink({ url: '/trpc', transformer: superjson })] });
`,
    );
    writeFileSync(
      join(dir, 'stock.js'),
      `import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import superjson from 'superjson';
globalThis.trpc = createTRPCClient({
  links: [splitLink({
    condition: (op) => op.type === 'subscription',
    true: httpSubscriptionLink({ url: '/trpc', transformer: superjson }),
    false: httpBatchLink({ url: '/trpc', transformer: superjson }),
  })],
});
`,
    );
    const alone = await bundle(join(dir, 'taskwire.js'), 'taskwire-client');
    const bare = await bundle(join(dir, 'bare.js'), 'bare-trpc');
    const stock = await bundle(join(dir, 'stock.js'), 'stock-trpc');
    const sizes = {
      client: alone.gzipBytes,
      bareTrpc: bare.gzipBytes,
      stockTrpc: stock.gzipBytes,
      clientOverBare: Number((alone.gzipBytes / bare.gzipBytes).toFixed(3)),
      clientOverStock: Number((alone.gzipBytes / stock.gzipBytes).toFixed(3)),
      testPage: client.gzipBytes,
      clientPackages: packagesIn(client.inputs),
    };
    writeFileSync(join(dir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
    const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
    console.log(
      `browser bundle, gzip: @taskwire/client ${kb(sizes.client)}; bare @trpc/client + superjson ${kb(sizes.bareTrpc)} (${sizes.clientOverBare}×); ` +
        `@trpc/client with batching + SSE + superjson ${kb(sizes.stockTrpc)} (${sizes.clientOverStock}×); the test page ${kb(sizes.testPage)}`,
    );
    // What the client adds to bare tRPC: its WebSocket transport, its SSE reader and the wire codec.
    expect(sizes.clientOverBare).toBeLessThanOrEqual(1.5);
    expect(sizes.clientOverStock).toBeLessThanOrEqual(1.25);
    expect(packagesIn(alone.inputs)).toEqual(sizes.clientPackages);
    // The `browser` condition of @taskwire/shared/wire: superjson alone, not the server's fast codec.
    expect(alone.inputs).toContain('shared/dist/wire/browser.js');
    expect(alone.inputs).not.toContain('shared/dist/contract/wire.js');
  }, 60_000);

  it('bundles the React hooks (@taskwire/client/react, from dist) for the browser with no Node built-ins and no zod', async () => {
    writeFileSync(
      join(dir, 'react.js'),
      `import { createClient } from '@taskwire/client';
import { useEnqueue, useJob, useRun } from '@taskwire/client/react';
globalThis.tw = createClient({ url: '/trpc' });
globalThis.hooks = { useEnqueue, useJob, useRun };
`,
    );
    // React and TanStack Query are the app's own (peer dependencies): what the hooks add is measured without them.
    const hooks = await bundle(join(dir, 'react.js'), 'react-hooks', ['--external:react', '--external:@tanstack/react-query']);
    expect(hooks.text).not.toMatch(/(?<![\w$])Buffer\b/);
    expect(hooks.text).not.toMatch(/\brequire\(|["']node:|ws does not work in the browser/);
    expect(hooks.inputs).toContain('client/dist/react.js');
    const packages = packagesIn(hooks.inputs);
    for (const name of ['ws', 'eventsource', 'zod', 'ioredis', 'bullmq', 'react', '@tanstack/react-query'])
      expect(packages).not.toContain(name);
    const alone = await bundle(join(dir, 'taskwire.js'), 'taskwire-client');
    console.log(
      `browser bundle, gzip: @taskwire/client + its React hooks ${(hooks.gzipBytes / 1000).toFixed(1)} kB (the hooks add ${hooks.gzipBytes - alone.gzipBytes} B)`,
    );
    expect(hooks.gzipBytes - alone.gzipBytes).toBeLessThan(2_000);
  }, 60_000);

  it('runs the React hooks in headless Chromium against a live API: useRun to a result, useEnqueue refused, useJob with a job token', async () => {
    await using stack = await startStack({
      registry: labRegistry,
      token: TOKEN,
      handlers: [labHandlers],
      api: { sessions: { secrets: ['react-hooks-page-secret-of-32-chars!!'] } },
    });
    const reactPage = await bundle('test/fixtures/react-page.ts', 'react-page', ['--define:process.env.NODE_ENV="production"']);
    const followed = await stack.client.lab.steps.enqueue({ count: 2, delayMs: 300 });
    const other = await stack.client.lab.steps.enqueue({ count: 1, delayMs: 0 });
    const { token: jobToken } = await stack.client.tokens.create({ scopes: [`job:${followed.id}:read`] });
    const site = await servePage(
      {
        '/': {
          type: 'text/html; charset=utf-8',
          body: '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>taskwire hooks</title></head><body><div id="root"></div><pre id="out"></pre><script type="module" src="/page.js"></script></body></html>',
        },
        '/page.js': { type: 'text/javascript; charset=utf-8', body: reactPage.text },
      },
      new URL(stack.api.url),
    );
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 400 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      const search = new URLSearchParams({ token: TOKEN, follow: followed.id, jobToken, other: other.id });
      await page.goto(`${site.url}/?${search}`);
      await page.waitForSelector('#out[data-done]', { timeout: 30_000 });
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'react-hooks.png'), fullPage: true });
      const seen = JSON.parse((await page.textContent('#out')) ?? '{}');
      // useRun: idle → enqueueing → running → completed, progress at each step, the typed result.
      expect(seen.run.statuses).toEqual(['idle', 'enqueueing', 'running', 'completed']);
      expect(seen.run.steps).toEqual([1, 2, 3]);
      expect(seen.run.result).toEqual({ done: 3 });
      expect(seen.run.doneIsNumber).toBe(true);
      // useEnqueue: the API's validation code, nothing queued.
      expect(seen.invalid).toEqual({ code: 'INVALID_INPUT', statuses: ['idle', 'pending', 'error'] });
      // useJob with a token for that job only: to the end; with it for another job: FORBIDDEN, not retried.
      expect(seen.follow.error).toBeNull();
      expect(seen.follow.states.at(-1)).toBe('completed');
      expect(seen.follow.result).toEqual({ done: 2 });
      expect(seen.crossed).toEqual({ error: 'FORBIDDEN', failures: 1 });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      site.close();
    }
  }, 60_000);

  it('runs in headless Chromium against a live API: enqueue, get, run with progress over SSE, rich types, a refused token', async () => {
    await using stack = await startStack({ registry: labRegistry, token: TOKEN, handlers: [labHandlers] });
    const site = await servePage(
      {
        '/': {
          type: 'text/html; charset=utf-8',
          body: '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>taskwire in a browser</title></head><body><h1>taskwire in a browser</h1><pre id="out"></pre><script type="module" src="/page.js"></script></body></html>',
        },
        '/page.js': { type: 'text/javascript; charset=utf-8', body: client.text },
      },
      new URL(stack.api.url),
    );
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && !/401|Unauthorized/i.test(message.text())) problems.push(`console: ${message.text()}`);
      });
      // A scoped token that has expired by the time the page uses it.
      const { token: expired } = await stack.client.tokens.create({ scopes: ['job:lab.1:read'], ttlMs: 1_000 });
      await new Promise((r) => setTimeout(r, 1_100));
      await page.goto(`${site.url}/?token=${TOKEN}&expired=${expired}`);
      await page.waitForSelector('#out[data-done]', { timeout: 30_000 });
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, 'client-page.png'), fullPage: true });
      const { progress, ...seen } = JSON.parse((await page.textContent('#out')) ?? '{}') as { progress?: number[] };
      // Progress reported before the stream opened is summed up by the current progress: the last is 3.
      expect(progress?.at(-1)).toBe(3);
      expect(seen).toEqual({
        ok: true,
        refTask: 'lab.echo',
        enqueuedAtIsDate: true,
        viewNote: 'enqueued from a browser',
        resultAtIsDate: true,
        resultAt: '2030-05-06T07:08:09.123Z',
        resultTagsIsMap: true,
        resultBig: (2n ** 70n).toString(),
        resultSetIsSet: true,
        seen: { dateIsDate: true, tagsIsMap: true, bigIsBigint: true, pid: process.pid },
        steps: 3,
        refused: 'UNAUTHORIZED',
        refusedWatch: 'UNAUTHORIZED',
        expiredWatch: { code: 'UNAUTHORIZED', message: 'Token expired: ask your server for a new one' },
      });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      site.close();
    }
  }, 60_000);

  it('from a page of another origin: refused by default, served once TASKWIRE_CORS_ORIGINS names it (WebSocket, SSE, rich types)', async () => {
    const pageFiles = {
      '/': {
        type: 'text/html; charset=utf-8',
        body: '<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>another origin</title></head><body><h1>a page of another origin</h1><pre id="out"></pre><script type="module" src="/page.js"></script></body></html>',
      },
      '/page.js': { type: 'text/javascript; charset=utf-8', body: client.text },
    };
    // The page's own server (nothing proxied: the page calls the API's origin directly).
    const site = await servePage(pageFiles, new URL('http://127.0.0.1:9'));
    const browser = await launchChromium();
    const open = async (api: string, shot: string) => {
      const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
      await page.goto(`${site.url}/?token=${TOKEN}&api=${encodeURIComponent(`${api}/trpc`)}`);
      await page.waitForSelector('#out[data-done]', { timeout: 30_000 });
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, shot), fullPage: true });
      const seen = JSON.parse((await page.textContent('#out')) ?? '{}') as {
        ok: boolean;
        code?: string;
        steps?: number;
        resultBig?: string;
      };
      await page.close();
      return seen;
    };
    try {
      {
        await using closed = await startStack({ registry: labRegistry, token: TOKEN, handlers: [labHandlers] });
        const seen = await open(closed.api.url, 'cross-origin-refused.png');
        expect(seen.ok).toBe(false);
        // Nothing was enqueued from the refused page.
        expect(await closed.client.jobs.list({ state: 'completed' })).toEqual([]);
        expect(await closed.client.jobs.list({ state: 'waiting' })).toEqual([]);
      }
      {
        await using allowed = await startStack({
          registry: labRegistry,
          token: TOKEN,
          handlers: [labHandlers],
          api: { corsOrigins: [site.url] },
        });
        const seen = await open(allowed.api.url, 'cross-origin-allowed.png');
        expect(seen).toMatchObject({ ok: true, steps: 3, resultBig: (2n ** 70n).toString() });
      }
    } finally {
      await browser.close();
      site.close();
    }
  }, 90_000);
});
