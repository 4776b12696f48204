import { readFile } from 'node:fs/promises';
import { formatIssues, NonRetriableError, toIssues } from '@taskwire/shared';
import { z } from 'zod';

const license = z.object({
  id: z.string().min(1).max(200),
  holder: z.string().min(1).max(200),
  email: z.email(),
  /** ISO 8601: a date and time with `Z` or an offset, or a date alone (00:00 UTC that day). */
  expiresAt: z.union([z.iso.datetime({ offset: true }), z.iso.date()]).transform((iso) => new Date(iso)),
});

/** The licence file: a JSON array of licences, each id once (an id is who a reminder is about). */
export const licenseFileSchema = z.array(license).superRefine((licenses, ctx) => {
  const seen = new Set<string>();
  licenses.forEach(({ id }, index) => {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate licence id '${id}'` });
    seen.add(id);
  });
});

/** One licence of the licence file. */
export type License = z.output<typeof license>;

/**
 * Reads and validates the licence file (`LICENSES_FILE`), the only source of licence-reminder
 * recipients. Returns `undefined` when there is no file at `path` (a deployment without
 * licences). A file that is not a valid licence list fails without retry, naming the file and
 * each problem: retrying cannot fix it, the next scheduled run reads it again. Any other read
 * error (permissions, I/O) is thrown as it is, so the job is retried.
 *
 * @example
 * // [{ "id": "LIC-1", "holder": "Acme", "email": "ops@acme.test", "expiresAt": "2030-01-31T00:00:00Z" }]
 * const licenses = (await readLicenseFile(serviceConfig().LICENSES_FILE)) ?? [];
 */
export async function readLicenseFile(path: string): Promise<License[] | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new NonRetriableError(`Licence file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = licenseFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new NonRetriableError(`Licence file ${path} is not a valid licence list: ${formatIssues(toIssues(parsed.error.issues))}`);
  }
  return parsed.data;
}
