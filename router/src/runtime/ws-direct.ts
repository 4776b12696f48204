import type http from 'node:http';
import { TaskwireError } from '@taskwire/shared';
import type { AnyTRPCRouter } from '@trpc/server';
import { getErrorShape, getTRPCErrorFromUnknown } from '@trpc/server/unstable-core-do-not-import';
import type { WebSocket } from 'ws';
import type { DirectCall } from './task-procedures.ts';
import { rejection, type TaskwireContext } from './trpc.ts';

export interface DirectCallOptions {
  router: AnyTRPCRouter;
  /** Calls answered here, by path; every other message goes to tRPC untouched. */
  calls: ReadonlyMap<string, DirectCall>;
  onInternalError(path: string, error: Error): void;
}

/** A standard tRPC WebSocket request message, as far as the fast path needs it. */
interface CallMessage {
  id: number | string;
  jsonrpc?: '2.0';
  method: 'mutation';
  params: { path: string; input?: unknown };
}

/** A cheap pre-check on the raw frame, so frames without a direct call are not parsed twice. */
const MARKER = Buffer.from('.enqueue"');

/**
 * Answers the direct calls (single enqueues) of a WebSocket connection itself and hands every
 * other message to tRPC. The messages and replies are the standard tRPC ones, byte for byte in
 * shape (replies and error shapes come from the router's own transformer and error formatter),
 * so any tRPC client sees no difference; what is skipped is tRPC's per-call work — an abort
 * controller, context and options copies per middleware, response re-wrapping — which costs
 * more CPU than the enqueue itself at thousands of calls per second.
 *
 * Only for connections admitted at the upgrade (`ctx`); connections that send their credentials
 * as connection params are left to tRPC entirely, since their context exists only once tRPC has
 * read those params.
 *
 * @example
 * wss.handleUpgrade(req, socket, head, (client) => {
 *   interceptDirectCalls(client, req, ctx, { router, calls, onInternalError });
 *   wss.emit('connection', client, req);
 * });
 */
export function interceptDirectCalls(client: WebSocket, req: http.IncomingMessage, ctx: TaskwireContext, options: DirectCallOptions): void {
  if (options.calls.size === 0) return;
  const config = options.router._def._config;
  const send = BATCH_REPLIES.test(req.url ?? '')
    ? batchedSender(client)
    : (reply: object) => {
        if (client.readyState === client.OPEN) client.send(JSON.stringify(reply));
      };

  const answer = (message: CallMessage, call: DirectCall) => {
    const { id, jsonrpc, params } = message;
    let input: unknown;
    let result: Promise<unknown>;
    try {
      // Credentials first: nothing of the payload is decoded for a caller that may not call.
      if (ctx.authError || !ctx.principal) throw ctx.authError ?? new TaskwireError('UNAUTHORIZED');
      input = config.transformer.input.deserialize(params.input);
      result = call(input, ctx);
    } catch (cause) {
      result = Promise.reject(rejection(ctx, params.path, cause));
    }
    result.then(
      (data) => send({ id, jsonrpc, result: { type: 'data', data: config.transformer.output.serialize(data) } }),
      (cause: unknown) => {
        const error = getTRPCErrorFromUnknown(cause);
        if (error.code === 'INTERNAL_SERVER_ERROR') options.onInternalError(params.path, error);
        const shape = getErrorShape({ config, error, type: 'mutation', path: params.path, input, ctx });
        send({ id, jsonrpc, error: config.transformer.output.serialize(shape) });
      },
    );
  };

  const emit = client.emit.bind(client) as (event: string | symbol, ...args: unknown[]) => boolean;
  client.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event !== 'message' || args[1] === true || !Buffer.isBuffer(args[0]) || !args[0].includes(MARKER)) return emit(event, ...args);
    let parsed: unknown;
    try {
      parsed = JSON.parse(args[0].toString('utf8'));
    } catch {
      return emit(event, ...args); // tRPC answers the parse error
    }
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    const rest: unknown[] = [];
    for (const message of messages) {
      const call = directCallOf(message, options.calls);
      if (call) answer(message as CallMessage, call);
      else rest.push(message);
    }
    if (rest.length === 0) return true;
    return emit(event, Buffer.from(JSON.stringify(Array.isArray(parsed) ? rest : rest[0])), false);
  }) as WebSocket['emit'];
}

/** The query parameter with which a client says it reads a frame holding an array of replies. */
const BATCH_REPLIES = /[?&]replies=batch(?:&|$)/;

/**
 * Sends the replies produced in one turn (a frame's calls answered by one Redis read) as one frame
 * holding their array, instead of a frame each: for clients that asked for it (`?replies=batch`;
 * the taskwire client does), since a stock tRPC client reads one reply per frame.
 */
function batchedSender(client: WebSocket): (reply: object) => void {
  let texts: string[] = [];
  const flush = () => {
    const batch = texts;
    texts = [];
    if (client.readyState === client.OPEN) client.send(batch.length === 1 ? (batch[0] as string) : `[${batch.join(',')}]`);
  };
  return (reply) => {
    if (texts.length === 0) process.nextTick(flush);
    texts.push(JSON.stringify(reply));
  };
}

function directCallOf(message: unknown, calls: ReadonlyMap<string, DirectCall>): DirectCall | undefined {
  if (message === null || typeof message !== 'object') return undefined;
  const { id, method, params } = message as Partial<CallMessage>;
  if (method !== 'mutation' || (typeof id !== 'number' && typeof id !== 'string') || params === null || typeof params !== 'object') {
    return undefined;
  }
  return typeof params.path === 'string' ? calls.get(params.path) : undefined;
}
