/**
 * Plain JSON for callers without superjson (REST, the CLI). JSON has no Date, bigint, Map or Set:
 * they are written as ISO 8601 strings, decimal strings, `[[key, value], …]` and arrays
 * ({@link toJson}), and read back by walking the schema next to the value ({@link fromJson});
 * anything that does not convert is left as is, for the schema to reject with a path.
 */

/** What the walk reads of a zod 4 schema: its definition (`_zod.def`) and `safeParse` (for unions). */
export interface WalkableSchema {
  _zod: { def: { type: string } };
  safeParse(value: unknown): { success: boolean; error?: { issues: readonly unknown[] } | undefined };
}

/** Definitions by kind, as far as the walk needs them. */
interface Defs {
  object: { shape: Record<string, WalkableSchema>; catchall?: WalkableSchema | undefined };
  array: { element: WalkableSchema };
  tuple: { items: readonly WalkableSchema[]; rest: WalkableSchema | null };
  record: { valueType: WalkableSchema };
  map: { keyType: WalkableSchema; valueType: WalkableSchema };
  set: { valueType: WalkableSchema };
  union: { options: readonly WalkableSchema[] };
  intersection: { left: WalkableSchema; right: WalkableSchema };
  pipe: { in: WalkableSchema };
  lazy: { getter: () => WalkableSchema };
  wrapper: { innerType: WalkableSchema };
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);
/** Wrappers (optional, lazy, pipe…) do not descend into the value; this bounds a chain of them. */
const MAX_WRAPPERS = 100;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const INTEGER = /^[+-]?\d+$/;

/**
 * Converts parsed JSON to the types of `schema`: ISO 8601 strings become `Date` under `z.date()`,
 * integral numbers and digit strings become `bigint` under `z.bigint()`, `[[key, value], …]` (or an
 * object) becomes a `Map` under `z.map()`, an array becomes a `Set` under `z.set()`, recursively.
 *
 * @example
 * fromJson(healthCheck.input, { nonce: 'n', sentAt: '2030-01-01T00:00:00Z' });
 * // → { nonce: 'n', sentAt: new Date('2030-01-01T00:00:00Z') }
 */
export function fromJson(schema: unknown, value: unknown): unknown {
  return walk(schema as WalkableSchema, value, 0);
}

function walk(schema: WalkableSchema, value: unknown, wrappers: number): unknown {
  const type = schema._zod.def.type;
  const def = <K extends keyof Defs>(_kind: K) => schema._zod.def as unknown as Defs[K];
  if (WRAPPERS.has(type)) {
    return value === undefined || value === null || wrappers > MAX_WRAPPERS ? value : walk(def('wrapper').innerType, value, wrappers + 1);
  }
  switch (type) {
    case 'date':
      return toDate(value);
    case 'bigint':
      return toBigInt(value);
    case 'object': {
      if (!isPlainObject(value)) return value;
      const { shape, catchall } = def('object');
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const field = Object.hasOwn(shape, key) ? shape[key] : catchall;
          return [key, field ? walk(field, item, 0) : item];
        }),
      );
    }
    case 'record': {
      if (!isPlainObject(value)) return value;
      const { valueType } = def('record');
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(valueType, item, 0)]));
    }
    case 'array':
      return Array.isArray(value) ? value.map((item) => walk(def('array').element, item, 0)) : value;
    case 'tuple': {
      if (!Array.isArray(value)) return value;
      const { items, rest } = def('tuple');
      return value.map((item, i) => {
        const element = items[i] ?? rest;
        return element ? walk(element, item, 0) : item;
      });
    }
    case 'map':
      return toMap(def('map'), value);
    case 'set':
      return Array.isArray(value) ? new Set(value.map((item) => walk(def('set').valueType, item, 0))) : value;
    case 'union':
      return bestOf(def('union').options, value);
    case 'intersection': {
      const { left, right } = def('intersection');
      return walk(right, walk(left, value, 0), 0);
    }
    case 'pipe':
      return wrappers > MAX_WRAPPERS ? value : walk(def('pipe').in, value, wrappers + 1);
    case 'lazy':
      return wrappers > MAX_WRAPPERS ? value : walk(def('lazy').getter(), value, wrappers + 1);
    default:
      return value;
  }
}

function toDate(value: unknown): unknown {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date;
}

function toBigInt(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && INTEGER.test(value)) return BigInt(value);
  return value;
}

function toMap({ keyType, valueType }: Defs['map'], value: unknown): unknown {
  let entries: [unknown, unknown][];
  if (Array.isArray(value) && value.every((pair) => Array.isArray(pair) && pair.length === 2)) {
    entries = value as [unknown, unknown][];
  } else if (isPlainObject(value)) {
    // Object keys are strings; a map keyed by numbers takes them back as numbers.
    const numericKeys = keyType._zod.def.type === 'number';
    entries = Object.entries(value).map(([key, item]) => [
      numericKeys && key.trim() !== '' && !Number.isNaN(Number(key)) ? Number(key) : key,
      item,
    ]);
  } else {
    return value;
  }
  return new Map(entries.map(([key, item]) => [walk(keyType, key, 0), walk(valueType, item, 0)]));
}

/** The first option the converted value fits; when none fits, the conversion that fits best (fewest issues). */
function bestOf(options: readonly WalkableSchema[], value: unknown): unknown {
  let best: { value: unknown; issues: number } | undefined;
  for (const option of options) {
    const candidate = walk(option, value, 0);
    const parsed = option.safeParse(candidate);
    const issues = parsed.success ? 0 : (parsed.error?.issues.length ?? 1);
    if (issues === 0) return candidate;
    if (!best || issues < best.issues) best = { value: candidate, issues };
  }
  return best ? best.value : value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A value with Date/bigint/Map/Set replaced by their JSON forms; `undefined` fields left out.
 *
 * @example
 * JSON.stringify(toJson({ at: new Date(0), n: 10n })); // {"at":"1970-01-01T00:00:00.000Z","n":"10"}
 */
export function toJson(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return [...value].map(([key, item]) => [toJson(key), toJson(item)]);
  if (value instanceof Set) return [...value].map(toJson);
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => [key, toJson(item)]),
    );
  }
  return value;
}
