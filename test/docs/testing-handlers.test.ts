// test/media.test.ts
import { defineFamily, defineRegistry, defineTask } from '@taskwire/shared';
import { defineHandlers } from '@taskwire/worker';
import { createTestHarness } from '@taskwire/worker/testing';
import { expect, it } from 'vitest';
import { z } from 'zod';

const resize = defineTask({
  id: 'media.resize',
  version: 1,
  input: z.object({ url: z.url(), width: z.number().int().positive() }),
  output: z.object({ url: z.url(), bytes: z.number().int() }),
  defaults: { attempts: 3, backoff: { type: 'exponential', delayMs: 1_000 } },
});
const album = defineTask({
  id: 'media.album',
  version: 1,
  input: z.object({ urls: z.array(z.url()).min(1) }),
  output: z.object({ bytes: z.number().int(), startedAt: z.date() }),
});
const registry = defineRegistry({ media: defineFamily('media', { resize, album }) });

let resized = 0;
const media = defineHandlers(registry.media, {
  resize: async ({ url, width }, ctx) => {
    if (url.endsWith('flaky.png') && ctx.job.attempt === 1) throw new Error('storage timed out');
    resized += 1;
    return { url: `${url}?w=${width}`, bytes: width * 10 };
  },
  album: async ({ urls }, ctx) => {
    const startedAt = await ctx.step('start', () => new Date());
    const photos = await ctx.runAll(urls.map((url) => ({ task: resize, input: { url, width: 320 } })));
    await ctx.sleep('let caches expire', 60_000);
    return { bytes: photos.reduce((sum, photo) => sum + photo.bytes, 0), startedAt };
  },
});

it('an album resizes each photo once, retries the flaky one, waits a minute, and sums', async () => {
  const harness = createTestHarness({ registry, handlers: [media] });
  const t0 = harness.now().getTime();
  const ref = harness.enqueue(album, { urls: ['https://cdn.test/a.png', 'https://cdn.test/flaky.png'] });

  await harness.runUntilIdle(); // children, a retry after its backoff, the sleep: on the virtual clock

  const out = harness.result(ref); // typed: { bytes: number; startedAt: Date }
  expect(out.bytes).toBe(6_400);
  expect(out.startedAt).toBeInstanceOf(Date);
  expect(resized).toBe(2);
  expect(harness.job(ref)).toMatchObject({ state: 'completed', attemptsMade: 1, steps: ['start', 'runAll#1', 'let caches expire'] });
  expect(harness.now().getTime() - t0).toBeGreaterThanOrEqual(61_000);
  expect(() => harness.enqueue(album, { urls: ['not a url'] })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
});
