/**
 * A command line the CLI cannot act on (unknown command, option or task, a missing argument,
 * JSON that does not parse). Reported as `taskwire: USAGE: …` with exit code 2.
 *
 * @example
 * throw new UsageError("--limit must be an integer, got 'ten'", 'list');
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose help to point at, e.g. `schedules upsert`. */
    readonly command?: string,
  ) {
    super(message);
  }
}
