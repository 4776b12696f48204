import { type AnyFamily, decodeEnvelope, decodeValue } from '@taskwire/shared';

/** Nesting shown before a value is cut short (the dashboard shows data, not arbitrary graphs). */
const MAX_DEPTH = 32;

/**
 * A decoded value as JSON a person reads in Bull Board: Dates as ISO strings, bigints as `"123n"`,
 * Maps as objects (or `[key, value]` pairs when a key is not a string), Sets as arrays, invalid
 * Dates, NaN and ±Infinity by name.
 *
 * @example
 * readable({ at: new Date(0), big: 2n }); // { at: '1970-01-01T00:00:00.000Z', big: '2n' }
 */
export function readable(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return undefined;
  if (depth >= MAX_DEPTH) return '…';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => readable(item, depth + 1) ?? null);
  if (value instanceof Set) return [...value].map((item) => readable(item, depth + 1) ?? null);
  if (value instanceof Map) {
    const entries = [...value];
    if (entries.every(([key]) => typeof key === 'string')) {
      return Object.fromEntries(entries.map(([key, item]) => [key, readable(item, depth + 1)]));
    }
    return entries.map(([key, item]) => [readable(key, depth + 1), readable(item, depth + 1)]);
  }
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, readable(item, depth + 1)]));
  }
  return String(value);
}

/**
 * What the dashboard shows of a job's data: the task's input decoded with the wire codec (as the
 * worker reads it, before migrations), the contract version it was written under, and its
 * metadata; data that is not a taskwire envelope is shown as it is, with why.
 */
export function dashboardData(data: unknown): unknown {
  const envelope = decodeEnvelope(data);
  if (!envelope.ok) return { notAnEnvelope: envelope.reason, data };
  const { meta } = envelope;
  return {
    input: readable(envelope.payload),
    contractVersion: envelope.version,
    enqueuedAt: new Date(meta.enqueuedAt).toISOString(),
    ...(meta.timeoutMs === undefined ? {} : { timeoutMs: meta.timeoutMs }),
    ...(meta.deferrals === undefined ? {} : { deferrals: meta.deferrals }),
    ...(meta.traceparent === undefined ? {} : { traceparent: meta.traceparent }),
  };
}

/** A job's result as the dashboard shows it: decoded with the wire codec. */
export function dashboardResult(value: unknown): unknown {
  try {
    return readable(decodeValue(value));
  } catch {
    return value;
  }
}

/** A job's name as the dashboard shows it: the task id (`email.send`). */
export function dashboardName(family: AnyFamily, job: { name?: string }): string {
  return `${family.name}.${job.name ?? ''}`;
}
