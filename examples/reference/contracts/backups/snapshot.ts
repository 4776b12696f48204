import { defineTask } from '@taskwire/shared';
import { z } from 'zod';

/** Archives a directory to `.tar.gz`, records its sha256 and keeps the last N archives. */
export const snapshot = defineTask({
  id: 'backups.snapshot',
  version: 1,
  description: 'Archive a directory to .tar.gz with checksum and retention',
  input: z.object({
    /** Absolute path of the directory to archive. */
    source: z.string().startsWith('/', 'source must be an absolute path'),
    /** Name of the backup set; archives are `<name>-<timestamp>.tar.gz`. */
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,99}$/, 'letters, digits, . _ - only'),
    /** Archives of this set to keep, newest first; older ones are deleted. */
    keepLast: z.number().int().min(1).max(1_000).default(7),
  }),
  output: z.object({
    path: z.string(),
    sha256: z.string().regex(/^[a-f0-9]{64}$/),
    bytes: z.number().int().nonnegative(),
    files: z.number().int().nonnegative(),
    createdAt: z.date(),
    pruned: z.array(z.string()),
  }),
  progress: z.object({
    stage: z.enum(['scan', 'archive', 'checksum', 'prune']),
    files: z.number().int().nonnegative().optional(),
  }),
  logFields: ['name', 'keepLast'],
  defaults: { attempts: 2, timeoutMs: 30 * 60_000, backoff: { type: 'fixed', delayMs: 30_000 } },
});
