import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/**
 * The page is built from the packages' source (the `taskwire-source` condition, with their
 * browser entries); an app outside this repository gets the same code from their `dist/`.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  resolve: { conditions: ['taskwire-source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, reportCompressedSize: false },
  logLevel: 'warn',
});
