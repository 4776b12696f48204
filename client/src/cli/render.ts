/**
 * Human output: aligned tables (list, stats) and `key: value` blocks (get, health…). Dates are
 * ISO 8601; a missing value is `-`.
 */
import { formatJson } from './json.ts';

export interface Column {
  title: string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
}

/**
 * Rows under a header, every column as wide as its widest cell, two spaces apart.
 *
 * @example
 * renderTable([{ title: 'FAMILY' }, { title: 'FAILED', align: 'right' }], [['email', '3']]);
 * // FAMILY  FAILED
 * // email        3
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) => Math.max(column.title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] ?? 0;
        return column.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)].join('\n');
}

/**
 * `key: value` lines, values aligned; nested objects and maps are indented blocks under their key.
 *
 * @example
 * renderBlock({ id: 'reports.7', state: 'completed', result: { rows: 3 } });
 * // id:     reports.7
 * // state:  completed
 * // result:
 * //   rows:  3
 */
export function renderBlock(record: Record<string, unknown>, indent = 0): string {
  const entries = Object.entries(record).filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...entries.map(([key]) => key.length)) + 1;
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  for (const [key, value] of entries) {
    const nested = asRecord(value);
    if (nested && Object.keys(nested).length > 0) {
      lines.push(`${pad}${key}:`, renderBlock(nested, indent + 2));
    } else {
      lines.push(`${pad}${`${key}:`.padEnd(width)}  ${formatValue(value)}`);
    }
  }
  return lines.join('\n');
}

/**
 * One value on one line: ISO dates, `-` for null, lists of scalars comma-separated, anything
 * deeper as compact JSON.
 */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  const list = Array.isArray(value) ? value : value instanceof Set ? [...value] : undefined;
  if (list) {
    if (list.length === 0) return '[]';
    if (list.every(isScalar)) return list.map(formatValue).join(', ');
  }
  const record = asRecord(value);
  if (record && Object.keys(record).length === 0) return '{}';
  return formatJson(value);
}

/** Truncates to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function isScalar(value: unknown): boolean {
  return value === null || value instanceof Date || (typeof value !== 'object' && typeof value !== 'function');
}

/** Plain objects as they are; Maps as records keyed by their keys' display form. */
function asRecord(value: unknown): Record<string, unknown> | undefined {
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, item]) => [formatValue(key), item]));
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date || value instanceof Set)
    return undefined;
  return value as Record<string, unknown>;
}

/** A job's result: a block for an object, `result: <value>` otherwise. */
export function renderResult(value: unknown): string {
  const record = asRecord(value);
  return record && Object.keys(record).length > 0 ? renderBlock(record) : renderBlock({ result: value });
}
