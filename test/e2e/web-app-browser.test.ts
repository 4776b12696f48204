/**
 * The example web app (examples/web) as a person uses it, in headless Chromium, against a real API,
 * a real reports worker and Redis: its server enqueues a report and hands the page a token for that
 * job; the page follows the job from the API (SSE, CORS) through `useJob`. Tried: a whole report
 * (the bar seen at 3 steps or more, the typed result, the file), a job that fails (its code), a
 * token that expires mid-watch (a clear message, no retry), a page on an origin the API does not
 * allow (refused, a clear message, a bounded number of tries), the list of recent jobs; and the
 * page's server under attack (another job's file, forged tokens, bad input, paths out of the build).
 * Each browser test saves a screenshot in test/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@taskwire/shared/node';
import { families } from '@taskwire-example/reference/contracts';
import { reportsHandlers } from '@taskwire-example/reference/handlers';
import { buildWebApp } from '@taskwire-example/web/build';
import { startWebApp, type WebApp } from '@taskwire-example/web/server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIVITY_HEADER } from '../../examples/reference/services/job-activity.ts';
import { launchChromium } from '../fixtures/chromium.ts';
import { eventually, type Stack, startStack } from '../fixtures/harness.ts';

const TOKEN = 'tw_web-app-browser-admin-00000000';
const artifacts = join(process.cwd(), 'test', 'artifacts');
/** Each report step takes at least this long, so a report lasts about 8 × this. */
const STEP_MS = 350;

let stack: Stack<typeof families>;
let browser: Browser;
let reportsDir: string;
/** Its origin is allowed by the API. */
let allowed: WebApp;
/** Allowed too, but gives the page job tokens that expire before a report ends. */
let shortLived: WebApp;
/** Its origin is not in the API's CORS list. */
let refused: WebApp;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  reportsDir = await mkdtemp(join(tmpdir(), 'taskwire-web-'));
  for (const [key, value] of Object.entries({ REPORTS_DIR: reportsDir, REPORTS_MIN_STEP_MS: String(STEP_MS) })) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  const [allowedPort, shortPort] = [await freePort(), await freePort()];
  stack = await startStack({
    registry: families,
    token: TOKEN,
    handlers: [reportsHandlers],
    api: {
      corsOrigins: [`http://127.0.0.1:${allowedPort}`, `http://127.0.0.1:${shortPort}`],
      sessions: { secrets: ['web-app-browser-secret-of-32-characters!'] },
    },
  });
  // A build of its own: another test (npm start's) may build the default one at the same time.
  const dist = await buildWebApp({ outDir: join(reportsDir, 'page') });
  const common = { apiUrl: `${stack.api.url}/trpc`, token: TOKEN, reportsDir, dist };
  allowed = await startWebApp({ ...common, port: allowedPort });
  shortLived = await startWebApp({ ...common, port: shortPort, jobTokenTtlMs: 1_200 });
  refused = await startWebApp({ ...common, port: 0 });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([allowed, shortLived, refused].map((web) => web?.close()));
  await stack?.[Symbol.asyncDispose]();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await rm(reportsDir, { recursive: true, force: true });
});

/** A page that records every step the progress bar shows, as it renders, and the API requests it makes. */
async function openPage(url: string): Promise<{ page: Page; watches: number[]; console: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
  await page.addInitScript(() => {
    const steps: string[] = [];
    (window as unknown as { steps: string[] }).steps = steps;
    new MutationObserver(() => {
      const step = document.querySelector('progress')?.getAttribute('data-step');
      if (step && step !== '0' && steps.at(-1) !== step) steps.push(step);
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-step'] });
  });
  const watches: number[] = [];
  const console: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/trpc/reports.generate.watch')) watches.push(Date.now());
  });
  page.on('console', (message) => console.push(message.text()));
  await page.goto(url);
  await page.locator('main h1').waitFor();
  return { page, watches, console };
}

const stepsSeen = (page: Page) => page.evaluate(() => (window as unknown as { steps: string[] }).steps);
const jobIdOf = async (page: Page) => (await page.locator('article.job').getAttribute('data-job')) ?? '';

describe('the example web app in a browser', () => {
  it('runs a report: the bar moves through its steps live, then the typed result and its file', async () => {
    const { page } = await openPage(allowed.url);
    try {
      await page.fill('input[maxlength]', 'Seen in a browser');
      await page.getByRole('button', { name: 'Generate report' }).click();
      await page.getByTestId('result').waitFor({ timeout: 20_000 });
      await page.screenshot({ path: join(artifacts, 'web-report-completed.png'), fullPage: true });

      const steps = (await stepsSeen(page)).map(Number);
      expect(new Set(steps).size).toBeGreaterThanOrEqual(3);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
      const id = await jobIdOf(page);
      const view = await stack.client.reports.generate.get(id);
      expect(view.state).toBe('completed');
      expect(view.input.title).toBe('Seen in a browser');
      const shown = (await page.getByTestId('result').textContent()) ?? '';
      expect(shown).toContain(view.result?.sha256);
      expect(await page.locator('[data-rows]').getAttribute('data-rows')).toBe(String(view.result?.rows));
      expect(await page.locator('.steps li').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^checksum/)]));

      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Download / }).click()]);
      const file = await download.createReadStream();
      let csv = '';
      for await (const chunk of file) csv += chunk;
      expect(csv.split(/\r?\n/)[0]).toBe(ACTIVITY_HEADER.join(','));
      expect(Buffer.byteLength(csv)).toBe(view.result?.bytes);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('shows a failed job with its error code', async () => {
    const { page } = await openPage(allowed.url);
    try {
      await page.locator('label.check input').check();
      await page.getByRole('button', { name: 'Generate report' }).click();
      const alert = page.locator('[role=alert][data-code=HANDLER_ERROR]');
      await alert.waitFor({ timeout: 20_000 });
      await page.screenshot({ path: join(artifacts, 'web-report-failed.png'), fullPage: true });
      expect(await alert.textContent()).toContain("Unknown family 'invoices'");
      expect(await page.locator('article.job').getAttribute('data-state')).toBe('failed');
      const view = await stack.client.reports.generate.get(await jobIdOf(page));
      expect(view.error?.code).toBe('HANDLER_ERROR');
    } finally {
      await page.close();
    }
  }, 60_000);

  it('ends the watch when the page’s job token expires: a clear message, no retry, and the job goes on', async () => {
    const { page, watches } = await openPage(shortLived.url);
    try {
      await page.getByRole('button', { name: 'Generate report' }).click();
      const alert = page.locator('[role=alert][data-code=UNAUTHORIZED]');
      await alert.waitFor({ timeout: 15_000 });
      const endedAt = Date.now();
      expect(await alert.textContent()).toMatch(/Token expired.*access to this job has ended/s);
      // The job was mid-way: some steps seen, not all.
      const steps = await stepsSeen(page);
      expect(steps.length).toBeGreaterThan(0);
      expect(await page.getByTestId('result').count()).toBe(0);
      await page.waitForTimeout(3_000);
      await page.screenshot({ path: join(artifacts, 'web-token-expired.png'), fullPage: true });
      expect(watches.filter((at) => at > endedAt)).toEqual([]);
      expect(watches.length).toBeLessThanOrEqual(2);
      // Expiry ends what the page may see, not the job.
      const id = await jobIdOf(page);
      const done = await eventually(async () => {
        const view = await stack.client.reports.generate.get(id);
        return view.state === 'completed' ? view : undefined;
      }, 15_000);
      expect(done.result?.rows).toBeGreaterThanOrEqual(0);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('is refused by the API from an origin it does not allow: a clear message after a bounded number of tries', async () => {
    const { page, watches, console } = await openPage(refused.url);
    try {
      await page.getByRole('button', { name: 'Generate report' }).click();
      const alert = page.locator('[role=alert][data-code=QUEUE_UNAVAILABLE]');
      await alert.waitFor({ timeout: 25_000 });
      await page.screenshot({ path: join(artifacts, 'web-cors-refused.png'), fullPage: true });
      expect(await alert.textContent()).toContain('TASKWIRE_CORS_ORIGINS');
      expect(await alert.textContent()).toContain(refused.url);
      expect(console.some((line) => /blocked by CORS policy/.test(line))).toBe(true);
      const tries = watches.length;
      expect(tries).toBeGreaterThanOrEqual(1);
      expect(tries).toBeLessThanOrEqual(4);
      await page.waitForTimeout(2_000);
      expect(watches.length).toBe(tries);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('lists recent jobs of a family with their decoded input, and failed ones with their code', async () => {
    const { page } = await openPage(`${allowed.url}/#/jobs`);
    try {
      const row = page.locator('tr', { hasText: 'Seen in a browser' });
      await row.waitFor({ timeout: 10_000 });
      const [completed] = await stack.client.jobs
        .list({ family: 'reports', state: 'completed', limit: 100 })
        .then((jobs) => jobs.filter((job) => job.task === 'reports.generate' && job.input.title === 'Seen in a browser'));
      expect(completed).toBeDefined();
      if (completed?.task !== 'reports.generate') throw new Error('no completed report');
      expect(await row.textContent()).toContain(completed.input.from.toISOString());
      await page.screenshot({ path: join(artifacts, 'web-recent-jobs.png'), fullPage: true });
      await page.locator('select').nth(1).selectOption('failed');
      await page.locator('td.failed', { hasText: 'HANDLER_ERROR' }).first().waitFor({ timeout: 10_000 });
    } finally {
      await page.close();
    }
  }, 60_000);
});

describe('the example web app’s server under attack', () => {
  const get = (path: string) => fetch(`${allowed.url}${path}`);
  const post = (body: unknown) =>
    fetch(`${allowed.url}/api/reports`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('serves a report file only to the holder of that job’s token: not to another job’s, another family’s, a forged or an expired one', async () => {
    const grant = async (title: string) => (await (await post({ title, days: 1 })).json()).json as { job: { id: string }; token: string };
    const [a, b] = [await grant('file A'), await grant('file B')];
    for (const { job } of [a, b]) {
      await eventually(async () => ((await stack.client.reports.generate.get(job.id)).state === 'completed' ? true : undefined), 20_000);
    }
    const file = (id: string, token: string) => get(`/api/reports/file?${new URLSearchParams({ id, token })}`);
    expect((await file(a.job.id, a.token)).status).toBe(200);
    // A's token for B's file: the API refuses it, nothing is served.
    const crossed = await file(b.job.id, a.token);
    expect(crossed.status).toBe(403);
    expect(await crossed.json()).toMatchObject({ code: 'FORBIDDEN' });
    // A token that is not one, or A's re-signed for B.
    expect((await file(a.job.id, 'tw_not-a-real-token-000000000000')).status).toBe(401);
    const [payload = '', mac = ''] = a.token.slice(4).split('.');
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString());
    forged.scopes = [`job:${b.job.id}:read`];
    expect((await file(b.job.id, `twt_${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${mac}`)).status).toBe(401);
    expect((await get('/api/reports/file?id=reports.1')).status).toBe(400);
    // Across a family: a token for an email job, with that job's id, reads nothing of reports.
    const mail = await stack.client.email.send.enqueue({ to: 'a@example.com', subject: 'x', html: '<p>x</p>' });
    const { token: mailToken } = await stack.client.tokens.create({ scopes: [`job:${mail.id}:read`] });
    const crossFamily = await file(mail.id, mailToken);
    expect(crossFamily.status).toBe(404);
    expect(await crossFamily.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await file(a.job.id, mailToken)).status).toBe(403);
    // Replayed after its expiry: A's own token, short-lived, refused once it is over.
    const { token: brief } = await stack.client.tokens.create({ scopes: [`job:${a.job.id}:read`], ttlMs: 1_000 });
    expect((await file(a.job.id, brief)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_100));
    const replayed = await file(a.job.id, brief);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('expired') });
  }, 60_000);

  it('refuses bad requests with their code and serves nothing outside the build', async () => {
    expect((await post({ title: '', days: 1 })).status).toBe(400);
    expect((await post({ title: 'x', days: 10_000 })).status).toBe(400);
    expect(await (await post({ title: 'x', days: 1, families: ['../etc'] })).json()).toMatchObject({ code: 'INVALID_INPUT' });
    const big = await fetch(`${allowed.url}/api/reports`, { method: 'POST', body: 'x'.repeat(100_000) }).catch(() => undefined);
    if (big) expect(big.status).toBe(400);
    expect((await get('/api/jobs?family=secrets')).status).toBe(400);
    expect((await fetch(`${allowed.url}/api/jobs`, { method: 'DELETE' })).status).toBe(405);
    for (const path of ['/../package.json', '/%2e%2e/server.ts', '/..%2fbuild.ts']) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('<div id="root">');
    }
    const page = await get('/');
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ${new URL(stack.api.url).origin}`);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
