/**
 * Plain JSON for callers without superjson (REST, CLI): JSON has no Date, bigint, Map or Set, so
 * values are written as ISO 8601 strings, decimal strings, `[[key, value], …]` and arrays, and read
 * back along the schema that says which type each place holds.
 */

interface ZodLike {
  _zod: { def: { type: string } & Record<string, unknown> };
  safeParse(value: unknown): { success: boolean };
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'catch', 'readonly', 'nonoptional']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const INTEGER = /^[+-]?\d+$/;
const MAX_DEPTH = 200;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Converts parsed JSON to the types of `schema`: ISO strings become `Date` under `z.date()`,
 * integers and digit strings `bigint` under `z.bigint()`, entry arrays (or objects) `Map` under
 * `z.map()`, arrays `Set` under `z.set()`, recursively. What does not convert is left as is, for
 * the schema to reject with a path.
 *
 * @example
 * fromJson(healthCheck.input, { nonce: 'n', sentAt: '2030-01-01T00:00:00Z' }); // sentAt: Date
 */
export function fromJson(schema: unknown, value: unknown): unknown {
  return walk(schema as ZodLike, value, 0);
}

function walk(schema: ZodLike, value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || value === undefined || value === null) return value;
  const def = schema._zod.def;
  const child = (s: unknown, v: unknown) => walk(s as ZodLike, v, depth + 1);
  if (WRAPPERS.has(def.type)) return child(def.innerType, value);
  switch (def.type) {
    case 'date': {
      if (typeof value !== 'string' || !ISO_DATE.test(value)) return value;
      const date = new Date(value);
      return Number.isNaN(date.getTime()) ? value : date;
    }
    case 'bigint':
      if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
      return typeof value === 'string' && INTEGER.test(value) ? BigInt(value) : value;
    case 'object': {
      if (!isPlainObject(value)) return value;
      const shape = def.shape as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const field = Object.hasOwn(shape, key) ? shape[key] : def.catchall;
          return [key, field ? child(field, item) : item];
        }),
      );
    }
    case 'record':
      return isPlainObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, child(def.valueType, v)])) : value;
    case 'array':
      return Array.isArray(value) ? value.map((item) => child(def.element, item)) : value;
    case 'tuple': {
      if (!Array.isArray(value)) return value;
      const items = def.items as unknown[];
      return value.map((item, i) => ((items[i] ?? def.rest) ? child(items[i] ?? def.rest, item) : item));
    }
    case 'set':
      return Array.isArray(value) ? new Set(value.map((item) => child(def.valueType, item))) : value;
    case 'map': {
      const entries =
        Array.isArray(value) && value.every((p) => Array.isArray(p) && p.length === 2)
          ? (value as [unknown, unknown][])
          : isPlainObject(value)
            ? Object.entries(value)
            : undefined;
      return entries ? new Map(entries.map(([k, v]) => [child(def.keyType, k), child(def.valueType, v)])) : value;
    }
    case 'union': {
      // The first option the converted value satisfies; otherwise the value unchanged.
      for (const option of def.options as ZodLike[]) {
        const converted = walk(option, value, depth + 1);
        if (option.safeParse(converted).success) return converted;
      }
      return value;
    }
    case 'pipe':
      return child(def.in, value);
    case 'lazy':
      return child((def.getter as () => unknown)(), value);
    default:
      return value;
  }
}

/**
 * The JSON form of a value holding rich types: Date → ISO string, bigint → decimal string,
 * Map → `[[key, value], …]`, Set → array; plain data unchanged.
 *
 * @example
 * JSON.stringify(toJson({ at: new Date(0), n: 10n })); // {"at":"1970-01-01T00:00:00.000Z","n":"10"}
 */
export function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return [...value].map(([k, v]) => [toJson(k), toJson(v)]);
  if (value instanceof Set) return [...value].map(toJson);
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toJson(v)]),
    );
  }
  return value;
}
