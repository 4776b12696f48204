import { type ErrorInfo, isErrorCode, TaskwireError } from '@taskwire/shared/wire';
import { TRPCClientError } from '@trpc/client';

/** A job that ended in failure, as `run` reports it. */
export class JobFailedError extends TaskwireError {
  override readonly name = 'JobFailedError';
  constructor(
    readonly jobId: string,
    info: ErrorInfo,
  ) {
    super(info.code, info.message, { issues: info.issues, retryable: info.retryable ?? false });
  }
}

/** What taskwire's error formatter puts in a tRPC error's `data`. */
export interface ErrorData {
  taskwire?: { code?: unknown; issues?: ErrorInfo['issues']; retryable?: boolean };
  httpStatus?: number;
}

/** The TaskwireError a tRPC error's data names (its code from `data.taskwire`), if any. */
export function fromErrorData(message: string, data: ErrorData | undefined, cause?: unknown): TaskwireError | undefined {
  const tw = data?.taskwire;
  if (tw && isErrorCode(tw.code))
    return new TaskwireError(tw.code, message, { issues: tw.issues, retryable: tw.retryable ?? false, cause });
  if (data?.httpStatus === 401) return new TaskwireError('UNAUTHORIZED', message, { cause });
  return undefined;
}

/**
 * Every client call rejects with a TaskwireError whose `code` comes from the error table, with
 * the server's field issues when the input was invalid.
 */
export function toClientError(error: unknown): TaskwireError {
  if (error instanceof TaskwireError) return error;
  if (error instanceof TRPCClientError) {
    const known = fromErrorData(error.message, error.data as ErrorData | undefined, error);
    if (known) return known;
    // The input could not even be encoded here (superjson refuses `__proto__`/`constructor` keys).
    if (/prototype pollution|serializ/i.test(String((error.cause as Error | undefined)?.message ?? error.message))) {
      return new TaskwireError('INVALID_INPUT', `Input cannot be sent: ${error.message}`, { cause: error });
    }
    // No answer from the API at all (refused, reset, DNS): the service is unreachable.
    return new TaskwireError('QUEUE_UNAVAILABLE', `API unreachable: ${error.message}`, { cause: error, retryable: true });
  }
  return TaskwireError.fromUnknown(error);
}

/** Runs a client call, converting whatever it throws with {@link toClientError}. */
export async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toClientError(error);
  }
}
