/**
 * Preloaded (`--import`) into a child spawned with `gcBeforeUsage` (which also passes
 * `--expose-gc`): a last-resort garbage collection (full, repeated, shrinking the heap where it can)
 * runs just before the child answers `usage`, so the RSS it reports is live memory plus what V8 and
 * the allocator hold on to, not garbage not yet collected. Prepended, so it runs before the child's
 * own handler (bench/core/child.ts) reads RSS.
 */
import type { RequestMessage } from './protocol.ts';

process.prependListener('message', (message) => {
  if ((message as RequestMessage | undefined)?.cmd === 'usage')
    globalThis.gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
});
