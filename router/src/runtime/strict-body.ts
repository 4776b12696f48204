import type http from 'node:http';
import { TaskwireError } from '@taskwire/shared';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';

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

/** An error in tRPC's wire format (one per call of a batch), for failures before tRPC runs. */
export function sendTrpcError(req: http.IncomingMessage, res: http.ServerResponse, error: TaskwireError): void {
  const trpcCode = error.code === 'PAYLOAD_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
  const status = trpcCode === 'PAYLOAD_TOO_LARGE' ? 413 : 400;
  const url = new URL(req.url ?? '/', 'http://localhost');
  const shape = {
    error: {
      json: {
        message: error.message,
        code: TRPC_ERROR_CODES_BY_KEY[trpcCode],
        data: { code: trpcCode, httpStatus: status, taskwire: { code: error.code, retryable: false } },
      },
    },
  };
  const calls = url.searchParams.get('batch') === '1' ? url.pathname.slice('/trpc/'.length).split(',').length : 1;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(url.searchParams.get('batch') === '1' ? Array.from({ length: calls }, () => shape) : shape));
}
