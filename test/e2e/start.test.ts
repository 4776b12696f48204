import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dropPrefix, redisUrl, uniquePrefix } from '../fixtures/harness.ts';
import { spawnTs } from '../fixtures/processes.ts';

describe('npm start', () => {
  it('serves, runs the demo with typed results for every family, and stops cleanly on Ctrl-C', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'taskwire-start-'));
    const prefix = uniquePrefix('start');
    const start = spawnTs('examples/reference/start.ts', [], {
      REDIS_URL: redisUrl(),
      TASKWIRE_PREFIX: prefix,
      PORT: '0',
      WEB_PORT: '0',
      OUTBOX_DIR: join(dir, 'outbox'),
      REPORTS_DIR: join(dir, 'reports'),
      BACKUPS_DIR: join(dir, 'backups'),
    });
    try {
      await start.waitFor(/taskwire is serving at http:\/\/127\.0\.0\.1:\d+\/trpc/, 60_000);
      const output = start.lines.join('\n');
      const web = /web {5}(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      expect(web).toBeDefined();
      const page = await fetch(`${web}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      const api = /api {5}(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      expect(await (await fetch(`${web}/api/config`)).json()).toEqual({ json: { apiUrl: `${api}/trpc` } });
      expect(output).not.toMatch(/demo failed/);
      expect(output).toMatch(/email\.send\s+→ outbox messageId=<[^>]+> acceptedAt=\d{4}-/);
      expect(output).toMatch(/maintenance\.healthCheck → worker pid \d+/);
      expect(output).toMatch(/reports\.generate\s+progress: 1\/\d+ collect/);
      expect(output).toMatch(/reports\.generate\s+→ \d+ rows, \d+ bytes, sha256 [0-9a-f]{16}/);
      expect(output).toMatch(/backups\.snapshot\s+→ 2 files, \d+ bytes, sha256 [0-9a-f]{16}/);
      start.process.kill('SIGINT');
      expect(await start.exit()).toBe(0);
      expect(start.lines).toContain('stopped.');
    } finally {
      await start.stop('SIGKILL');
      await dropPrefix(redisUrl(), prefix);
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
