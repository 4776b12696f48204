import { toJson } from '@taskwire/shared';

/**
 * Machine output (`--json`). Values are written as plain JSON, chosen so that the output of one
 * command can be fed back as the input of another: `Date` → ISO 8601 string, `bigint` → decimal
 * string, `Map` → `[[key, value], …]`, `Set` → array; `undefined` fields are left out.
 */

/**
 * One JSON document on one line.
 *
 * @example
 * formatJson({ at: new Date(0), n: 1n }); // '{"at":"1970-01-01T00:00:00.000Z","n":"1"}'
 */
export function formatJson(value: unknown): string {
  return JSON.stringify(toJson(value) ?? null);
}
