import { createClient, type TaskwireClient } from '@taskwire/client';
import type { AnyJobView, JobPage, JobRef, ListableState } from '@taskwire/shared';
import { deserializeWire, isErrorCode, TaskwireError, type WireValue } from '@taskwire/shared/wire';
import type { families } from '@taskwire-example/reference/contracts';

/** The reference deployment's registry, as a type only: nothing of the contracts (or zod) is in the page. */
export type Families = typeof families;
export type FamilyName = keyof Families & string;
export const FAMILY_NAMES: readonly FamilyName[] = ['reports', 'email', 'backups', 'maintenance'];

/** What the page's server answers to a report request: the job, and a token to follow it. */
export interface ReportGrant {
  job: JobRef<'reports.generate'>;
  /** `job:<id>:read`, short-lived: the page follows the job from the API with it. */
  token: string;
  expiresAt: Date;
}

/** The API client of the page: no token of its own; each job is followed with the token its server gave. */
export function createPageClient(apiUrl: string): TaskwireClient<Families> {
  return createClient<Families>({ url: apiUrl, transport: 'http' });
}

/** Where the API is, as the page's server says. */
export function loadConfig(): Promise<{ apiUrl: string }> {
  return backend('/api/config');
}

/** Asks the page's server to enqueue a report; it answers with the job and a token scoped to it. */
export function requestReport(body: { title: string; days: number; families?: string[] }): Promise<ReportGrant> {
  return backend('/api/reports', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Recent jobs of a family in one state, newest first, as the page's server reads them. */
export function listJobs(family: FamilyName, state: ListableState): Promise<JobPage<AnyJobView<Families>>> {
  return backend(`/api/jobs?${new URLSearchParams({ family, state })}`);
}

/** The link that downloads a finished report's CSV (the server checks the job's token with the API). */
export function reportFileUrl(grant: ReportGrant): string {
  return `/api/reports/file?${new URLSearchParams({ id: grant.job.id, token: grant.token })}`;
}

/** A call to the page's server: its answer decoded with the wire codec (Dates as Dates), or its error as a TaskwireError. */
async function backend<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init).catch((error: Error) => {
    throw new TaskwireError('QUEUE_UNAVAILABLE', `The page's server did not answer: ${error.message}`);
  });
  const body = (await response.json().catch(() => undefined)) as { code?: unknown; message?: string } | undefined;
  if (!response.ok) {
    throw new TaskwireError(isErrorCode(body?.code) ? body.code : 'INTERNAL', body?.message ?? `HTTP ${response.status}`);
  }
  return deserializeWire(body as WireValue) as T;
}
