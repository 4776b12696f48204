/**
 * The one closed table of taskwire error codes. Each code names the HTTP-ish class it maps to
 * (as a tRPC error code) and whether retrying the same job can help.
 */
export const ERROR_CODES = {
  INVALID_INPUT: { trpc: 'BAD_REQUEST', retryable: false, summary: 'The input does not match the task contract' },
  INVALID_PAYLOAD: { trpc: 'UNPROCESSABLE_CONTENT', retryable: false, summary: 'The stored job payload does not match the contract' },
  INVALID_OUTPUT: {
    trpc: 'INTERNAL_SERVER_ERROR',
    retryable: false,
    summary: 'The handler returned a value that does not match the output schema',
  },
  INVALID_PROGRESS: {
    trpc: 'INTERNAL_SERVER_ERROR',
    retryable: false,
    summary: 'The handler reported progress that does not match the progress schema',
  },
  UNKNOWN_TASK: { trpc: 'NOT_FOUND', retryable: false, summary: 'No such task in this deployment' },
  UNSUPPORTED_VERSION: { trpc: 'UNPROCESSABLE_CONTENT', retryable: false, summary: 'The payload version is not supported by this worker' },
  NOT_FOUND: { trpc: 'NOT_FOUND', retryable: false, summary: 'No such job' },
  INVALID_STATE: { trpc: 'CONFLICT', retryable: false, summary: 'The job is not in a state that allows this operation' },
  QUEUE_UNAVAILABLE: { trpc: 'SERVICE_UNAVAILABLE', retryable: true, summary: 'The queue (Redis) is unreachable' },
  PAYLOAD_TOO_LARGE: { trpc: 'PAYLOAD_TOO_LARGE', retryable: false, summary: 'The payload exceeds the configured limit' },
  TOO_MANY_REQUESTS: { trpc: 'TOO_MANY_REQUESTS', retryable: true, summary: 'Rate limit exceeded' },
  UNAUTHORIZED: { trpc: 'UNAUTHORIZED', retryable: false, summary: 'Missing or invalid credentials' },
  FORBIDDEN: { trpc: 'FORBIDDEN', retryable: false, summary: 'The credentials do not allow this operation' },
  TIMEOUT: { trpc: 'TIMEOUT', retryable: true, summary: 'The job or the wait for it ran out of time' },
  CANCELLED: { trpc: 'CLIENT_CLOSED_REQUEST', retryable: false, summary: 'The job was cancelled' },
  EXPIRED: { trpc: 'PRECONDITION_FAILED', retryable: false, summary: 'The job was not started before its expiry' },
  HANDLER_ERROR: { trpc: 'INTERNAL_SERVER_ERROR', retryable: true, summary: 'The handler threw' },
  INTERNAL: { trpc: 'INTERNAL_SERVER_ERROR', retryable: false, summary: 'Unexpected internal error' },
} as const satisfies Record<string, { trpc: string; retryable: boolean; summary: string }>;

export type TaskwireErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is TaskwireErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** One problem found by a schema, with the path of the offending field. */
export interface Issue {
  path: (string | number)[];
  message: string;
  code?: string | undefined;
}

/** The serializable form of an error, as stored on a failed job and sent to callers. */
export interface ErrorInfo {
  code: TaskwireErrorCode;
  message: string;
  issues?: Issue[] | undefined;
  /** Set when the failure may succeed if the job is retried. */
  retryable?: boolean | undefined;
}

/**
 * The single error type of taskwire. Carries a code from {@link ERROR_CODES}, optional schema
 * issues, and the original `cause`.
 *
 * @example
 * throw new TaskwireError('NOT_FOUND', `no job ${id}`);
 */
export class TaskwireError extends Error {
  override readonly name: string = 'TaskwireError';
  readonly code: TaskwireErrorCode;
  readonly issues: Issue[] | undefined;
  readonly retryable: boolean;

  constructor(
    code: TaskwireErrorCode,
    message: string = ERROR_CODES[code].summary,
    options: { issues?: Issue[] | undefined; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message, issues: this.issues, retryable: this.retryable };
  }

  /** Wraps anything thrown into a TaskwireError, keeping it as `cause`. */
  static fromUnknown(error: unknown, fallback: TaskwireErrorCode = 'INTERNAL'): TaskwireError {
    if (error instanceof TaskwireError) return error;
    if (error instanceof Error) return new TaskwireError(fallback, error.message, { cause: error });
    return new TaskwireError(fallback, typeof error === 'string' ? error : 'Unknown error', { cause: error });
  }

  static fromInfo(info: ErrorInfo): TaskwireError {
    return new TaskwireError(info.code, info.message, { issues: info.issues, retryable: info.retryable ?? false });
  }
}

/**
 * Thrown by a handler when retrying cannot help (bad data, a permanent refusal). The job fails
 * at once with code `HANDLER_ERROR` and is not retried.
 *
 * @example
 * if (!user) throw new NonRetriableError(`user ${input.userId} does not exist`);
 */
export class NonRetriableError extends TaskwireError {
  override readonly name = 'NonRetriableError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('HANDLER_ERROR', message, { ...options, retryable: false });
  }
}

/** Converts zod issues (or anything shaped like them) to taskwire issues. */
export function toIssues(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[]): Issue[] {
  return issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: issue.message,
    code: issue.code,
  }));
}

/** `to: Invalid email address; subject: Too small` — for logs and failed-job reasons. */
export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/**
 * A failed job's reason as stored by BullMQ (`failedReason`): the JSON of its {@link ErrorInfo},
 * so code and issues survive. Readable as is in dashboards.
 */
export function encodeFailureReason(info: ErrorInfo): string {
  return JSON.stringify(info);
}

/** Reads a stored failure reason; reasons written by others become `HANDLER_ERROR`. */
export function decodeFailureReason(reason: string | undefined | null): ErrorInfo {
  if (reason?.startsWith('{')) {
    try {
      const parsed = JSON.parse(reason) as Partial<ErrorInfo>;
      if (isErrorCode(parsed.code) && typeof parsed.message === 'string') {
        return { code: parsed.code, message: parsed.message, issues: parsed.issues, retryable: parsed.retryable };
      }
    } catch {
      // not ours: fall through
    }
  }
  return { code: 'HANDLER_ERROR', message: reason || 'Job failed' };
}
