import { isIdentifier } from './task.ts';

/**
 * Every Redis name taskwire uses, built in one place. Each family's keys share the cluster hash
 * tag `{<family>}`, so a family lives in one slot (BullMQ's cluster requirement) while different
 * families spread over the cluster.
 *
 * Layout, with prefix `taskwire` and family `email`:
 * - BullMQ queue:      prefix `taskwire`, queue name `{email}` → `taskwire:{email}:wait`, …
 * - idempotency claim: `taskwire:{email}:idem:<task>:<sha256(key)>`
 * - cancel channel:    `taskwire:{email}:cancel`
 * - service state:     `taskwire:{email}:svc:<name>:…` (e.g. `…:svc:delivered:<job id>`)
 * - schedule digests:  `taskwire:{email}:schedule:<task>~<key>`
 * - deduplication:     `taskwire:{email}:de:<id>` (BullMQ's own key, named here for taskwire's scripts)
 * - flow windows:      `taskwire:{email}:flow:window:<deduplication id>` (a debounce burst's start)
 * - flow gates:        `taskwire:{email}:flow:gate:<task>:…` (jobs waiting on a limit, per key; running jobs; rates)
 * - workflow steps:    fields `tw:step:<name>` of the job's own hash (see {@link JOB_FIELDS})
 * - token rate limits: `taskwire:{ratelimit}:<token name>:<window>`
 * - failed credentials: `taskwire:{auth}:fail:<client address>:<window>`
 * - session secret:     `taskwire:{auth}:session-secret` (dashboard sessions, when not configured)
 */
/**
 * Fields taskwire adds to a BullMQ job's hash (so they go with the job): a workflow's steps
 * (`tw:step:<name>`), and the mark of a workflow that waited (it goes on past its expiry).
 */
export const JOB_FIELDS = Object.freeze({ stepPrefix: 'tw:step:', resumable: 'tw:resumable' });

export interface Keys {
  readonly prefix: string;
  /** The BullMQ queue name of a family. */
  queueName(family: string): string;
  idempotency(family: string, task: string, keyDigest: string): string;
  cancelChannel(family: string): string;
  /** A key owned by a service of a family (e.g. licence reminders already sent). */
  service(family: string, service: string, ...parts: string[]): string;
  /** The digest of a schedule's settings, so identical upserts (restarts) change nothing. */
  schedule(family: string, schedulerId: string): string;
  /** BullMQ's deduplication key of a job deduplication id (BullMQ writes it; taskwire's scripts read it). */
  deduplication(family: string, id: string): string;
  /** When the current burst of a debounced key began (for `maxDelayMs`). */
  flowWindow(family: string, deduplicationId: string): string;
  /** The start of every key of a task's concurrency and rate limits (its scripts append the rest). */
  flowGate(family: string, task: string): string;
  /** A BullMQ job's hash (`''` gives the prefix of them all, for scripts). */
  jobHash(family: string, bullId: string): string;
  /**
   * BullMQ's keys next to a job's hash: its lock, and its children (pending ones in a set, the
   * results of finished ones and the failures it ignores in hashes), which workflows read.
   */
  jobParts(family: string, bullId: string): { lock: string; dependencies: string; processed: string; failed: string };
  /** The enqueue counter of an API token for one rate-limit window. */
  rateLimit(tokenName: string, window: number): string;
  /** The count of failed credentials from one client address in one throttle window. */
  authFailures(address: string, window: number): string;
  /** The secret that signs dashboard sessions, shared by every API replica. */
  sessionSecret(): string;
}

const PREFIX = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * @example
 * const keys = createKeys('taskwire');
 * keys.queueName('email'); // '{email}'
 */
export function createKeys(prefix = 'taskwire'): Keys {
  if (!PREFIX.test(prefix)) {
    throw new Error(`Invalid key prefix '${prefix}': use 1–64 characters from [a-zA-Z0-9_-]`);
  }
  const tag = (family: string) => {
    if (!isIdentifier(family)) throw new Error(`Invalid family name '${family}'`);
    return `{${family}}`;
  };
  return Object.freeze({
    prefix,
    queueName: tag,
    idempotency: (family: string, task: string, keyDigest: string) => `${prefix}:${tag(family)}:idem:${task}:${keyDigest}`,
    cancelChannel: (family: string) => `${prefix}:${tag(family)}:cancel`,
    service: (family: string, service: string, ...parts: string[]) => [prefix, tag(family), 'svc', service, ...parts].join(':'),
    schedule: (family: string, schedulerId: string) => `${prefix}:${tag(family)}:schedule:${schedulerId}`,
    deduplication: (family: string, id: string) => `${prefix}:${tag(family)}:de:${id}`,
    flowWindow: (family: string, deduplicationId: string) => `${prefix}:${tag(family)}:flow:window:${deduplicationId}`,
    flowGate: (family: string, task: string) => `${prefix}:${tag(family)}:flow:gate:${task}:`,
    jobHash: (family: string, bullId: string) => `${prefix}:${tag(family)}:${bullId}`,
    jobParts: (family: string, bullId: string) => {
      const job = `${prefix}:${tag(family)}:${bullId}`;
      return { lock: `${job}:lock`, dependencies: `${job}:dependencies`, processed: `${job}:processed`, failed: `${job}:failed` };
    },
    rateLimit: (tokenName: string, window: number) => `${prefix}:{ratelimit}:${tokenName}:${window}`,
    authFailures: (address: string, window: number) => `${prefix}:{auth}:fail:${address}:${window}`,
    sessionSecret: () => `${prefix}:{auth}:session-secret`,
  });
}

/**
 * Public job ids name their family so that an id alone is enough for every `jobs.*` call:
 * `<family>.<BullMQ job id>`, e.g. `email.42`.
 */
export function formatJobId(family: string, bullId: string): string {
  return `${family}.${bullId}`;
}

/** Splits a public job id; `undefined` when it is not one. */
export function parseJobId(id: string): { family: string; bullId: string } | undefined {
  const dot = id.indexOf('.');
  if (dot <= 0 || dot === id.length - 1) return undefined;
  const family = id.slice(0, dot);
  const bullId = id.slice(dot + 1);
  if (!isIdentifier(family)) return undefined;
  return { family, bullId };
}
