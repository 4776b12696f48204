import type { Context as OtelContext } from '@opentelemetry/api';
import {
  deserializeWire,
  ERROR_CODES,
  type Issue,
  safeDeserialize,
  serializeWire,
  TaskwireError,
  type TaskwireErrorCode,
  toIssues,
  type WireValue,
} from '@taskwire/shared';
import { initTRPC, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { type Principal, requireUnexpired } from './auth.ts';
import type { ApiObserver } from './metrics.ts';

/** Per-request context, built by the HTTP layer from the bearer token. */
export interface TaskwireContext {
  /** Who is calling; unset when authentication failed (then `authError` says why). */
  principal: Principal | undefined;
  authError?: TaskwireError | undefined;
  /** Told about enqueues and rejections (metrics). */
  observer?: ApiObserver | undefined;
  /** The trace the request belongs to (W3C `traceparent`), for the enqueue span. */
  trace?: OtelContext | undefined;
}

/** What callers find in `error.data.taskwire`. */
export interface TaskwireErrorData {
  code: TaskwireErrorCode;
  issues?: Issue[] | undefined;
  retryable: boolean;
}

type TRPCCode = TRPCError['code'];

// Every taskwire code maps to a real tRPC code (checked here, at compile time).
const TRPC_CODE: { [K in TaskwireErrorCode]: TRPCCode } = Object.fromEntries(
  Object.entries(ERROR_CODES).map(([code, info]) => [code, info.trpc]),
) as { [K in TaskwireErrorCode]: (typeof ERROR_CODES)[K]['trpc'] & TRPCCode };

/** INVALID_INPUT for the issues a schema found, with their paths in the message. */
export function invalidInput(
  zodIssues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[],
  cause: unknown,
): TaskwireError {
  const issues = toIssues(zodIssues);
  const message = `Invalid input: ${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
  return new TaskwireError('INVALID_INPUT', message, { issues, cause });
}

/** The TaskwireError behind any error a procedure produced. */
export function toTaskwireError(error: unknown): TaskwireError {
  if (error instanceof TaskwireError) return error;
  if (error instanceof TRPCError) {
    if (error.cause instanceof TaskwireError) return error.cause;
    const cause = error.cause as { issues?: unknown } | undefined;
    if (error.code === 'BAD_REQUEST' && cause && Array.isArray(cause.issues)) return invalidInput(cause.issues, error);
    const byTrpc: Partial<Record<TRPCCode, TaskwireErrorCode>> = {
      BAD_REQUEST: 'INVALID_INPUT',
      PARSE_ERROR: 'INVALID_INPUT',
      NOT_FOUND: 'NOT_FOUND',
      UNAUTHORIZED: 'UNAUTHORIZED',
      FORBIDDEN: 'FORBIDDEN',
      PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
      TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
      METHOD_NOT_SUPPORTED: 'INVALID_INPUT',
    };
    return new TaskwireError(byTrpc[error.code] ?? 'INTERNAL', error.message, { cause: error });
  }
  return TaskwireError.fromUnknown(error);
}

export function toTRPCError(error: TaskwireError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[error.code], message: error.message, cause: error });
}

/** The HTTP status of an error, by the error table (as tRPC's HTTP adapter answers it). */
export function httpStatusOf(error: TaskwireError): number {
  return getHTTPStatusCodeFromError(toTRPCError(error));
}

export const t = initTRPC.context<TaskwireContext>().create({
  // superjson, with the client's meta checked before superjson walks it (see superjson-guard).
  transformer: {
    // Requests are parsed fresh for each call, so their input is revived in place.
    input: { serialize: serializeWire, deserialize: (payload: unknown) => safeDeserialize(payload, { inPlace: true }) },
    output: { serialize: serializeWire, deserialize: (payload: unknown) => deserializeWire(payload as WireValue) },
  },
  // The WebSocket fast path answers with the same formatter and transformer, read from the router (ws-direct.ts).
  isDev: false,
  sse: { ping: { enabled: true, intervalMs: 15_000 }, client: { reconnectAfterInactivityMs: 30_000 } },
  errorFormatter({ shape, error }) {
    const tw = toTaskwireError(error);
    const taskwire: TaskwireErrorData = { code: tw.code, issues: tw.issues, retryable: tw.retryable };
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, data: { ...data, taskwire } };
  },
});

/**
 * Every taskwire procedure except the enqueues: the caller must be authenticated, and whatever the
 * procedure throws leaves as a TRPCError whose code follows the error table and whose cause is a
 * TaskwireError (input validation failures included).
 *
 * Enqueues (`<task>.enqueue`, `<task>.enqueueMany`) are built on {@link admittedProcedure}
 * instead, and whatever matters for them — authentication, scopes, rate budget, validation,
 * error mapping, rejection metrics, traces — lives in the admission function (admission.ts), not
 * in a middleware here: the WebSocket fast path and REST reach enqueues without tRPC, and a
 * middleware added here would silently not apply to them.
 */
export const procedure = t.procedure.use(async ({ ctx, next }) => {
  if (ctx.authError || !ctx.principal) throw asTRPCError(ctx.authError ?? new TaskwireError('UNAUTHORIZED'));
  if (ctx.principal.expiresAt !== undefined) {
    try {
      requireUnexpired(ctx.principal);
    } catch (error) {
      throw asTRPCError(error);
    }
  }
  // Same as `next({ ctx: { principal } })` for the types (the principal is set from here on),
  // without tRPC copying the context for every call.
  const narrowed = next as unknown as () => ReturnType<typeof next<{ principal: Principal }>>;
  const result = await narrowed();
  if (!result.ok) throw asTRPCError(result.error);
  return result;
});

/** What an admitted procedure's resolver gets as input: tRPC's reader of the call's input, decoded by the transformer. */
export type RawInputReader = () => Promise<unknown>;

/**
 * The base of the enqueue procedures: tRPC routes the call and hands the resolver its input
 * unread (as a {@link RawInputReader}), so that the admission function decodes, validates and
 * counts it like on every other transport. Adds no rule of its own (see {@link procedure}).
 */
export const admittedProcedure = t.procedure.use(({ getRawInput, next }) => next({ input: getRawInput }));

/**
 * What a failed call leaves with: a TRPCError whose code follows the error table and whose cause
 * is the TaskwireError (input validation failures included).
 */
export function asTRPCError(error: unknown): TRPCError {
  const tw = toTaskwireError(error);
  return error instanceof TRPCError && error.cause === tw && error.code === TRPC_CODE[tw.code] ? error : toTRPCError(tw);
}

export type Root = (typeof t)['_config']['$types'];
