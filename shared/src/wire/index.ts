/**
 * `@taskwire/shared/wire`: what a client needs at run time, and nothing more — the wire codec
 * (superjson's format), `TaskwireError` and its closed table of codes, and the frames of batched
 * WebSocket replies. Nothing here builds a schema or touches a Node built-in, so a browser bundle
 * of a client that imports only this entry carries neither zod nor polyfills. Types may still come
 * from the main entry with `import type`: they vanish at run time.
 *
 * @example
 * import { deserializeWire, serializeWire, TaskwireError } from '@taskwire/shared/wire';
 */
export * from '../contract/errors.ts';
export * from '../contract/wire.ts';
export * from '../contract/ws-replies.ts';
