import { TaskwireError } from '@taskwire/shared';
import { JobFailedError } from '../runtime/errors.ts';
import type { CliContext, CliIo } from './context.ts';
import { exitCodeFor } from './exit-codes.ts';
import { UsageError } from './usage-error.ts';

/**
 * Prints a failure to stderr as `taskwire: <CODE>: <message>`, then one `  <path>: <message>` line
 * per field issue; with `--json` also writes `{"error": {…}}` as the command's document on stdout.
 * Returns the exit code.
 *
 * @example
 * return reportError(ctx, error);
 */
export function reportError(
  target: Pick<CliContext, 'json' | 'emit'> & { io: CliIo },
  error: unknown,
  options: { document?: boolean } = {},
): number {
  const exitCode = exitCodeFor(error);
  const write = (line: string) => target.io.stderr.write(`${line}\n`);
  if (error instanceof UsageError) {
    write(`taskwire: USAGE: ${error.message}`);
    write(`Run 'taskwire ${error.command ? `${error.command} ` : ''}--help' for usage.`);
    if (target.json && options.document !== false) target.emit({ error: { code: 'USAGE', message: error.message } });
    return exitCode;
  }
  const failure = TaskwireError.fromUnknown(error);
  const jobId = failure instanceof JobFailedError ? failure.jobId : undefined;
  write(`taskwire: ${failure.code}: ${headline(failure)}${jobId ? ` (job ${jobId})` : ''}`);
  for (const issue of failure.issues ?? []) write(`  ${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  if (target.json && options.document !== false) {
    target.emit({ error: { code: failure.code, message: failure.message, issues: failure.issues, jobId } });
  }
  return exitCode;
}

/**
 * The message, without the issue list it may repeat (they follow one per line), and with the
 * low-level reason when there is one (`connect ECONNREFUSED 127.0.0.1:3000`).
 */
function headline(error: TaskwireError): string {
  const issues = error.issues ?? [];
  let message = error.message;
  const head = message.split(': ')[0] ?? message;
  if (issues.length > 0 && head !== message && issues.every((issue) => message.includes(issue.message))) message = head;
  let root: unknown = error;
  while (root instanceof Error && root.cause instanceof Error) root = root.cause;
  if (root !== error && root instanceof Error && !error.message.includes(root.message)) message += ` (${root.message})`;
  return message;
}
