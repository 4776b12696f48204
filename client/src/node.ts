/**
 * `@taskwire/client` on Node (the `node` export condition): the same exports as the main entry,
 * with `createClient` on Node's platform unless given another — the `ws` and `eventsource`
 * packages, which send the token as a header, read refused upgrades, and let a script exit while
 * the connection is idle (see `nodePlatform`). Browsers, Deno and Bun load the main entry.
 */
import type { Registry } from '@taskwire/shared';
import { createClient as createPortableClient, type TaskwireClient, type TaskwireClientOptions } from './runtime/client.ts';
import { nodePlatform } from './runtime/node-platform.ts';

export * from './index.ts';

/**
 * A typed client for a registry, on Node's platform by default.
 *
 * @example
 * const tw = createClient<typeof families>({ url: 'http://localhost:3000/trpc', token });
 * const ref = await tw.email.send.enqueue({ to: 'a@b.co', subject: 'Hi', html: '<p>Hi</p>' });
 */
export function createClient<TRegistry extends Registry>(options: TaskwireClientOptions): TaskwireClient<TRegistry> {
  return createPortableClient<TRegistry>(options.platform ? options : { ...options, platform: nodePlatform });
}
