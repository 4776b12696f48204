import { z } from 'zod';

/** The states `jobs.list` lists. */
export const LISTABLE_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed'] as const;
export type ListableState = (typeof LISTABLE_STATES)[number];

/** Longest listing cursor accepted (a few dozen bytes per family). */
export const MAX_CURSOR_LENGTH = 4_096;

/** The paging fields of `jobs.list` and `deadLetter.list`. */
export const pageFields = {
  /** `nextCursor` of the previous page; not with `offset`. */
  cursor: z.string().min(1).max(MAX_CURSOR_LENGTH).optional(),
  /** Jobs to skip, for one family only (a range read in Redis); across families use `cursor`. */
  offset: z.number().int().min(0).max(100_000).optional(),
  limit: z.number().int().min(1).max(100).default(20),
};

/**
 * What `jobs.list` and `deadLetter.list` take besides their filters. `cursor` is the previous
 * page's `nextCursor` and works for any number of families; `offset` works for one family only
 * (`family` given, or the only one the token reads). Not both.
 */
export type PageInput = z.input<z.ZodObject<typeof pageFields>>;

/** The schema of a family name: the API's checks the registry; types narrow it to the registry's names. */
export type FamilyNameSchema<TFamily extends string = string> = z.ZodType<TFamily, TFamily>;

/**
 * What `jobs.list` takes: a family (default: every family the token reads), a state (default
 * `failed`), a page.
 *
 * @example
 * const input = jobListInput(z.enum(['email', 'reports']));
 * input.parse({ family: 'email', state: 'waiting', limit: 50 });
 */
export function jobListInput<TFamily extends string>(family: FamilyNameSchema<TFamily>) {
  return z.object({ family: family.optional(), state: z.enum(LISTABLE_STATES).default('failed'), ...pageFields });
}

/**
 * What `deadLetter.list` takes: a family (default: every family), a page.
 *
 * @example
 * deadLetterListInput(z.string()).parse({ limit: 100 });
 */
export function deadLetterListInput<TFamily extends string>(family: FamilyNameSchema<TFamily>) {
  return z.object({ family: family.optional(), ...pageFields });
}

/** What `jobs.list` (and the client's `jobs.list` / `jobs.page`) takes, for the family names `TFamily`. */
export type JobListInput<TFamily extends string = string> = z.input<ReturnType<typeof jobListInput<TFamily>>>;

/** What `deadLetter.list` (and the client's `deadLetter.list` / `deadLetter.page`) takes, for the family names `TFamily`. */
export type DeadLetterListInput<TFamily extends string = string> = z.input<ReturnType<typeof deadLetterListInput<TFamily>>>;
