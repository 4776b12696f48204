import { formatIssues, MAX_CURSOR_LENGTH, TaskwireError, toIssues } from '@taskwire/shared';
import { z } from 'zod';

/** The most jobs of one family a cursor may have gone past (far beyond any real backlog). */
export const MAX_CURSOR_POSITION = 10_000_000;

/**
 * Where a listing stands: the state it lists and, per family, how many of that family's jobs
 * earlier pages returned. The next page reads each family from there.
 */
export interface ListCursor {
  state: string;
  positions: Record<string, number>;
}

/** What a cursor must match: the state and the exact families of the call it is sent with. */
export interface CursorScope {
  state: string;
  families: readonly string[];
}

const position = z.number().int().min(0).max(MAX_CURSOR_POSITION);

/**
 * Encodes a cursor for the caller: base64url JSON, opaque by contract (only the API reads it).
 *
 * @example
 * encodeListCursor({ state: 'waiting', positions: { email: 20, reports: 0 } }); // 'eyJzdGF0ZSI6…'
 */
export function encodeListCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify({ state: cursor.state, positions: cursor.positions })).toString('base64url');
}

/**
 * Decodes a cursor sent back by a caller, or throws INVALID_INPUT. It must be well-formed, name
 * the same state, and name exactly the families of this call, which the caller's scopes and
 * `family` filter decide. So a cursor never widens what a caller reads: an edited one can only
 * move within families it may already read.
 *
 * @example
 * const { positions } = decodeListCursor(input.cursor, { state: 'failed', families: ['email'] });
 */
export function decodeListCursor(text: string, scope: CursorScope): ListCursor {
  const schema = z.strictObject({
    state: z.literal(scope.state, { error: `this cursor lists another state than '${scope.state}'` }),
    positions: z.record(z.string(), position),
  });
  const raw = parseJson(text);
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = toIssues(parsed.error.issues).map((issue) => ({ ...issue, path: ['cursor', ...issue.path] }));
    throw new TaskwireError('INVALID_INPUT', `Invalid cursor: ${formatIssues(issues)}`, { issues });
  }
  // The raw keys, not the parsed ones: zod drops a `__proto__` key rather than reporting it.
  const named = Object.keys((raw as { positions: object }).positions);
  const foreign = named.filter((name) => !scope.families.includes(name));
  if (foreign.length > 0) throw invalid(`it names ${foreign.join(', ')}, which this call does not list`);
  const missing = scope.families.filter((name) => !named.includes(name));
  if (missing.length > 0) {
    throw invalid(`it does not name ${missing.join(', ')}; start again without a cursor (the families listed changed)`);
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text)) throw invalid('not a cursor returned by this API');
  try {
    return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor returned by this API');
  }
}

function invalid(reason: string): TaskwireError {
  return new TaskwireError('INVALID_INPUT', `Invalid cursor: ${reason}`, { issues: [{ path: ['cursor'], message: reason }] });
}
