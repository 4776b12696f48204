import { type ErrorInfo, isErrorCode, serializeWire, TaskwireError, type WireValue } from '@taskwire/shared/wire';
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

/** The wire form of a call's input; throws INVALID_INPUT when it cannot be encoded. */
export function encodeInput(input: unknown): WireValue | undefined {
  try {
    return input === undefined ? undefined : serializeWire(input);
  } catch (error) {
    // superjson refuses keys such as `__proto__` (prototype pollution guard).
    throw new TaskwireError('INVALID_INPUT', `Input cannot be sent: ${(error as Error).message}`, { cause: error });
  }
}

/** A tRPC error as the API sends it (over WebSocket and in SSE `serialized-error` events), decoded. */
export interface ErrorShape {
  message?: string;
  data?: ErrorData;
}

/** The TaskwireError a decoded tRPC error shape describes. */
export function errorFromShape(shape: ErrorShape): TaskwireError {
  const message = shape.message ?? 'Request failed';
  return fromErrorData(message, shape.data) ?? new TaskwireError('INTERNAL', message);
}

/** The codes of the HTTP statuses with which the API refuses a WebSocket upgrade or an SSE request. */
const REFUSALS: Partial<Record<number, 'UNAUTHORIZED' | 'FORBIDDEN' | 'TOO_MANY_REQUESTS'>> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  429: 'TOO_MANY_REQUESTS',
};

/** The error of a connection the API refused with `status`, if that status is a refusal of credentials. */
export function refusalError(status: number, message: string): TaskwireError | undefined {
  const code = REFUSALS[status];
  return code ? new TaskwireError(code, message) : undefined;
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
