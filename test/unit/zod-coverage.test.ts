/**
 * Reads zod's own source for everything it can put on a schema (schema types, check kinds,
 * formats, the options of every definition) and asks that each is classified in
 * `shared/src/evolution/coverage.ts`: compared by the contract check, inert, or invisible (and
 * warned about). A zod upgrade that adds any of them fails here until it is classified.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CHECK_KINDS, FORMATS, OPTIONS, SCHEMA_TYPES } from '@taskwire/shared/evolution';
import { describe, expect, it } from 'vitest';

const zodRoot = join(dirname(createRequire(import.meta.url).resolve('zod/package.json')), 'v4');
const read = (file: string) => readFileSync(join(zodRoot, file), 'utf8');
const matches = (pattern: RegExp, text: string) => [...text.matchAll(pattern)].map((m) => m[1] as string);
const javascript = ['core', 'classic', 'mini']
  .flatMap((dir) =>
    readdirSync(join(zodRoot, dir))
      .filter((file) => file.endsWith('.js'))
      .map((file) => read(join(dir, file))),
  )
  .join('\n');
const schemasDts = read('core/schemas.d.ts');
const checksDts = read('core/checks.d.ts');

/** Every `check: "…"` discriminant zod constructs. */
const zodCheckKinds = new Set(matches(/\bcheck: "([a-z_]+)"/g, javascript));

/** Every `type: "…"` of a schema definition. */
const zodTypes = new Set(matches(/^\s+type: "([a-z_]+)";/gm, schemasDts));

/** Every format: written by an API function, declared by a definition or a union, or computed (hashes). */
const zodFormats = new Set([
  ...matches(/\bformat: "([a-z0-9_]+)"/g, javascript),
  ...matches(/\$ZodStringFormatDef<"([a-z0-9_]+)">/g, schemasDts),
  ...matches(/_stringFormat\(\w+, "([a-z0-9_]+)"/g, javascript),
  ...matches(/export const ([a-z0-9]+_(?:hex|base64|base64url))\b/g, read('core/regexes.js')),
  ...['$ZodStringFormats', '$ZodNumberFormats', '$ZodBigIntFormats'].flatMap((name) =>
    matches(/"([a-z0-9_]+)"/g, checksDts.match(new RegExp(`type \\${name} = ([^;]+);`))?.[1] ?? ''),
  ),
]);

interface Definition {
  name: string;
  fields: string[];
}

/** Every `$Zod…Def` interface with the fields (and methods) it declares itself. */
function definitions(text: string): Definition[] {
  const out: Definition[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^export interface \$Zod(\w+?)Def\b/.exec(lines[i] ?? '');
    if (!head) continue;
    const fields: string[] = [];
    if (!/\{\s*\}\s*$/.test(lines[i] ?? '')) {
      for (i++; i < lines.length && !/^}/.test(lines[i] ?? ''); i++) {
        const field = /^ {4}(?:readonly )?([A-Za-z_$][\w$]*)\??[:(<]/.exec(lines[i] ?? '');
        if (field) fields.push(field[1] as string);
      }
    }
    out.push({ name: head[1] as string, fields });
  }
  return out;
}

const zodDefinitions = [...definitions(schemasDts), ...definitions(checksDts)];
const DISCRIMINANTS = new Set(['type', 'check', 'format']);
const zodOptions = new Set(
  zodDefinitions.flatMap(({ name, fields }) => fields.filter((field) => !DISCRIMINANTS.has(field)).map((field) => `${name}.${field}`)),
);

const unclassified = (found: Set<string>, table: Readonly<Record<string, unknown>>) => [...found].filter((key) => !(key in table)).sort();

describe('every zod construct is classified for the contract check', () => {
  it('reads a plausible inventory from zod (the scan itself works)', () => {
    expect(zodCheckKinds.size).toBeGreaterThanOrEqual(15);
    expect(zodTypes.size).toBeGreaterThanOrEqual(30);
    expect(zodFormats.size).toBeGreaterThanOrEqual(40);
    expect(zodOptions.size).toBeGreaterThanOrEqual(80);
    expect(zodOptions).toContain('URL.protocol');
    expect(zodOptions).toContain('CheckOverwrite.tx');
  });

  it('classifies every schema type', () => {
    expect(unclassified(zodTypes, SCHEMA_TYPES)).toEqual([]);
  });

  it('classifies every check kind', () => {
    expect(unclassified(zodCheckKinds, CHECK_KINDS)).toEqual([]);
  });

  it('classifies every format', () => {
    expect(unclassified(zodFormats, FORMATS)).toEqual([]);
  });

  it('classifies every option of every schema and check definition', () => {
    expect(unclassified(zodOptions, OPTIONS)).toEqual([]);
  });

  it('classifies definitions that add no option but may parse differently from their base', () => {
    // Such a definition is a type, a check kind or a format under another spelling, or has an entry of its own.
    const spell = (name: string) => name.replaceAll('_', '').toLowerCase();
    const names = new Set([...Object.keys(SCHEMA_TYPES), ...Object.keys(CHECK_KINDS), ...Object.keys(FORMATS)].map(spell));
    const own = new Set(Object.keys(OPTIONS).map((key) => key.split('.')[0]));
    const bare = zodDefinitions.filter(({ fields }) => fields.filter((field) => !DISCRIMINANTS.has(field)).length === 0);
    const missing = bare
      .map(({ name }) => name)
      .filter(
        (name) => !own.has(name) && !names.has(spell(name).replace(/^check|^iso/, '')) && !/^(String|Number|BigInt)Format$/.test(name),
      );
    expect(bare.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });

  it('names no construct zod does not have', () => {
    expect(Object.keys(SCHEMA_TYPES).filter((type) => !zodTypes.has(type))).toEqual([]);
    expect(Object.keys(CHECK_KINDS).filter((kind) => !zodCheckKinds.has(kind))).toEqual([]);
    expect(Object.keys(FORMATS).filter((format) => !zodFormats.has(format))).toEqual([]);
    const definitionNames = new Set(zodDefinitions.map(({ name }) => name));
    expect(Object.keys(OPTIONS).filter((key) => !definitionNames.has(key.split('.')[0] as string))).toEqual([]);
  });
});
