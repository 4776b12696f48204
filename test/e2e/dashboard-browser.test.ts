/**
 * The dashboard as a person uses it, in headless Chromium: sign in with an admin token, see the
 * reference families by name, open a queue and read a job as its contract reads it (the typed
 * input and its contract version), not the raw envelope. (Results and progress go through the
 * same decoding: test/unit/dashboard-format.test.ts.) Screenshots go to
 * test/artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { families } from '@taskwire-example/reference/contracts';
import { describe, expect, it } from 'vitest';
import { launchChromium } from '../fixtures/chromium.ts';
import { startStack } from '../fixtures/harness.ts';

const TOKEN = 'tw_dashboard-browser-admin-000000';
const dir = join(process.cwd(), 'test', 'artifacts');

describe('the dashboard in a browser', () => {
  it('signs in, names the four families, and shows a job’s decoded input and contract version', async () => {
    mkdirSync(dir, { recursive: true });
    await using stack = await startStack({ registry: families, token: TOKEN });
    const from = new Date('2030-01-01T00:00:00.000Z');
    const ref = await stack.client.reports.generate.enqueue({
      title: 'Quarterly, seen in the dashboard',
      from,
      to: new Date('2030-02-01T00:00:00.000Z'),
    });

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${stack.api.url}/admin/queues`);
      await page.fill('input[name=token]', TOKEN);
      await Promise.all([page.waitForURL(/\/admin\/queues/), page.click('button')]);
      for (const family of ['email', 'reports', 'backups', 'maintenance']) await page.getByText(family, { exact: true }).first().waitFor();
      await page.screenshot({ path: join(dir, 'dashboard-queues.png'), fullPage: true });
      const overview = (await page.textContent('body')) ?? '';
      expect(overview).not.toContain('{email}');

      await page.getByText('reports', { exact: true }).first().click();
      await page.getByText('Waiting', { exact: false }).first().click();
      await page.getByText('Quarterly, seen in the dashboard').first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(dir, 'dashboard-job.png'), fullPage: true });
      const job = (await page.textContent('body')) ?? '';
      expect(job).toContain('reports.generate');
      expect(job).toContain('contractVersion');
      expect(job).toContain(from.toISOString());
      expect(job).not.toMatch(/"p"\s*:/);
      expect(ref.task).toBe('reports.generate');
    } finally {
      await browser.close();
    }
  }, 90_000);
});
