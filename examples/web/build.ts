import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where `vite build` puts the page. */
export const WEB_DIST = join(import.meta.dirname, 'dist');

/**
 * Builds the page into {@link WEB_DIST} with Vite (a few seconds), unless it is there already and
 * `force` is not set.
 *
 * @example
 * await buildWebApp(); // then serve WEB_DIST with startWebApp
 */
export async function buildWebApp(options: { force?: boolean } = {}): Promise<string> {
  if (!options.force && existsSync(join(WEB_DIST, 'index.html'))) return WEB_DIST;
  const { build } = await import('vite');
  await build({ configFile: join(import.meta.dirname, 'vite.config.ts'), logLevel: 'warn' });
  return WEB_DIST;
}
