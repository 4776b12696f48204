import type http from 'node:http';
import { type AnyTask, enqueueOptionsSchema, fromJson, listTasks, type Registry, TaskwireError, toJson } from '@taskwire/shared';
import { admitEnqueue, type Decode, type EnqueueAdmission } from './admission.ts';
import { type AccessGate, bearerToken } from './gate.ts';
import type { QueueHub } from './hub.ts';
import type { ApiMetrics } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { readStrictBody } from './strict-body.ts';
import { getJobAs } from './task-procedures.ts';
import { requestTraceContext } from './tracing.ts';
import { httpStatusOf } from './trpc.ts';

export const REST_PREFIX = '/api/v1';

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(toJson(body)));
}

function sendError(res: http.ServerResponse, error: unknown): void {
  const tw = error instanceof TaskwireError ? error : TaskwireError.fromUnknown(error);
  const status = httpStatusOf(tw);
  send(res, status, { error: { code: tw.code, message: status === 500 ? 'Internal error' : tw.message, issues: tw.issues } });
}

/**
 * How REST hands admission a request body: JSON (without `__proto__` or `constructor` keys), its
 * input and options converted along the task's schema (ISO strings to Dates, …) before validation.
 */
function restDecode(task: AnyTask): Decode {
  return (body) => {
    let raw: { input?: unknown; options?: unknown } | null;
    try {
      raw = JSON.parse(body as string, (key, value) => (key === '__proto__' || key === 'constructor' ? undefined : value));
    } catch {
      throw new TaskwireError('INVALID_INPUT', 'The request body is not JSON');
    }
    return {
      input: fromJson(task.input, raw?.input),
      options: raw?.options === undefined ? undefined : fromJson(enqueueOptionsSchema, raw.options),
    };
  };
}

/** A percent-encoded path segment; a malformed escape is the caller's mistake (400), not ours. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new TaskwireError('INVALID_INPUT', 'The job id in the path is not valid percent-encoding');
  }
}

export interface RestOptions {
  registry: Registry;
  hub: QueueHub;
  gate: AccessGate;
  metrics: ApiMetrics;
  /** The enqueue admission of each task, by task id. */
  admissions: ReadonlyMap<string, EnqueueAdmission>;
  maxBodyBytes: number;
}

/**
 * Plain JSON over HTTP for callers without a tRPC client (curl, Python…), described by an
 * OpenAPI 3.1 document at `/openapi.json`:
 * - `POST /api/v1/{family}/{task}/jobs` with `{ "input": …, "options": … }` → 201 JobRef
 * - `GET /api/v1/{family}/{task}/jobs/{id}` → the typed JobView
 * Dates travel as ISO 8601 strings, bigints as decimal strings, Maps as `[[key, value], …]`,
 * Sets as arrays; the input is converted along the task's schema, then validated by it. Enqueues
 * go through the admission function like every other transport's: same scopes, limits, metrics
 * and traces as tRPC.
 */
export function createRestHandler(options: RestOptions): http.RequestListener {
  const tasks = new Map<string, AnyTask>(listTasks(options.registry).map((task) => [`${task.family}/${task.name}`, task]));
  const document = JSON.stringify(buildOpenApi(options.registry));
  const decoders = new Map([...tasks.values()].map((task) => [task, restDecode(task)]));

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/openapi.json') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(document);
      return;
    }
    const match = /^\/api\/v1\/([a-zA-Z0-9]+)\/([a-zA-Z0-9]+)\/jobs(?:\/([^/]+))?$/.exec(url.pathname);
    const task = match && tasks.get(`${match[1]}/${match[2]}`);
    if (!match || !task)
      return send(res, 404, { error: { code: 'NOT_FOUND', message: `No route ${req.method} ${url.pathname}; see /openapi.json` } });
    const handle = async () => {
      const principal = await options.gate.admit(bearerToken(req), options.gate.address(req));
      if (req.method === 'POST' && !match[3]) {
        const admission = options.admissions.get(task.id);
        if (!admission) throw new TaskwireError('INTERNAL', `No admission for ${task.id}`);
        const body = await readStrictBody(req, options.maxBodyBytes);
        const ctx = { principal, trace: requestTraceContext(req.headers), observer: options.metrics };
        const [ref] = await admitEnqueue(admission, ctx, body, decoders.get(task) ?? restDecode(task), false);
        return send(res, 201, ref);
      }
      if (req.method === 'GET' && match[3]) return send(res, 200, await getJobAs(options.hub, task, decodeSegment(match[3]), principal));
      res.setHeader('allow', match[3] ? 'GET' : 'POST');
      return send(res, 405, { error: { code: 'INVALID_INPUT', message: `Use ${match[3] ? 'GET' : 'POST'}` } });
    };
    // Admission counted the refusals of enqueues; a request refused before (credentials, body) names no call.
    handle().catch((error: unknown) => sendError(res, error));
  };
}
