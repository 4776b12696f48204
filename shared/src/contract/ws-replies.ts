/**
 * Batched replies over WebSocket: taskwire's one extension of the tRPC WebSocket protocol. A
 * client that connects with `?replies=batch` reads frames that hold either one reply (a JSON
 * object, as tRPC sends it) or several (a JSON array of them): the replies the API settled in the
 * same event-loop turn travel in one frame instead of one frame each. A stock tRPC client does
 * not ask, and gets a frame per reply. The API (server side) and the taskwire client both speak it
 * through this module. Plain strings only: safe in browsers.
 */

/** The query parameter (and its value) with which a client asks for batched replies. */
export const BATCHED_REPLIES_PARAM = 'replies';
export const BATCHED_REPLIES_VALUE = 'batch';

const ASKS = new RegExp(`[?&]${BATCHED_REPLIES_PARAM}=${BATCHED_REPLIES_VALUE}(?:&|$)`);

/**
 * The WebSocket URL with which a client asks for batched replies.
 *
 * @example
 * withBatchedReplies('ws://localhost:3000/trpc'); // 'ws://localhost:3000/trpc?replies=batch'
 */
export function withBatchedReplies(url: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${BATCHED_REPLIES_PARAM}=${BATCHED_REPLIES_VALUE}`;
}

/**
 * Whether the URL of an upgrade request (path and query) asks for batched replies.
 *
 * @example
 * asksForBatchedReplies('/trpc?replies=batch'); // true
 */
export function asksForBatchedReplies(url: string): boolean {
  return ASKS.test(url);
}

/**
 * One frame of replies, from the JSON texts of the replies (each encoded once): the reply itself
 * when there is one, their JSON array otherwise.
 *
 * @example
 * encodeReplyFrame(['{"id":1,"result":{}}', '{"id":2,"result":{}}']); // '[{"id":1,…},{"id":2,…}]'
 */
export function encodeReplyFrame(replies: readonly string[]): string {
  return replies.length === 1 ? (replies[0] as string) : `[${replies.join(',')}]`;
}

/**
 * The replies a frame holds, in order (one for a frame holding an object). Throws a SyntaxError
 * when the frame is not JSON.
 *
 * @example
 * decodeReplyFrame('[{"id":1},{"id":2}]'); // [{ id: 1 }, { id: 2 }]
 */
export function decodeReplyFrame(frame: string): unknown[] {
  const parsed: unknown = JSON.parse(frame);
  return Array.isArray(parsed) ? parsed : [parsed];
}
