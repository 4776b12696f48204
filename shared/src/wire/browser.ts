/**
 * `@taskwire/shared/wire` under the `browser` export condition: the same exports as the main
 * entry, with superjson itself as the codec. The wire format is the same (superjson's, which the
 * API reads whichever side wrote it); what a page saves is the fast codec's code, which pays off
 * on a server encoding thousands of jobs a second, not in a page that sends a few.
 */
import superjson from 'superjson';
import type { deserializeWire as fastDeserialize, serializeWireSized as fastSerializeSized, WireValue } from '../contract/wire.ts';

export * from '../contract/errors.ts';
export type { WireValue } from '../contract/wire.ts';
export * from '../contract/ws-replies.ts';

export function serializeWire(value: unknown): WireValue {
  return superjson.serialize(value as Parameters<typeof superjson.serialize>[0]);
}

/** The size bound is unknown (`Infinity`): the browser has no size limit to check against it. */
export const serializeWireSized: typeof fastSerializeSized = (value) => ({
  wire: serializeWire(value),
  maxBytes: Number.POSITIVE_INFINITY,
});

export const deserializeWire: typeof fastDeserialize = (payload, options = {}) =>
  superjson.deserialize(payload, { inPlace: options.inPlace ?? false });
