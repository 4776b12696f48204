/** A CSV cell value; `null`/`undefined` render as an empty cell. */
export type CsvValue = string | number | null | undefined;

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF, with quotes doubled.
 *
 * @example
 * csvField('say "hi", bob'); // '"say ""hi"", bob"'
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * A CSV document per RFC 4180: a header line, one line per row, CRLF after every line.
 *
 * @example
 * toCsv(['family', 'count'], [['email', 3]]); // 'family,count\r\nemail,3\r\n'
 */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}
