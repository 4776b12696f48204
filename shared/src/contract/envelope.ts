import { z } from 'zod';
import { safeDeserialize } from './superjson-guard.ts';
import { deserializeWire, serializeWire, serializeWireSized, type WireValue } from './wire.ts';

const envelopeSchema = z.object({
  /** The contract version the payload was written under. */
  v: z.number().int().positive(),
  /** The input, in superjson's format. */
  p: z.object({ json: z.unknown(), meta: z.unknown().optional() }),
  /** What a job carries besides its payload. */
  meta: z.object({
    /** Epoch ms at which the router accepted the job. */
    enqueuedAt: z.number(),
    /** Per-attempt time limit chosen at enqueue (overrides the contract default). */
    timeoutMs: z.number().int().positive().optional(),
    /** W3C trace context of the enqueuing request. */
    traceparent: z.string().optional(),
    /**
     * How many times workers that only know older versions put this job back for a newer worker
     * (rolling deploys).
     */
    deferrals: z.number().int().nonnegative().optional(),
    /** Epoch ms after which the job must not start (it fails with EXPIRED). */
    expiresAt: z.number().optional(),
    /** The enqueue's `flowKey`: the key of the task's flow control in place of the input's. */
    flowKey: z.string().optional(),
  }),
});

/** The job data stored in Redis: contract version, superjson payload, metadata. */
export type Envelope = z.output<typeof envelopeSchema>;

/** What a job carries besides its payload. */
export type EnvelopeMeta = Envelope['meta'];

/** Wraps a parsed input for Redis. Rich types (Date, Map, Set, bigint) survive via superjson. */
export function encodeEnvelope(version: number, input: unknown, meta: EnvelopeMeta): Envelope {
  return encodeEnvelopeSized(version, input, meta).envelope;
}

/** {@link encodeEnvelope}, with an upper bound of the envelope's JSON size in bytes (see `serializeWireSized`). */
export function encodeEnvelopeSized(version: number, input: unknown, meta: EnvelopeMeta): { envelope: Envelope; maxBytes: number } {
  const { wire, maxBytes } = serializeWireSized(input);
  const p = wire.meta === undefined ? { json: wire.json } : { json: wire.json, meta: wire.meta };
  const m: EnvelopeMeta = { enqueuedAt: meta.enqueuedAt };
  if (meta.timeoutMs !== undefined) m.timeoutMs = meta.timeoutMs;
  if (meta.traceparent !== undefined) m.traceparent = meta.traceparent;
  if (meta.expiresAt !== undefined) m.expiresAt = meta.expiresAt;
  if (meta.flowKey !== undefined) m.flowKey = meta.flowKey;
  // Around the payload: the version, the keys and numbers of `meta`, a traceparent (55 characters).
  return { envelope: { v: version, p, meta: m }, maxBytes: maxBytes + 256 };
}

export type DecodedEnvelope = { ok: true; version: number; payload: unknown; meta: EnvelopeMeta } | { ok: false; reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const isOptional = (value: unknown, check: (v: unknown) => boolean) => value === undefined || check(value);
const isPositiveInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const isCount = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isString = (v: unknown) => typeof v === 'string';

/**
 * The envelope's shape, checked by hand: the same rules as `envelopeSchema`, an order of magnitude
 * cheaper per job. Only data that fails here goes through the schema, for its error message.
 */
function readEnvelope(data: unknown): { v: number; p: Envelope['p']; meta: EnvelopeMeta } | undefined {
  if (!isRecord(data) || !isPositiveInt(data.v) || !isRecord(data.p) || !isRecord(data.meta)) return undefined;
  const { enqueuedAt, timeoutMs, traceparent, deferrals, expiresAt, flowKey } = data.meta;
  if (
    typeof enqueuedAt !== 'number' ||
    !Number.isFinite(enqueuedAt) ||
    !isOptional(expiresAt, Number.isFinite) ||
    !isOptional(timeoutMs, isPositiveInt) ||
    !isOptional(traceparent, isString) ||
    !isOptional(deferrals, isCount) ||
    !isOptional(flowKey, isString)
  ) {
    return undefined;
  }
  const meta: EnvelopeMeta = { enqueuedAt };
  if (timeoutMs !== undefined) meta.timeoutMs = timeoutMs as number;
  if (traceparent !== undefined) meta.traceparent = traceparent as string;
  if (deferrals !== undefined) meta.deferrals = deferrals as number;
  if (expiresAt !== undefined) meta.expiresAt = expiresAt as number;
  if (flowKey !== undefined) meta.flowKey = flowKey as string;
  return { v: data.v as number, p: { json: data.p.json, meta: data.p.meta }, meta };
}

/** Reads job data back; never throws (garbage yields `{ ok: false }`). */
export function decodeEnvelope(data: unknown): DecodedEnvelope {
  const read = readEnvelope(data);
  const parsed = read ? ({ success: true, data: read } as const) : envelopeSchema.safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      reason: `not a taskwire envelope: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
    };
  }
  try {
    const payload = safeDeserialize(parsed.data.p);
    return { ok: true, version: parsed.data.v, payload, meta: parsed.data.meta };
  } catch (error) {
    return { ok: false, reason: `payload is not valid superjson: ${(error as Error).message}` };
  }
}

/** Encodes a value (result, progress) for Redis with superjson. */
export function encodeValue(value: unknown): { json: unknown; meta?: unknown } {
  const { json, meta } = serializeWire(value);
  return meta === undefined ? { json } : { json, meta };
}

/** Decodes what {@link encodeValue} produced; plain JSON values pass through unchanged. */
export function decodeValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'json' in value) {
    return deserializeWire(value as WireValue);
  }
  return value;
}
