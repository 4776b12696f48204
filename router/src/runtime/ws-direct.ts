import type http from 'node:http';
import { asksForBatchedReplies, encodeReplyFrame, type JobRef, type TaskwireError } from '@taskwire/shared';
import { type AnyTRPCRouter, getTRPCErrorShape } from '@trpc/server';
import type { WebSocket } from 'ws';
import { admitEnqueue, type EnqueueAdmission } from './admission.ts';
import { type TaskwireContext, toTRPCError } from './trpc.ts';

export interface DirectCallOptions {
  router: AnyTRPCRouter;
  /** The single enqueues answered here, by procedure path (`email.send.enqueue`); every other message goes to tRPC untouched. */
  enqueues: ReadonlyMap<string, EnqueueAdmission>;
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
 * Answers the single enqueues of a WebSocket connection itself and hands every other message to
 * tRPC. Each enqueue goes through the admission function (admission.ts), as the tRPC procedure's
 * does, so every rule of enqueues holds here too; what is skipped is tRPC's per-call work — an
 * abort controller, context and options copies per middleware, response re-wrapping — which
 * costs more CPU than the enqueue itself at thousands of calls per second.
 *
 * The messages and replies are the standard tRPC ones, byte for byte: data is encoded with the
 * router's own transformer, and errors get the error shape tRPC gives them (`getTRPCErrorShape`
 * with the router's config, hence its error formatter), so any tRPC client sees no difference.
 * A client that asks for it gets the replies of one turn in one frame (see `ws-replies` in
 * `@taskwire/shared`).
 *
 * Installed once a connection has its context (`ctx`): at the upgrade for a connection admitted
 * by its headers; for one that sends its credentials as connection params (browsers), once tRPC
 * has read them and the context is made — the calls that arrived before go to tRPC, which holds
 * them until then.
 *
 * @example
 * wss.handleUpgrade(req, socket, head, (client) => {
 *   interceptDirectCalls(client, req, ctx, { router, enqueues, onInternalError });
 *   wss.emit('connection', client, req);
 * });
 */
export function interceptDirectCalls(client: WebSocket, req: http.IncomingMessage, ctx: TaskwireContext, options: DirectCallOptions): void {
  if (options.enqueues.size === 0) return;
  const config = options.router._def._config;
  const transformer = config.transformer;
  const deserialize = (payload: unknown) => transformer.input.deserialize(payload);
  const send = asksForBatchedReplies(req.url ?? '')
    ? batchedSender(client)
    : (reply: object) => {
        if (client.readyState === client.OPEN) client.send(JSON.stringify(reply));
      };

  const answer = (message: CallMessage, admission: EnqueueAdmission) => {
    const { id, jsonrpc, params } = message;
    admitEnqueue(admission, ctx, params.input, deserialize, false).then(
      (refs: JobRef[]) => send({ id, jsonrpc, result: { type: 'data', data: transformer.output.serialize(refs[0]) } }),
      (refusal: TaskwireError) => {
        const error = toTRPCError(refusal);
        if (error.code === 'INTERNAL_SERVER_ERROR') options.onInternalError(params.path, error);
        const shape = getTRPCErrorShape({ config, error, type: 'mutation', path: params.path, input: undefined, ctx });
        send({ id, jsonrpc, error: transformer.output.serialize(shape) });
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
      const admission = enqueueOf(message, options.enqueues);
      if (admission) answer(message as CallMessage, admission);
      else rest.push(message);
    }
    if (rest.length === 0) return true;
    return emit(event, Buffer.from(JSON.stringify(Array.isArray(parsed) ? rest : rest[0])), false);
  }) as WebSocket['emit'];
}

/**
 * Sends the replies produced in one turn (a frame's calls answered by one Redis read) as one frame
 * (see `encodeReplyFrame`), for a client that asked for batched replies.
 */
function batchedSender(client: WebSocket): (reply: object) => void {
  let texts: string[] = [];
  const flush = () => {
    const batch = texts;
    texts = [];
    if (client.readyState === client.OPEN) client.send(encodeReplyFrame(batch));
  };
  return (reply) => {
    if (texts.length === 0) process.nextTick(flush);
    texts.push(JSON.stringify(reply));
  };
}

function enqueueOf(message: unknown, enqueues: ReadonlyMap<string, EnqueueAdmission>): EnqueueAdmission | undefined {
  if (message === null || typeof message !== 'object') return undefined;
  const { id, method, params } = message as Partial<CallMessage>;
  if (method !== 'mutation' || (typeof id !== 'number' && typeof id !== 'string') || params === null || typeof params !== 'object') {
    return undefined;
  }
  return typeof params.path === 'string' ? enqueues.get(params.path) : undefined;
}
