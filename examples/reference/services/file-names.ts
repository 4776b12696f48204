/**
 * A UTC timestamp with milliseconds that is safe in file names on every OS (no `:`) and sorts
 * chronologically as text, which is what backup retention relies on.
 *
 * @example
 * fileTimestamp(new Date('2025-03-04T05:06:07.089Z')); // '2025-03-04T05-06-07-089Z'
 */
export function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-');
}

/** Matches what {@link fileTimestamp} produces. */
export const FILE_TIMESTAMP_PATTERN = '\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-\\d{3}Z';

/**
 * A lowercase ASCII file-name fragment from free text: accents dropped, anything else that is not
 * a letter or digit collapsed to `-`, at most `maxLength` characters; `fallback` when nothing is left.
 *
 * @example
 * slugify('Q3 "Activity" — Zürich'); // 'q3-activity-zurich'
 */
export function slugify(text: string, fallback = 'report', maxLength = 60): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, maxLength)
    .replace(/-+$/, '');
  return slug || fallback;
}
