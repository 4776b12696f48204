/**
 * What the fuzz suite sends and how it knows a request is invalid: the lab targets with a valid
 * sample each, and an oracle (UTF-8 → JSON → superjson → the procedure's input schema) that
 * tells whether the router would be right to accept a request.
 */
import { enqueueOptionsSchema } from '@taskwire/shared';
import superjson from 'superjson';
import { z } from 'zod';
import { echo, flaky, steps } from '../fixtures/lab.ts';

export interface FuzzCase {
  category: string;
  label: string;
  /** tRPC path(s), comma-joined for a batch. */
  path: string;
  batch: boolean;
  method: 'GET' | 'POST';
  contentType: string | undefined;
  body: Uint8Array<ArrayBuffer> | undefined;
  /** Extra query string (GET input). */
  query?: string;
}

export const TARGETS = {
  steps: { task: steps, sample: { count: 3, delayMs: 10 } },
  echo: {
    task: echo,
    sample: { at: new Date('2030-01-02T03:04:05Z'), tags: new Map([['a', 1]]), big: 5n, set: new Set(['x']), note: 'hi' },
  },
  flaky: { task: flaky, sample: { failTimes: 0, key: 'k', permanent: false } },
} as const;
export type TargetName = keyof typeof TARGETS;
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];

const itemSchemas = Object.fromEntries(
  TARGET_NAMES.map((name) => [name, z.object({ input: TARGETS[name].task.input, options: enqueueOptionsSchema.optional() })]),
) as unknown as Record<TargetName, z.ZodType>;

/** The input schema the router gives a path, when it is an enqueue path. */
function schemaFor(path: string): z.ZodType | undefined {
  const match = /^lab\.(steps|echo|flaky)\.(enqueue|enqueueMany)$/.exec(path);
  if (!match) return undefined;
  const item = itemSchemas[match[1] as TargetName];
  return match[2] === 'enqueue' ? item : z.object({ items: z.array(item).min(1).max(1_000) });
}

/** The API's default body limit. */
export const MAX_BODY = 1_048_576;
export const encoder = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true });

const verdicts = new Map<string, boolean>();

/** True when the router would be right to accept the case (then it is not an invalid input). */
export function acceptable(c: FuzzCase): boolean {
  // Small bodies repeat; superjson can take long to refuse some of them, so remember verdicts.
  if (!c.body || c.body.length > 4_096) return judge(c);
  const key = `${c.method} ${c.contentType} ${c.path} ${c.batch} ${Buffer.from(c.body).toString('base64')}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) {
    verdict = judge(c);
    verdicts.set(key, verdict);
  }
  return verdict;
}

function judge(c: FuzzCase): boolean {
  if (c.method !== 'POST' || c.contentType !== 'application/json' || !c.body || c.body.length > MAX_BODY) return false;
  const paths = c.path.split(',');
  const schemas = paths.map(schemaFor);
  let parsed: unknown;
  try {
    parsed = JSON.parse(strict.decode(c.body));
  } catch {
    return false;
  }
  if (c.batch && (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))) return false;
  const inputs = c.batch ? paths.map((_, i) => (parsed as Record<string, unknown>)[i]) : [parsed];
  // One acceptable call in a batch would be written.
  return inputs.some((raw, i) => {
    const schema = schemas[i];
    if (!schema || raw === undefined) return false;
    try {
      return schema.safeParse(superjson.deserialize(raw as Parameters<typeof superjson.deserialize>[0])).success;
    } catch {
      return false;
    }
  });
}

/** A superjson body for a value (plain JSON when superjson refuses it, e.g. own `__proto__` keys). */
export function sj(value: unknown): string {
  try {
    return JSON.stringify(superjson.serialize(value as Parameters<typeof superjson.serialize>[0]));
  } catch {
    return JSON.stringify({ json: value }, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
}

/** The JSON text of a target's valid sample input, as superjson would send it. */
export function validJson(name: TargetName): { json: string; meta: string | undefined } {
  const { json, meta } = superjson.serialize({ input: TARGETS[name].sample } as Parameters<typeof superjson.serialize>[0]);
  return { json: JSON.stringify(json), meta: meta === undefined ? undefined : JSON.stringify(meta) };
}
