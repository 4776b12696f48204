import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { env, loadConfig } from '@taskwire/shared/node';
import { z } from 'zod';

/** The services' environment, with what each variable means; directories and files resolved against `cwd`. */
function serviceSchema(cwd: string) {
  const location = (...fallback: string[]) => env.path.default(join(cwd, ...fallback)).transform((path) => resolve(cwd, path));
  return z.object({
    /**
     * `SMTP_URL`: where email goes, `smtp://[user:pass@]host:port` (STARTTLS when offered) or
     * `smtps://…` (TLS from the start). Nodemailer URL options apply (`?pool=true`). Unset: email
     * is written as `.eml` files into `OUTBOX_DIR` instead of being sent.
     */
    SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'expected smtp://host:port or smtps://host:port' }).optional(),
    /** `MAIL_FROM`: the From header and envelope sender. Default `taskwire <no-reply@localhost>`. */
    MAIL_FROM: env.string.default('taskwire <no-reply@localhost>'),
    /** `OUTBOX_DIR`: where `.eml` files go when `SMTP_URL` is unset. Default `<cwd>/var/outbox`. */
    OUTBOX_DIR: location('var', 'outbox'),
    /** `REPORTS_DIR`: where `reports.generate` writes its CSV files. Default `<cwd>/var/reports`. */
    REPORTS_DIR: location('var', 'reports'),
    /**
     * `REPORTS_MIN_STEP_MS`: the shortest time each step of a report takes (ms), so that a person
     * can follow the progress of a small report by eye (the web example sets it). Default 0.
     */
    REPORTS_MIN_STEP_MS: z.coerce.number().int().min(0).max(60_000).default(0),
    /** `BACKUPS_DIR`: root of the backup sets (`<dir>/<name>/…tar.gz`). Default `<cwd>/var/backups`. */
    BACKUPS_DIR: location('var', 'backups'),
    /**
     * `LICENSES_FILE`: the licences `maintenance.licenseExpiry` reminds, a JSON array of
     * `{ id, holder, email, expiresAt }` (`expiresAt` ISO 8601). The only source of reminder
     * recipients. Default `<cwd>/var/licenses.json`; no file there means no licences.
     */
    LICENSES_FILE: location('var', 'licenses.json'),
    /**
     * `BACKUP_SOURCES`: the directories `backups.snapshot` may archive (each with everything under
     * it), absolute paths separated by `${delimiter}` as in `PATH`. Unset: none, so every snapshot
     * is refused until an operator says what may be read.
     */
    BACKUP_SOURCES: z
      .string()
      .transform((list) => list.split(delimiter).filter((path) => path !== ''))
      .refine((paths) => paths.every((path) => isAbsolute(path)), `expected absolute paths separated by '${delimiter}'`)
      .transform((paths) => paths.map((path) => resolve(path)))
      .default([]),
  });
}

/** The environment the worker's services read (see {@link serviceConfig}). */
export type ServiceConfig = z.output<ReturnType<typeof serviceSchema>>;

/**
 * Reads and validates the services' environment. Called per job rather than once at import, so
 * tests and operators can change the environment of a running process; relative directories are
 * resolved against the current working directory. Throws a `ConfigError` naming each bad variable.
 *
 * @example
 * const { OUTBOX_DIR, SMTP_URL } = serviceConfig();
 */
export function serviceConfig(source: NodeJS.ProcessEnv = process.env): ServiceConfig {
  return loadConfig(serviceSchema(process.cwd()), source);
}
