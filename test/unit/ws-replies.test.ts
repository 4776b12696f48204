import { asksForBatchedReplies, decodeReplyFrame, encodeReplyFrame, withBatchedReplies } from '@taskwire/shared';
import { describe, expect, it } from 'vitest';

describe('batched WebSocket replies', () => {
  it('the URL a client asks with is the one the server recognizes, with or without a query', () => {
    for (const url of ['ws://localhost:3000/trpc', 'ws://localhost:3000/trpc?connectionParams=1']) {
      const asked = withBatchedReplies(url);
      expect(asksForBatchedReplies(asked.slice(asked.indexOf('/trpc')))).toBe(true);
    }
    expect(withBatchedReplies('ws://h/trpc')).toBe('ws://h/trpc?replies=batch');
    expect(asksForBatchedReplies('/trpc')).toBe(false);
    expect(asksForBatchedReplies('/trpc?replies=batched')).toBe(false);
    expect(asksForBatchedReplies('/trpc?x=1&replies=batch&y=2')).toBe(true);
  });

  it('a frame holds one reply as itself and several as their array; the decoder reads both', () => {
    const replies = [
      { id: 1, result: { type: 'data', data: { json: 1 } } },
      { id: 2, error: { json: { message: 'no' } } },
    ];
    const texts = replies.map((reply) => JSON.stringify(reply));
    expect(encodeReplyFrame(texts.slice(0, 1))).toBe(texts[0]);
    expect(decodeReplyFrame(encodeReplyFrame(texts.slice(0, 1)))).toEqual(replies.slice(0, 1));
    expect(JSON.parse(encodeReplyFrame(texts))).toEqual(replies);
    expect(decodeReplyFrame(encodeReplyFrame(texts))).toEqual(replies);
    expect(() => decodeReplyFrame('{nope')).toThrow(SyntaxError);
  });
});
