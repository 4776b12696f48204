import { TaskwireError } from '@taskwire/shared';
import { JobFailedError } from '../runtime/errors.ts';
import { UsageError } from './usage-error.ts';

/** The CLI's exit codes; scripts can tell "try again later" (3) from "fix the call" (1, 2, 4). */
export const EXIT = {
  /** The command did what was asked (watch/--wait: the job completed). */
  ok: 0,
  /** The job failed, or the API refused the operation (a TaskwireError: INVALID_INPUT, NOT_FOUND, INVALID_STATE…). */
  failed: 1,
  /** Bad command line: unknown command, option or task, missing argument, JSON that does not parse. */
  usage: 2,
  /** QUEUE_UNAVAILABLE: the API did not answer (or answered that its Redis is unreachable). */
  unavailable: 3,
  /** UNAUTHORIZED or FORBIDDEN: a missing or wrong token, or one without the scope needed. */
  denied: 4,
  /** Stopped with Ctrl-C (a watched job keeps running). */
  interrupted: 130,
} as const;

/** The exit-code table as `--help` and the README show it. */
export const EXIT_CODES_HELP = `Exit codes:
  0    ok (watch / enqueue --wait: the job completed)
  1    the job failed, or the API refused the operation (INVALID_INPUT, NOT_FOUND, INVALID_STATE, …)
  2    usage error: bad arguments, unknown command or task, input that is not JSON
  3    API unreachable: QUEUE_UNAVAILABLE (the API did not answer, or its Redis is down)
  4    UNAUTHORIZED or FORBIDDEN: missing or wrong token, or a token without the needed scope
  130  interrupted (Ctrl-C); a watched job keeps running`;

/**
 * The exit code for whatever a command threw.
 *
 * @example
 * exitCodeFor(new TaskwireError('FORBIDDEN')); // 4
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  // A job that ran and failed is a failure whatever its code says.
  if (error instanceof JobFailedError) return EXIT.failed;
  if (error instanceof TaskwireError) {
    if (error.code === 'QUEUE_UNAVAILABLE') return EXIT.unavailable;
    if (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN') return EXIT.denied;
  }
  return EXIT.failed;
}
