import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where `vite build` puts the page. */
export const WEB_DIST = join(import.meta.dirname, 'dist');

/**
 * Builds the page with Vite (a few seconds) into `outDir` (default {@link WEB_DIST}), unless it
 * is there already and `force` is not set. Returns the directory.
 *
 * @example
 * const dist = await buildWebApp(); // then serve it with startWebApp
 */
export async function buildWebApp(options: { force?: boolean; outDir?: string } = {}): Promise<string> {
  const outDir = options.outDir ?? WEB_DIST;
  if (!options.force && existsSync(join(outDir, 'index.html'))) return outDir;
  const { build } = await import('vite');
  // Vite picks React's development or production build from NODE_ENV, which test runners set to 'test'.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: join(import.meta.dirname, 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}
