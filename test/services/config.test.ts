import { join } from 'node:path';
import { ConfigError } from '@taskwire/shared/node';
import { families } from '@taskwire-example/reference/contracts';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { familyHandlers } from '../../examples/reference/handlers/index.ts';
import { type ServiceConfig, serviceConfig } from '../../examples/reference/services/config.ts';
import { slugify } from '../../examples/reference/services/file-names.ts';

describe('serviceConfig', () => {
  test('defaults live under <cwd>/var, without SMTP', () => {
    const cwd = process.cwd();
    expect(serviceConfig({})).toEqual({
      SMTP_URL: undefined,
      MAIL_FROM: 'taskwire <no-reply@localhost>',
      OUTBOX_DIR: join(cwd, 'var', 'outbox'),
      REPORTS_DIR: join(cwd, 'var', 'reports'),
      REPORTS_MIN_STEP_MS: 0,
      BACKUPS_DIR: join(cwd, 'var', 'backups'),
      LICENSES_FILE: join(cwd, 'var', 'licenses.json'),
      BACKUP_SOURCES: [],
    });
  });

  test('reads the environment at call time; empty values count as unset; relative paths resolve against cwd', () => {
    const config = serviceConfig({
      SMTP_URL: 'smtps://user:pass@mail.example.test:465',
      MAIL_FROM: '',
      OUTBOX_DIR: 'tmp/outbox',
      REPORTS_DIR: '/srv/reports',
      BACKUPS_DIR: '',
      LICENSES_FILE: 'etc/licenses.json',
    });
    expect(config).toEqual({
      SMTP_URL: 'smtps://user:pass@mail.example.test:465',
      MAIL_FROM: 'taskwire <no-reply@localhost>',
      OUTBOX_DIR: join(process.cwd(), 'tmp', 'outbox'),
      REPORTS_DIR: '/srv/reports',
      REPORTS_MIN_STEP_MS: 0,
      BACKUPS_DIR: join(process.cwd(), 'var', 'backups'),
      LICENSES_FILE: join(process.cwd(), 'etc', 'licenses.json'),
      BACKUP_SOURCES: [],
    });
    expect(serviceConfig({ SMTP_URL: '' }).SMTP_URL).toBeUndefined();
  });

  test('its type is inferred from the schema: SMTP_URL optional, REPORTS_MIN_STEP_MS a number', () => {
    expectTypeOf<ServiceConfig>().toEqualTypeOf<{
      SMTP_URL?: string | undefined;
      MAIL_FROM: string;
      OUTBOX_DIR: string;
      REPORTS_DIR: string;
      REPORTS_MIN_STEP_MS: number;
      BACKUPS_DIR: string;
      LICENSES_FILE: string;
      BACKUP_SOURCES: string[];
    }>();
  });

  test('BACKUP_SOURCES: absolute directories separated as in PATH; relative ones are refused', () => {
    expect(serviceConfig({ BACKUP_SOURCES: '/srv/data:/var/lib/app/' }).BACKUP_SOURCES).toEqual(['/srv/data', '/var/lib/app']);
    expect(() => serviceConfig({ BACKUP_SOURCES: '/srv/data:relative' })).toThrow(
      /BACKUP_SOURCES: expected absolute paths separated by ':'/,
    );
  });

  test('rejects an SMTP_URL that is not smtp:// or smtps://', () => {
    expect(() => serviceConfig({ SMTP_URL: 'http://mail.example.test' })).toThrow(ConfigError);
    expect(() => serviceConfig({ SMTP_URL: 'http://mail.example.test' })).toThrow(/SMTP_URL: expected smtp:\/\/host:port/);
  });
});

test('familyHandlers covers every family and task of the registry', () => {
  expect(Object.keys(familyHandlers).sort()).toEqual(Object.keys(families).sort());
  for (const [name, { family, handlers }] of Object.entries(familyHandlers)) {
    expect(family).toBe(families[name as keyof typeof families]);
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(family.tasks).sort());
  }
});

test('slugify makes file-name-safe slugs', () => {
  expect(slugify('Q3 "Activity" — Zürich')).toBe('q3-activity-zurich');
  expect(slugify('***')).toBe('report');
  expect(slugify(`${'a'.repeat(59)} b`)).toBe('a'.repeat(59));
});
