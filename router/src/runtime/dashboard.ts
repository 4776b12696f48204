import { createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express from 'express';
import { type Authenticator, can, type Principal } from './auth.ts';
import type { QueueHub } from './hub.ts';

export const DASHBOARD_PATH = '/admin/queues';
const LOGIN_PATH = '/admin/login';
const COOKIE = 'taskwire_admin';
const SESSION_MS = 8 * 3_600_000;

/**
 * Session cookies are `<token name>.<expiry>.<mac>`, the MAC keyed by the token's own secret
 * hash, so any API replica with the same token configuration can check them, and the token
 * itself never sits in the browser.
 */
function sign(name: string, expires: number, key: string): string {
  return createHmac('sha256', key).update(`${name}.${expires}`).digest('base64url');
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
 * The Bull Board dashboard at `/admin/queues`, for tokens with the `admin` scope: sent as
 * `Authorization: Bearer <token>`, or through the sign-in form at `/admin/login`, which sets a
 * signed, HttpOnly session cookie.
 */
export function createDashboard(hub: QueueHub, authenticator: Authenticator): http.RequestListener {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: Object.keys(hub.registry).map((family) => new BullMQAdapter(hub.queue(family), { displayName: family })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'taskwire' } },
  });

  const sessionKeys = new Map<string, string>();
  if (authenticator.config !== 'open') for (const t of authenticator.config.tokens) sessionKeys.set(t.name, t.sha256);

  const fromCookie = (req: express.Request): boolean => {
    const cookie = (req.headers.cookie ?? '').split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
    const [name, expires, mac] = (cookie?.slice(COOKIE.length + 1) ?? '').split('.');
    const key = name && sessionKeys.get(name);
    if (!key || !expires || !mac || Number(expires) < Date.now()) return false;
    const expected = Buffer.from(sign(name, Number(expires), key));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  };

  const admin = (token: string | undefined): Principal | undefined => {
    try {
      const principal = authenticator.authenticate(token);
      return can(principal, 'admin') ? principal : undefined;
    } catch {
      return undefined;
    }
  };

  const app = express();
  app.disable('x-powered-by');
  app.get(LOGIN_PATH, (_req, res) => {
    res.type('html').send(loginPage());
  });
  app.post(LOGIN_PATH, express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const token = typeof req.body?.token === 'string' ? req.body.token : undefined;
    const principal = admin(token);
    if (!principal) {
      res.status(401).type('html').send(loginPage('That token is unknown or lacks the admin scope.'));
      return;
    }
    const expires = Date.now() + SESSION_MS;
    const key = sessionKeys.get(principal.name) ?? '';
    const secure = req.secure || req.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
    res.setHeader(
      'set-cookie',
      `${COOKIE}=${principal.name}.${expires}.${sign(principal.name, expires, key)}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure}`,
    );
    res.redirect(303, DASHBOARD_PATH);
  });
  app.use(DASHBOARD_PATH, (req, res, next) => {
    const header = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7).trim() : undefined;
    if (authenticator.open || (header && admin(header)) || fromCookie(req)) return next();
    if (header) {
      res.status(403).json({ error: 'The dashboard needs a token with the admin scope' });
      return;
    }
    if ((req.headers.accept ?? '').includes('text/html')) {
      res.redirect(303, LOGIN_PATH);
      return;
    }
    res.status(401).json({ error: 'Send Authorization: Bearer <admin token>, or sign in at /admin/login' });
  });
  app.use(DASHBOARD_PATH, serverAdapter.getRouter());
  return app;
}
