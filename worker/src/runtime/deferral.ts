import type { AnyTask, EnvelopeMeta, ErrorInfo } from '@taskwire/shared';
import { DelayedError, type Job } from 'bullmq';

/** How a worker handles jobs from a contract version newer than it knows (rolling deploys). */
export interface DeferralPolicy {
  /** Times a job may be put back before it fails with UNSUPPORTED_VERSION. */
  maxDeferrals: number;
  /** First delay; doubles on each deferral up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** 50 deferrals, 1 s doubling to 1 min: a job waits about 45 minutes for a newer worker. */
export const DEFAULT_DEFERRAL_POLICY: DeferralPolicy = { maxDeferrals: 50, baseDelayMs: 1_000, maxDelayMs: 60_000 };

/**
 * Puts a job from a newer contract back in the queue, delayed, without spending an attempt, and
 * counts the deferral in its envelope (visible as `deferrals` in the job view). Returns the
 * failure to raise instead once the policy's limit is reached.
 */
export async function deferToNewerWorker(
  job: Job,
  token: string | undefined,
  task: AnyTask,
  version: number,
  meta: EnvelopeMeta,
  policy: DeferralPolicy,
): Promise<ErrorInfo> {
  const deferrals = (meta.deferrals ?? 0) + 1;
  if (deferrals > policy.maxDeferrals) {
    return {
      code: 'UNSUPPORTED_VERSION',
      message: `${task.id} payload is version ${version} but workers know version ${task.version}; no newer worker took it after ${policy.maxDeferrals} deferrals`,
    };
  }
  await job.updateData({ ...(job.data as object), meta: { ...meta, deferrals } });
  const delay = Math.min(policy.baseDelayMs * 2 ** (deferrals - 1), policy.maxDelayMs);
  await job.moveToDelayed(Date.now() + delay, token);
  throw new DelayedError(`${task.id} v${version} is newer than this worker (v${task.version}); deferred ${deferrals}×`);
}
