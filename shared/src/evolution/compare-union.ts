import { type Change, type Comparison, type Effect, report, showValue, unproven } from './change.ts';
import { compareVariant } from './compare-variant.ts';
import { isObject, resolveRef } from './resolve-ref.ts';
import { sameSchema } from './same-schema.ts';
import type { Kind, Variant } from './variants.ts';

const WIRE_KINDS: readonly Kind[] = ['Date', 'bigint', 'Map', 'Set'];

/**
 * Compares two schemas read as unions (see `variantsOf`): first the set of kinds (string, Date,
 * null, …), then each member against its counterpart. Members are paired from the side that
 * carries the obligation: every old member must find a new one that accepts it (`accepts`), every
 * new member an old one that expects it (`produces`). Objects are paired by a discriminator when
 * they have one, other same-kind members by the counterpart that breaks least.
 *
 * @example
 * compareUnion(cmp, 'id', variantsOf({ type: ['string', 'number'] }, root), variantsOf({ type: 'string' }, root)); // "type narrowed from string|number to string"
 */
export function compareUnion(cmp: Comparison, path: string, before: Variant[], after: Variant[]): void {
  if (!compareOpaque(cmp, path, before, after)) return;
  compareKinds(cmp, path, before, after);
  const forward = cmp.direction === 'accepts';
  const comparable = (v: Variant) => v.kind !== 'opaque' && v.kind !== 'any';
  const obligations = (forward ? before : after).filter(comparable);
  const offers = (forward ? after : before).filter(comparable);
  for (const family of new Set(obligations.map((v) => familyOf(v.kind)))) {
    const group = obligations.filter((v) => familyOf(v.kind) === family);
    const pool = offers.filter((v) => familyOf(v.kind) === family);
    if (pool.length === 0) continue; // reported by compareKinds
    const labelled = group.length > 1 || pool.length > 1;
    const discriminator = family === 'object' && labelled ? discriminatorOf(group, pool) : undefined;
    const label = (v: Variant, list: Variant[]) =>
      !labelled ? undefined : discriminator ? `${discriminator}=${showValue(tagOf(v, discriminator))}` : `#${list.indexOf(v) + 1}`;
    const matches = discriminator
      ? group.map((member) => pool.find((v) => sameTag(v, member, discriminator)))
      : counterparts(cmp, path, group, pool);
    const used = new Set(matches);
    for (const [i, member] of group.entries()) {
      const match = matches[i];
      if (!match) {
        reportMember(cmp, path, member, forward ? 'removed' : 'added', label(member, group));
        continue;
      }
      const [b, a] = forward ? [member, match] : [match, member];
      comparePair(cmp, path, b, a, label(member, group));
    }
    for (const member of pool) if (!used.has(member)) reportMember(cmp, path, member, forward ? 'added' : 'removed', label(member, pool));
  }
}

/**
 * The counterpart of each obligation among same-kind offers: an identical one if any, else the
 * least breaking of those still free, else (several members collapsed into one) any that does not
 * break. An obligation left with only breaking counterparts that other members already took has
 * none: it was removed (or added), which says more than its differences from an unrelated member.
 */
function counterparts(cmp: Comparison, path: string, group: Variant[], pool: Variant[]): (Variant | undefined)[] {
  const matches = group.map((member) => pool.find((offer) => identical(cmp, member, offer)));
  const used = new Set(matches);
  return group.map((member, i) => {
    if (matches[i]) return matches[i];
    if (group.length === 1 && pool.length === 1) return pool[0];
    const free = pool.filter((offer) => !used.has(offer));
    const best = leastBreaking(cmp, path, member, free.length > 0 ? free : pool);
    if (!best || (best.breaking > 0 && free.length === 0)) return undefined;
    used.add(best.variant);
    return best.variant;
  });
}

function identical(cmp: Comparison, obligation: Variant, offer: Variant): boolean {
  const [b, a] = cmp.direction === 'accepts' ? [obligation, offer] : [offer, obligation];
  return (
    b.kind === a.kind &&
    JSON.stringify(b.values) === JSON.stringify(a.values) &&
    sameSchema(b.schema, a.schema, cmp.beforeRoot, cmp.afterRoot)
  );
}

// Integers are numbers: an integer member pairs with a number member (a widening or narrowing).
function familyOf(kind: Kind): string {
  return kind === 'integer' ? 'number' : kind;
}

function compareKinds(cmp: Comparison, path: string, before: Variant[], after: Variant[]): void {
  const b = kindsOf(before);
  const a = kindsOf(after);
  const widened = b.every((kind) => covers(a, kind));
  const narrowed = a.every((kind) => covers(b, kind));
  if (widened && narrowed) return;
  const effect: Effect = widened ? 'widened' : narrowed ? 'narrowed' : 'changed';
  const differ = [...b.filter((k) => !a.includes(k)), ...a.filter((k) => !b.includes(k))];
  const wire = differ.some((kind) => WIRE_KINDS.includes(kind));
  const show = (kinds: Kind[]) => (kinds.length === 0 ? 'never' : kinds.join('|'));
  const verb = { widened: 'widened', narrowed: 'narrowed', changed: 'changed' }[effect];
  const why = wire && effect === 'changed' ? ' (superjson encodes them differently on the wire)' : '';
  report(cmp, path, wire ? 'wire-type' : 'type', effect, `type ${verb} from ${show(b)} to ${show(a)}${why}`);
}

function kindsOf(variants: Variant[]): Kind[] {
  return [...new Set(variants.map((v) => v.kind).filter((kind) => kind !== 'opaque'))];
}

function covers(kinds: Kind[], kind: Kind): boolean {
  return kinds.includes('any') || kinds.includes(kind) || (kind === 'integer' && kinds.includes('number'));
}

// Constructs the engine does not model must stay exactly as they were; returns whether they did.
function compareOpaque(cmp: Comparison, path: string, before: Variant[], after: Variant[]): boolean {
  const b = before.filter((v) => v.kind === 'opaque');
  const a = after.filter((v) => v.kind === 'opaque');
  if (b.length === 0 && a.length === 0) return true;
  const matched = (v: Variant, others: Variant[], forward: boolean) =>
    others.some((o) =>
      forward
        ? sameSchema(v.schema, o.schema, cmp.beforeRoot, cmp.afterRoot)
        : sameSchema(o.schema, v.schema, cmp.beforeRoot, cmp.afterRoot),
    );
  if (b.length === a.length && b.every((v) => matched(v, a, true)) && a.every((v) => matched(v, b, false))) return true;
  const keywords = [...new Set([...b, ...a].flatMap((v) => Object.keys(v.schema)))].join(', ');
  unproven(cmp, path, `a schema the checker does not model changed (${keywords || 'unresolvable $ref'})`);
  return false;
}

function reportMember(cmp: Comparison, path: string, member: Variant, change: 'added' | 'removed', label: string | undefined): void {
  const effect: Effect = change === 'added' ? 'widened' : 'narrowed';
  report(cmp, path, 'union-member', effect, `union member ${label ?? member.kind} ${change}`);
}

function comparePair(cmp: Comparison, path: string, before: Variant, after: Variant, label: string | undefined): void {
  if (!label) {
    compareVariant(cmp, path, before, after);
    return;
  }
  const changes: Change[] = [];
  compareVariant({ ...cmp, changes }, path, before, after);
  for (const change of changes) cmp.changes.push({ ...change, message: `in member ${label}: ${change.message}` });
}

// Tries every candidate and keeps the one with the fewest breaking (then fewest) differences.
function leastBreaking(
  cmp: Comparison,
  path: string,
  member: Variant,
  pool: Variant[],
): { variant: Variant; breaking: number } | undefined {
  let best: { variant: Variant; breaking: number; total: number } | undefined;
  for (const candidate of pool) {
    const changes: Change[] = [];
    const trial = { ...cmp, changes };
    if (cmp.direction === 'accepts') compareVariant(trial, path, member, candidate);
    else compareVariant(trial, path, candidate, member);
    const breaking = changes.filter((c) => c.breaking).length;
    if (!best || breaking < best.breaking || (breaking === best.breaking && changes.length < best.total)) {
      best = { variant: candidate, breaking, total: changes.length };
    }
  }
  return best;
}

function tagOf(variant: Variant, property: string): unknown {
  const properties = variant.schema.properties;
  const schema = isObject(properties) ? properties[property] : undefined;
  if (!isObject(schema)) return undefined;
  if (Object.hasOwn(schema, 'const')) return schema.const;
  return Array.isArray(schema.enum) && schema.enum.length === 1 ? schema.enum[0] : undefined;
}

function sameTag(a: Variant, b: Variant, property: string): boolean {
  return JSON.stringify(tagOf(a, property)) === JSON.stringify(tagOf(b, property));
}

// A property that holds a distinct literal in every object member on each side.
function discriminatorOf(group: Variant[], pool: Variant[]): string | undefined {
  const first = group[0]?.schema.properties;
  if (!isObject(first)) return undefined;
  const distinct = (list: Variant[], property: string) => {
    const tags = list.map((v) => tagOf(v, property));
    return tags.every((tag) => tag !== undefined) && new Set(tags.map((tag) => JSON.stringify(tag))).size === tags.length;
  };
  return Object.keys(first).find((property) => distinct(group, property) && distinct(pool, property));
}

/**
 * Compares whether a union is exclusive (`oneOf`: `z.xor()`, discriminated unions) or not
 * (`anyOf`: `z.union()`). That changes only values that match several members, so it is no change
 * when no value can: members of different kinds, or objects told apart by a literal tag.
 *
 * @example
 * compareExclusive(cmp, 'id', { anyOf: [int, number] }, { oneOf: [int, number] }, …); // "… now rejected", narrowed
 */
export function compareExclusive(cmp: Comparison, path: string, before: unknown, after: unknown, variants: [Variant[], Variant[]]): void {
  const b = exclusiveness(before, cmp.beforeRoot);
  const a = exclusiveness(after, cmp.afterRoot);
  if (b === undefined || a === undefined || b === a) return;
  if (variants.every(disjoint)) return;
  if (a)
    report(cmp, path, 'exclusive-union', 'narrowed', 'the union became exclusive: a value that matches several members is now rejected');
  else
    report(
      cmp,
      path,
      'exclusive-union',
      'widened',
      'the union is no longer exclusive: a value that matches several members is now accepted',
    );
}

// Whether a union (looked for through `anyOf` wrappers, e.g. `.nullable()`) is exclusive; undefined: no union.
function exclusiveness(node: unknown, root: Record<string, unknown>, depth = 0): boolean | undefined {
  const resolved = resolveRef(node, root);
  const schema = 'schema' in resolved ? resolved.schema : undefined;
  if (!isObject(schema) || depth > 8) return undefined;
  if (Array.isArray(schema.oneOf)) return true;
  if (!Array.isArray(schema.anyOf)) return undefined;
  const inner = schema.anyOf.map((member) => exclusiveness(member, root, depth + 1)).find((e) => e !== undefined);
  return inner ?? false;
}

function disjoint(variants: Variant[]): boolean {
  if (variants.some((v) => v.kind === 'any' || v.kind === 'opaque')) return false;
  for (const family of new Set(variants.map((v) => familyOf(v.kind)))) {
    const group = variants.filter((v) => familyOf(v.kind) === family);
    if (group.length < 2) continue;
    if (family === 'object' && discriminatorOf(group, group)) continue;
    if (group.every((v) => v.values !== undefined)) continue;
    return false;
  }
  return true;
}
