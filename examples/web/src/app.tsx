import type { TaskwireClient } from '@taskwire/client';
import { useEffect, useState } from 'react';
import type { Families } from './api.ts';
import { JobsPage } from './jobs-page.tsx';
import { ReportPage } from './report-page.tsx';

/** Two pages, chosen by the URL's hash: `#/` runs a report, `#/jobs` lists recent jobs. */
export function App({ tw, apiUrl }: { tw: TaskwireClient<Families>; apiUrl: string }) {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const page = hash.startsWith('#/jobs') ? 'jobs' : 'report';
  return (
    <>
      <header>
        <strong>taskwire</strong>
        <nav>
          <a href="#/" aria-current={page === 'report' ? 'page' : undefined}>
            Run a report
          </a>
          <a href="#/jobs" aria-current={page === 'jobs' ? 'page' : undefined}>
            Recent jobs
          </a>
        </nav>
        <small>API {apiUrl}</small>
      </header>
      <main>{page === 'jobs' ? <JobsPage /> : <ReportPage tw={tw} apiUrl={apiUrl} />}</main>
    </>
  );
}
