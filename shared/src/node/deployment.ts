import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Registry } from '../contract/family.ts';
import { ConfigError } from './config.ts';

/**
 * A deployment of taskwire: what `taskwire.config.{ts,js,mjs}` exports (by default) for the
 * binaries — `taskwire-api` serves its registry, `taskwire-worker --family <name>` runs its
 * handlers, `taskwire contracts check` compares it with its lock file.
 */
export interface TaskwireConfig<TRegistry extends Registry = Registry> {
  /** Every family the deployment declares (`defineRegistry`). */
  registry: TRegistry;
  /**
   * For workers: the handlers of each family (`defineHandlers` of `@taskwire/worker`), by family
   * name. A family without handlers here cannot be run by `taskwire-worker`.
   */
  handlers?: { readonly [F in keyof TRegistry]?: unknown };
  /**
   * Checked by `taskwire-worker` before it takes jobs: throw a `ConfigError` for configuration
   * the handlers' services cannot run with (the process exits 2 with its message).
   */
  checkEnv?: (family: string) => void;
  /** Called when a worker process stops, after its last job (close pools, flush files). */
  close?: () => void | Promise<void>;
  /** The contracts lock file, relative to the config file; default `contracts.lock.json`. */
  lockFile?: string;
}

/**
 * Declares a deployment with its types kept (the registry's literal families and tasks).
 *
 * @example
 * // taskwire.config.ts
 * export default defineConfig({ registry: families, handlers: { email: emailHandlers } });
 */
export function defineConfig<const TRegistry extends Registry>(config: TaskwireConfig<TRegistry>): TaskwireConfig<TRegistry> {
  return config;
}

/** The names tried, in order, when no `--config` is given. */
export const CONFIG_FILES = ['taskwire.config.ts', 'taskwire.config.mjs', 'taskwire.config.js'] as const;

/** A loaded deployment and where it came from. */
export interface LoadedDeployment {
  config: TaskwireConfig;
  /** The config file, absolute. */
  file: string;
  /** The lock file, absolute. */
  lockFile: string;
}

/**
 * Loads a deployment: `path` (relative to `cwd`) or the first of {@link CONFIG_FILES} in `cwd`.
 * A `.ts` file is loaded through tsx when the process cannot load TypeScript itself (tsx must be
 * installed then; a `.js`/`.mjs` config needs nothing). Throws a ConfigError that says what is
 * missing or wrong.
 *
 * @example
 * const { config } = await loadDeployment(args.config);
 * await startApiServer({ registry: config.registry, … });
 */
export async function loadDeployment(path?: string, cwd = process.cwd()): Promise<LoadedDeployment> {
  const file = path ? resolve(cwd, path) : CONFIG_FILES.map((name) => resolve(cwd, name)).find((candidate) => existsSync(candidate));
  if (!file) throw new ConfigError(`No ${CONFIG_FILES.join(', ')} in ${cwd}; pass --config <file>`);
  if (!existsSync(file)) throw new ConfigError(`Config file ${file} does not exist`);
  const module = (await importConfig(file)) as { default?: unknown };
  const config = module.default;
  if (!isConfig(config)) {
    throw new ConfigError(`${file} must export default a deployment: defineConfig({ registry, handlers? }) (see @taskwire/shared/node)`);
  }
  return { config, file, lockFile: resolve(dirname(file), config.lockFile ?? 'contracts.lock.json') };
}

async function importConfig(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  }
  // Plain Node (20, 22 without type stripping) cannot load TypeScript: tsx can, when installed.
  let tsx: { register(): unknown };
  try {
    tsx = (await import('tsx/esm/api' as string)) as { register(): unknown };
  } catch {
    throw new ConfigError(`${file} is TypeScript: install tsx (npm install -D tsx) or use a taskwire.config.mjs`);
  }
  tsx.register();
  return import(url);
}

function isConfig(value: unknown): value is TaskwireConfig {
  if (value === null || typeof value !== 'object') return false;
  const registry = (value as { registry?: unknown }).registry;
  return registry !== null && typeof registry === 'object';
}
