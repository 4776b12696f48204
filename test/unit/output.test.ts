import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { serializeOutput } from '../../router/src/runtime/output.ts';

const ref = (i: number) => ({
  id: `email.${i}`,
  task: 'email.send',
  enqueuedAt: new Date(1_700_000_000_000 + i),
  deduplicated: i % 2 === 0,
});

describe('serializeOutput', () => {
  it('writes a JobRef and an array of JobRefs exactly as superjson does', () => {
    for (const value of [ref(1), [ref(1)], Array.from({ length: 1000 }, (_, i) => ref(i))]) {
      const fast = serializeOutput(value);
      expect(fast).toEqual(superjson.serialize(value));
      expect(superjson.deserialize(JSON.parse(JSON.stringify(fast)))).toEqual(value);
    }
  });

  it('leaves anything else to superjson: other shapes, extra keys, mixed arrays, empty arrays', () => {
    const others = [
      { ...ref(1), extra: new Map([['a', 1n]]) },
      [ref(1), { id: 'x' }],
      [],
      { id: 'email.1', task: 'email.send', enqueuedAt: '2020-01-01', deduplicated: false },
      { status: 'ok', at: new Date(0), big: 2n ** 70n },
    ];
    for (const value of others) expect(serializeOutput(value)).toEqual(superjson.serialize(value));
  });
});
