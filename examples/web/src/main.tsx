import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createPageClient, loadConfig } from './api.ts';
import { App } from './app.tsx';
import './styles.css';

const { apiUrl } = await loadConfig();
const queryClient = new QueryClient();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App tw={createPageClient(apiUrl)} apiUrl={apiUrl} />
    </QueryClientProvider>
  </StrictMode>,
);
