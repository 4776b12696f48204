import { join, resolve } from 'node:path';
import { env, loadConfig } from '@taskwire/shared/node';
import { z } from 'zod';

/** The environment the worker's services read, with what each variable means. */
export interface ServiceConfig {
  /**
   * `SMTP_URL`: where email goes, `smtp://[user:pass@]host:port` (STARTTLS when offered) or
   * `smtps://…` (TLS from the start). Nodemailer URL options apply (`?pool=true`). Unset: email
   * is written as `.eml` files into `OUTBOX_DIR` instead of being sent.
   */
  SMTP_URL: string | undefined;
  /** `MAIL_FROM`: the From header and envelope sender. Default `taskwire <no-reply@localhost>`. */
  MAIL_FROM: string;
  /** `OUTBOX_DIR`: where `.eml` files go when `SMTP_URL` is unset. Default `<cwd>/var/outbox`. */
  OUTBOX_DIR: string;
  /** `REPORTS_DIR`: where `reports.generate` writes its CSV files. Default `<cwd>/var/reports`. */
  REPORTS_DIR: string;
  /** `BACKUPS_DIR`: root of the backup sets (`<dir>/<name>/…tar.gz`). Default `<cwd>/var/backups`. */
  BACKUPS_DIR: string;
}

/**
 * Reads and validates the services' environment. Called per job rather than once at import, so
 * tests and operators can change the environment of a running process; relative directories are
 * resolved against the current working directory. Throws a `ConfigError` naming each bad variable.
 *
 * @example
 * const { OUTBOX_DIR, SMTP_URL } = serviceConfig();
 */
export function serviceConfig(source: NodeJS.ProcessEnv = process.env): ServiceConfig {
  const cwd = process.cwd();
  const schema = z.object({
    SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'expected smtp://host:port or smtps://host:port' }).optional(),
    MAIL_FROM: env.string.default('taskwire <no-reply@localhost>'),
    OUTBOX_DIR: env.path.default(join(cwd, 'var', 'outbox')),
    REPORTS_DIR: env.path.default(join(cwd, 'var', 'reports')),
    BACKUPS_DIR: env.path.default(join(cwd, 'var', 'backups')),
  });
  const config = loadConfig(schema, source);
  return {
    SMTP_URL: config.SMTP_URL,
    MAIL_FROM: config.MAIL_FROM,
    OUTBOX_DIR: resolve(cwd, config.OUTBOX_DIR),
    REPORTS_DIR: resolve(cwd, config.REPORTS_DIR),
    BACKUPS_DIR: resolve(cwd, config.BACKUPS_DIR),
  };
}
