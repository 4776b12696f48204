import { z } from 'zod';
import { CHECK_KINDS, type Coverage, FORMATS, invisibleText, OPTIONS, SCHEMA_TYPES } from './coverage.ts';
import { itemsPath, keysPath, propertyPath, tuplePath, valuesPath } from './path.ts';

/** Something a contract uses that the lock cannot record, and where. */
export interface InvisibleConstraint {
  /** Where in the value, in the notation of `compareSchemas` (`''` is the value itself). */
  path: string;
  what: string;
}

interface Internals {
  def: { type: string; checks?: Check[]; [key: string]: unknown };
  traits: Set<string>;
  innerType?: z.ZodType;
}
interface Check {
  _zod: { def: { check: string; [key: string]: unknown }; traits: Set<string> };
}

const DISCRIMINANTS = new Set(['type', 'check', 'format', 'checks']);
// Regex flags that change what matches; `g` and `d` do not (zod resets lastIndex before each test).
const MATCHING_FLAGS = /[imsuvy]/;

// zod's own `when` on length and size checks, shared by every such check: inert, unlike one of yours.
const ZOD_WHEN = new Set<unknown>([
  (z.string().min(0) as unknown as { _zod: Internals })._zod.def.checks?.[0]?._zod.def.when,
  (z.set(z.never()).min(0) as unknown as { _zod: Internals })._zod.def.checks?.[0]?._zod.def.when,
]);

/**
 * Lists what a schema uses that `contracts:check` cannot see (see `coverage.ts`): refinements,
 * rewrites, pipes, types that superjson does not carry, regex flags, and anything of zod the
 * coverage tables do not classify (a newer zod), each with the path of the field that uses it.
 *
 * @example
 * invisibleConstraints(z.object({ to: z.string().refine((s) => s.includes('@')) }));
 * // [{ path: 'to', what: 'a refinement (.refine(), .superRefine(), .check()): code the lock cannot record' }]
 */
export function invisibleConstraints(schema: z.ZodType): InvisibleConstraint[] {
  const out: InvisibleConstraint[] = [];
  walk(schema, '', out, new Set());
  const seen = new Set<string>();
  return out.filter((item) => {
    const key = `${item.path}\u0000${item.what}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function walk(schema: z.ZodType, path: string, out: InvisibleConstraint[], stack: Set<z.ZodType>): void {
  // A recursive schema (z.lazy or a getter) meets itself again: its fields were listed the first time.
  if (stack.has(schema)) return;
  stack.add(schema);
  const internals = (schema as unknown as { _zod: Internals })._zod;
  const def = internals.def;
  const type = SCHEMA_TYPES[def.type];
  note(out, path, type, `a zod type '${def.type}' that taskwire does not classify`);
  const values = def.type === 'literal' && Array.isArray(def.values) ? def.values : [];
  // The lock writes an all-bigint literal as one; mixed with other values, its bigints read as numbers.
  if (values.some((v) => typeof v === 'bigint') && !values.every((v) => typeof v === 'bigint')) {
    out.push({ path, what: 'a literal that mixes bigints with other values: the lock records its bigints as numbers' });
  }
  if (type === 'compared') {
    if (internals.traits.has('$ZodCheck')) checkOf(out, path, { _zod: internals as unknown as Check['_zod'] });
    else options(out, path, def, internals.traits);
    for (const check of def.checks ?? []) checkOf(out, path, check);
  }
  for (const [child, at] of children(internals, path)) walk(child, at, out, stack);
  stack.delete(schema);
}

function checkOf(out: InvisibleConstraint[], path: string, check: Check): void {
  const def = check._zod.def;
  const kind = CHECK_KINDS[def.check];
  note(out, path, kind, `a zod check '${def.check}' that taskwire does not classify`);
  if (kind !== 'compared') return;
  const format = typeof def.format === 'string' ? def.format : undefined;
  if (format !== undefined && !check._zod.traits.has('$ZodCustomStringFormat')) {
    note(out, path, FORMATS[format], `a zod format '${format}' that taskwire does not classify`);
  }
  options(out, path, def, check._zod.traits);
  for (const key of ['pattern', 'protocol', 'hostname'] as const) {
    const regex = def[key];
    if (regex instanceof RegExp && MATCHING_FLAGS.test(regex.flags) && def.format !== undefined && isOwnRegex(def, key)) {
      out.push({ path, what: `the regex flags '${regex.flags}' of ${showRegex(regex)}: the lock records the pattern without them` });
    }
  }
}

// Built-in formats (email, uuid, emoji, …) carry zod's own flagged regexes: their format name records them.
function isOwnRegex(def: Check['_zod']['def'], key: string): boolean {
  return key !== 'pattern' || def.format === 'regex';
}

function options(out: InvisibleConstraint[], path: string, def: Internals['def'] | Check['_zod']['def'], traits: Set<string>): void {
  const names = [...traits].filter((trait) => trait.startsWith('$Zod')).map((trait) => trait.slice(4));
  for (const name of names) note(out, path, OPTIONS[`${name}.*`] ?? 'compared', '');
  for (const [key, value] of Object.entries(def)) {
    if (value === undefined || DISCRIMINANTS.has(key)) continue;
    if (key === 'when' && ZOD_WHEN.has(value)) continue;
    // A format given a regex is checked by `regex.test`: the regex reaches the lock as its pattern.
    if (key === 'fn' && traits.has('$ZodCustomStringFormat') && def.pattern instanceof RegExp) continue;
    const coverage = names.map((name) => OPTIONS[`${name}.${key}`]).find((entry) => entry !== undefined);
    note(out, path, coverage, `a zod option '${key}' that taskwire does not classify`);
  }
}

function note(out: InvisibleConstraint[], path: string, coverage: Coverage | undefined, unclassified: string): void {
  const text = coverage === undefined ? unclassified : invisibleText(coverage);
  if (text) out.push({ path, what: text });
}

function children(internals: Internals, path: string): [z.ZodType, string][] {
  const def = internals.def as Record<string, unknown> & { type: string };
  const one = (key: string, at = path): [z.ZodType, string][] => (def[key] ? [[def[key] as z.ZodType, at]] : []);
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      return [
        ...Object.entries(shape).map(([key, child]): [z.ZodType, string] => [child, propertyPath(path, key)]),
        ...one('catchall', valuesPath(path)),
      ];
    }
    case 'array':
      return one('element', itemsPath(path));
    case 'set':
      return one('valueType', itemsPath(path));
    case 'tuple':
      return [
        ...(def.items as z.ZodType[]).map((item, i): [z.ZodType, string] => [item, tuplePath(path, i)]),
        ...one('rest', itemsPath(path)),
      ];
    case 'record':
    case 'map':
      return [...one('keyType', keysPath(path)), ...one('valueType', valuesPath(path))];
    case 'union':
      return (def.options as z.ZodType[]).map((option) => [option, path]);
    case 'intersection':
      return [...one('left'), ...one('right')];
    case 'pipe':
      return [...one('in'), ...one('out')];
    case 'lazy':
      return internals.innerType ? [[internals.innerType, path]] : [];
    default:
      return one('innerType');
  }
}

function showRegex(regex: RegExp): string {
  const text = `/${regex.source}/${regex.flags}`;
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}
