/**
 * The web app's own server — "your backend" in the browser pattern: it holds a token of the
 * deployment, enqueues a report when the page asks, and hands the page a token scoped to that one
 * job (`job:<id>:read`, short-lived), with which the page follows the job straight from the API.
 * It also lists recent jobs for the page, serves a finished report's file to whoever holds that
 * job's token, and serves the built page itself (`vite build` → `dist/`).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, resolve, sep } from 'node:path';
import { createClient } from '@taskwire/client';
import { LISTABLE_STATES, TaskwireError } from '@taskwire/shared';
import { serializeWire } from '@taskwire/shared/wire';
import type { families } from '@taskwire-example/reference/contracts';
import { z } from 'zod';
import { WEB_DIST } from './build.ts';

export interface WebAppOptions {
  /** The API's tRPC endpoint, e.g. `http://127.0.0.1:3000/trpc`; the page talks to it directly (CORS). */
  apiUrl: string;
  /** This server's token: `reports:enqueue` and `*:read` (it enqueues reports, mints job tokens and lists jobs). */
  token: string | undefined;
  port?: number;
  host?: string;
  /** Where the workers write reports (`REPORTS_DIR`): the only directory files are served from. */
  reportsDir: string;
  /** Life of the job tokens given to the page (ms). Default 10 minutes. */
  jobTokenTtlMs?: number;
  /** The built page. Default: `examples/web/dist`. */
  dist?: string;
}

export interface WebApp {
  /** Where the page is, e.g. `http://127.0.0.1:5173`. */
  url: string;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const MAX_BODY_BYTES = 16_384;

/** What the page may ask for: a title, a number of days back from now, and optionally families. */
const reportRequest = z.object({
  title: z.string().trim().min(1).max(200),
  days: z.number().int().min(1).max(366),
  families: z
    .array(z.string().regex(/^[a-zA-Z][a-zA-Z0-9]{0,40}$/))
    .min(1)
    .max(8)
    .optional(),
});

const FAMILY_NAMES = ['email', 'reports', 'backups', 'maintenance'] as const satisfies readonly (keyof typeof families)[];

const listRequest = z.object({
  family: z.enum(FAMILY_NAMES),
  state: z.enum(LISTABLE_STATES).default('completed'),
});

const fileRequest = z.object({ id: z.string().min(3).max(300), token: z.string().min(1).max(4_000) });

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const STATUS: Partial<Record<TaskwireError['code'], number>> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
  PAYLOAD_TOO_LARGE: 413,
};

/**
 * Starts the web app's server.
 *
 * @example
 * const web = await startWebApp({ apiUrl: `${api.url}/trpc`, token, port: 5173 });
 * console.log(`open ${web.url}`);
 */
export async function startWebApp(options: WebAppOptions): Promise<WebApp> {
  const dist = options.dist ?? WEB_DIST;
  const jobTokenTtlMs = options.jobTokenTtlMs ?? 10 * 60_000;
  const tw = createClient<typeof families>({ url: options.apiUrl, token: options.token, transport: 'http' });
  const apiOrigin = new URL(options.apiUrl).origin;

  const routes: Record<string, (req: IncomingMessage, url: URL, res: ServerResponse) => Promise<void>> = {
    'GET /api/config': async (_req, _url, res) => sendJson(res, 200, serializeWire({ apiUrl: options.apiUrl })),

    'POST /api/reports': async (req, _url, res) => {
      const body = reportRequest.safeParse(await readJson(req));
      if (!body.success) throw new TaskwireError('INVALID_INPUT', z.prettifyError(body.error));
      const { title, days, families: only } = body.data;
      const now = Date.now();
      const job = await tw.reports.generate.enqueue({
        title,
        from: new Date(now - days * DAY_MS),
        to: new Date(now),
        bucket: days <= 2 ? 'hour' : 'day',
        ...(only ? { families: only } : {}),
      });
      const { token, expiresAt } = await tw.tokens.create({ scopes: [`job:${job.id}:read`], ttlMs: jobTokenTtlMs });
      sendJson(res, 200, serializeWire({ job, token, expiresAt }));
    },

    'GET /api/jobs': async (_req, url, res) => {
      const query = listRequest.safeParse(Object.fromEntries(url.searchParams));
      if (!query.success) throw new TaskwireError('INVALID_INPUT', z.prettifyError(query.error));
      sendJson(res, 200, serializeWire(await tw.jobs.page({ ...query.data, limit: 20 })));
    },

    // The file of a finished report, for the holder of that job's token: the API checks the token.
    'GET /api/reports/file': async (_req, url, res) => {
      const query = fileRequest.safeParse(Object.fromEntries(url.searchParams));
      if (!query.success) throw new TaskwireError('INVALID_INPUT', z.prettifyError(query.error));
      const asHolder = createClient<typeof families>({ url: options.apiUrl, token: query.data.token, transport: 'http' });
      const view = await asHolder.reports.generate.get(query.data.id).finally(() => asHolder.close());
      if (!view.result) throw new TaskwireError('NOT_FOUND', 'The report is not ready');
      const dir = resolve(options.reportsDir);
      const path = resolve(view.result.path);
      if (!path.startsWith(dir + sep) || extname(path) !== '.csv') throw new TaskwireError('NOT_FOUND', 'The report file is not served');
      await stat(path).catch(() => {
        throw new TaskwireError('NOT_FOUND', 'The report file is gone');
      });
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${basename(path)}"`,
        'cache-control': 'no-store',
      });
      createReadStream(path).pipe(res);
    },
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    const route = routes[`${req.method} ${url.pathname}`];
    const handled = route
      ? route(req, url, res)
      : req.method === 'GET' || req.method === 'HEAD'
        ? serveStatic(dist, url.pathname, res, apiOrigin)
        : Promise.resolve(sendJson(res, 405, { code: 'INVALID_INPUT', message: 'Method not allowed' }));
    handled.catch((error: unknown) => {
      const info = TaskwireError.fromUnknown(error);
      if (res.headersSent) res.destroy();
      else sendJson(res, STATUS[info.code] ?? 502, { code: info.code, message: info.message });
    });
  });
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ready());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: async () => {
      tw.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

async function serveStatic(dist: string, pathname: string, res: ServerResponse, apiOrigin: string): Promise<void> {
  const root = resolve(dist);
  let path = resolve(root, `.${decodeURIComponent(pathname)}`);
  // Anything that is not a file of the build (a page's own route included) is the page.
  if (!path.startsWith(root + sep) || !(await stat(path).catch(() => undefined))?.isFile()) path = join(root, 'index.html');
  const html = path.endsWith('.html');
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
    'cache-control': html ? 'no-cache' : 'public, max-age=31536000, immutable',
    ...(html
      ? {
          'content-security-policy': `default-src 'self'; connect-src 'self' ${apiOrigin}; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`,
        }
      : {}),
  });
  await new Promise<void>((done, fail) => {
    createReadStream(path).on('error', fail).on('end', done).pipe(res);
  });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new TaskwireError('INVALID_INPUT', 'Request body too large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new TaskwireError('INVALID_INPUT', 'Expected a JSON body');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
