import { useQuery } from '@tanstack/react-query';
import type { ListableState } from '@taskwire/shared';
import type { TaskwireError } from '@taskwire/shared/wire';
import { useState } from 'react';
import { FAMILY_NAMES, type FamilyName, listJobs } from './api.ts';
import { ErrorNote } from './error-note.tsx';

const STATES: readonly ListableState[] = ['completed', 'failed', 'active', 'waiting', 'delayed'];

/** A value in a cell: Dates as dates, the rest as short JSON. */
function brief(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    return Object.entries(value)
      .slice(0, 3)
      .map(([key, v]) => `${key}: ${v instanceof Date ? v.toISOString() : typeof v === 'object' ? '…' : String(v)}`)
      .join(', ');
  }
  return String(value);
}

/** Recent jobs of a family, by state, refreshed every few seconds (read by the page's server). */
export function JobsPage() {
  const [family, setFamily] = useState<FamilyName>('reports');
  const [state, setState] = useState<ListableState>('completed');
  const list = useQuery<Awaited<ReturnType<typeof listJobs>>, TaskwireError>({
    queryKey: ['jobs', family, state],
    queryFn: () => listJobs(family, state),
    refetchInterval: 3_000,
  });
  return (
    <section>
      <h1>Recent jobs</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Family{' '}
          <select value={family} onChange={(e) => setFamily(e.target.value as FamilyName)}>
            {FAMILY_NAMES.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          State{' '}
          <select value={state} onChange={(e) => setState(e.target.value as ListableState)}>
            {STATES.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
      </form>
      {list.error && <ErrorNote error={list.error} apiUrl="" />}
      {list.data && list.data.jobs.length === 0 && (
        <p className="note">
          No {state} jobs in {family}.
        </p>
      )}
      {list.data && list.data.jobs.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Job</th>
              <th>Task</th>
              <th>v</th>
              <th>Enqueued</th>
              <th>Finished</th>
              <th>Input</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {list.data.jobs.map((job) => (
              <tr key={job.id} data-job={job.id}>
                <td>
                  <code>{job.id}</code>
                </td>
                <td>{job.task}</td>
                <td>{job.version}</td>
                <td>{job.enqueuedAt.toLocaleString()}</td>
                <td>{job.finishedAt?.toLocaleString() ?? ''}</td>
                <td>{brief(job.input)}</td>
                <td className={job.error ? 'failed' : ''}>{job.error ? `${job.error.code}: ${job.error.message}` : brief(job.result)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
