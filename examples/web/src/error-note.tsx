import type { ErrorInfo } from '@taskwire/shared';

/** What to tell a person about an error code, beyond the API's message. */
function hint(code: ErrorInfo['code'], apiUrl: string): string | undefined {
  switch (code) {
    case 'UNAUTHORIZED':
      return "The page's access to this job has ended. Generate the report again for a new one.";
    case 'QUEUE_UNAVAILABLE':
      return `The API at ${apiUrl} did not answer, or it does not accept requests from this page's origin (${location.origin}): its TASKWIRE_CORS_ORIGINS must list it.`;
    case 'INVALID_INPUT':
      return 'Check the form and try again.';
    default:
      return undefined;
  }
}

/** An error with its code from taskwire's closed table, its message, and what to do about it. */
export function ErrorNote({ error, apiUrl }: { error: ErrorInfo; apiUrl: string }) {
  const advice = hint(error.code, apiUrl);
  return (
    <div className="error" role="alert" data-code={error.code}>
      <strong>{error.code}</strong> {error.message}
      {advice && <p>{advice}</p>}
    </div>
  );
}
