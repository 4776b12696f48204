import type http from 'node:http';
import { TaskwireError } from '@taskwire/shared';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { httpStatusOf, toTRPCError } from './trpc.ts';

/**
 * Reads a request body as strict UTF-8 within a size limit. Node's default decoding replaces
 * invalid bytes with U+FFFD, so a payload with broken bytes would be stored silently altered.
 */
export function readStrictBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit, keep reading (and dropping) to the end: the client can then finish sending
    // and read the 413. Leaving the loop early would destroy the socket under the answer.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > limit) return reject(new TaskwireError('PAYLOAD_TOO_LARGE', `The request body exceeds ${limit} bytes`));
      try {
        resolve(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)));
      } catch {
        reject(new TaskwireError('INVALID_INPUT', 'The request body is not valid UTF-8'));
      }
    });
  });
}

/**
 * An error in tRPC's wire format, for failures before tRPC runs (authentication, batch size,
 * body). One error object, also for a batch: tRPC clients apply a non-array answer to every call
 * of the batch, so the answer's size does not grow with the number of calls a request names.
 */
export function sendTrpcError(res: http.ServerResponse, error: TaskwireError, req?: http.IncomingMessage): void {
  const trpc = toTRPCError(error);
  const status = httpStatusOf(error);
  const json = {
    message: error.message,
    code: TRPC_ERROR_CODES_BY_KEY[trpc.code],
    data: { code: trpc.code, httpStatus: status, taskwire: { code: error.code, retryable: error.retryable } },
  };
  if (req?.method === 'GET' && (req.headers.accept ?? '').includes('text/event-stream')) {
    // An EventSource (a browser's `watch`) reads no status and no body of a refusal: it only sees
    // a failure, and retries or gives up without saying why. Answered as the stream it asked
    // for, with tRPC's error event, it gets the code and the message ("Token expired") and ends.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    res.end(`event: serialized-error\ndata: ${JSON.stringify({ json })}\n\n`);
    return;
  }
  const shape = { error: { json } };
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (error.code === 'UNAUTHORIZED') headers['www-authenticate'] = 'Bearer';
  res.writeHead(status, headers);
  res.end(JSON.stringify(shape));
}
