import type http from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { TaskwireError } from '@taskwire/shared';
import express from 'express';
import { can } from './auth.ts';
import { crossSite } from './cors.ts';
import { dashboardData, dashboardName, dashboardResult } from './dashboard-format.ts';
import { type AccessGate, bearerToken } from './gate.ts';
import type { QueueHub } from './hub.ts';
import type { DashboardSessions } from './sessions.ts';

export const DASHBOARD_PATH = '/admin/queues';
const LOGIN_PATH = '/admin/login';
const LOGOUT_PATH = '/admin/logout';
const COOKIE = 'taskwire_admin';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function cookieOf(req: http.IncomingMessage): string | undefined {
  const cookie = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie?.slice(COOKIE.length + 1);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(message = ''): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>taskwire — sign in</title>
<style>body{font-family:system-ui,sans-serif;display:grid;place-items:center;height:100vh;margin:0;background:#f4f5f7}
form{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;min-width:320px}input,button{width:100%;padding:.6rem;margin-top:.6rem;box-sizing:border-box}
p{color:#b00}</style></head><body><form method="post" action="${LOGIN_PATH}"><h1>taskwire</h1>
<label>Admin token<input type="password" name="token" autofocus required></label><button>Sign in</button>${message ? `<p>${escapeHtml(message)}</p>` : ''}</form></body></html>`;
}

/**
 * Bull Board's BullMQ adapter under the family's name (`email`), in the menu, the URLs and the
 * titles alike, instead of the queue's key with its cluster hash tag (`{email}`).
 */
class FamilyQueueAdapter extends BullMQAdapter {
  constructor(
    queue: ConstructorParameters<typeof BullMQAdapter>[0],
    private readonly family: string,
  ) {
    super(queue, { displayName: family });
  }

  override getName(): string {
    return this.family;
  }
}

/**
 * The Bull Board dashboard at `/admin/queues`, for principals with the `admin` scope: a bearer
 * token, or a session from the sign-in form at `/admin/login` (see {@link DashboardSessions}).
 *
 * - Sessions are checked on every request against the token configuration of the moment: a
 *   token that lost `admin`, or was replaced, ends its sessions.
 * - A state-changing call (not GET/HEAD/OPTIONS) made with a session must come from the
 *   dashboard's own origin (`Sec-Fetch-Site: same-origin`, or a matching `Origin`); sign-in and
 *   sign-out refuse other sites too.
 * - Wrong tokens and forged cookies count against the client address (see AccessGate); a
 *   locked-out address gets 429 here as everywhere.
 *
 * @example
 * const dashboard = createDashboard(hub, gate, sessions);
 * if (path.startsWith('/admin/')) return dashboard(req, res);
 */
export function createDashboard(hub: QueueHub, gate: AccessGate, sessions: DashboardSessions): http.RequestListener {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: Object.entries(hub.registry).map(([name, family]) => {
      // The family's name, not the queue's hash-tagged key; jobs shown as their contracts read them.
      const adapter = new FamilyQueueAdapter(hub.queue(name), name);
      adapter.setFormatter('data', dashboardData);
      adapter.setFormatter('returnValue', dashboardResult);
      adapter.setFormatter('progress', dashboardResult);
      adapter.setFormatter('name', (job) => dashboardName(family, job));
      return adapter;
    }),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'taskwire' } },
  });

  const secure = (req: express.Request) => (req.secure || req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '');
  const refuseCrossSite = (req: express.Request, res: express.Response, strict: boolean): boolean => {
    const cross = crossSite(req);
    if (cross === false || (cross === undefined && !strict)) return false;
    res.status(403).json({ error: 'Cross-site or origin-less request refused: state changes come from the dashboard itself' });
    return true;
  };

  const app = express();
  app.disable('x-powered-by');
  app.get(LOGIN_PATH, (_req, res) => {
    res.type('html').send(loginPage());
  });
  app.post(LOGIN_PATH, express.urlencoded({ extended: false, limit: '4kb' }), (req, res, next) => {
    if (refuseCrossSite(req, res, false)) return;
    const token = typeof req.body?.token === 'string' ? req.body.token : undefined;
    (async () => {
      const principal = await gate.admit(token, gate.address(req));
      if (!can(principal, 'admin')) throw new TaskwireError('FORBIDDEN');
      const value = await sessions.issue(principal);
      res.setHeader(
        'set-cookie',
        `${COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(sessions.lengthMs / 1000)}${secure(req)}`,
      );
      res.redirect(303, DASHBOARD_PATH);
    })().catch((error: unknown) => {
      if (!(error instanceof TaskwireError)) return next(error);
      const status = error.code === 'TOO_MANY_REQUESTS' ? 429 : error.code === 'QUEUE_UNAVAILABLE' ? 503 : 401;
      const message = status === 401 ? 'That token is unknown or lacks the admin scope.' : error.message;
      res.status(status).type('html').send(loginPage(message));
    });
  });
  app.post(LOGOUT_PATH, (req, res) => {
    if (refuseCrossSite(req, res, false)) return;
    res.setHeader('set-cookie', `${COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0${secure(req)}`);
    res.redirect(303, LOGIN_PATH);
  });
  app.use(DASHBOARD_PATH, (req, res, next) => {
    (async (): Promise<void> => {
      if (gate.open) return next();
      const address = gate.address(req);
      const header = bearerToken(req);
      if (header) {
        const principal = await gate.admit(header, address);
        if (!can(principal, 'admin')) {
          res.status(403).json({ error: 'The dashboard needs a token with the admin scope' });
          return;
        }
        return next();
      }
      const cookie = cookieOf(req);
      if (cookie) {
        await gate.check(address);
        const session = await sessions.verify(cookie);
        if (session.ok) {
          if (!SAFE_METHODS.has(req.method) && refuseCrossSite(req, res, true)) return;
          return next();
        }
        if (session.reason === 'forged') await gate.failed(address);
      }
      if ((req.headers.accept ?? '').includes('text/html')) {
        res.redirect(303, LOGIN_PATH);
        return;
      }
      res.status(401).json({ error: 'Send Authorization: Bearer <admin token>, or sign in at /admin/login' });
    })().catch((error: unknown) => {
      if (!(error instanceof TaskwireError)) return next(error);
      const status = error.code === 'TOO_MANY_REQUESTS' ? 429 : error.code === 'QUEUE_UNAVAILABLE' ? 503 : 401;
      res.status(status).json({ error: error.message });
    });
  });
  // A job's data is a taskwire envelope, and the dashboard shows it decoded: adding a job or
  // rewriting its data here would store what no worker reads. Jobs are added through the API,
  // which validates them against their contract (duplicates: enqueue again; retries still work).
  const rawData = (_req: express.Request, res: express.Response) => {
    res.status(405).json({ error: 'Add and edit jobs through the API (enqueue), which checks them against their contract' });
  };
  app.post(`${DASHBOARD_PATH}/api/queues/:queueName/add`, rawData);
  app.patch(`${DASHBOARD_PATH}/api/queues/:queueName/:jobId/update-data`, rawData);
  app.use(DASHBOARD_PATH, serverAdapter.getRouter());
  return app;
}
