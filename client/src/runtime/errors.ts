import { type ErrorInfo, isErrorCode, TaskwireError } from '@taskwire/shared';
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

/**
 * Every client call rejects with a TaskwireError whose `code` comes from the error table, with
 * the server's field issues when the input was invalid.
 */
export function toClientError(error: unknown): TaskwireError {
  if (error instanceof TaskwireError) return error;
  if (error instanceof TRPCClientError) {
    const data = error.data as { taskwire?: { code?: unknown; issues?: ErrorInfo['issues']; retryable?: boolean } } | undefined;
    const tw = data?.taskwire;
    if (tw && isErrorCode(tw.code)) {
      return new TaskwireError(tw.code, error.message, { issues: tw.issues, retryable: tw.retryable ?? false, cause: error });
    }
    const status = (error.data as { httpStatus?: number } | undefined)?.httpStatus;
    if (status === 401) return new TaskwireError('UNAUTHORIZED', error.message, { cause: error });
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
