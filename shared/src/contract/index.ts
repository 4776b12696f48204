export * from './envelope.ts';
export * from './errors.ts';
export * from './family.ts';
export * from './jobs.ts';
export * from './json-schema.ts';
export * from './keys.ts';
export * from './task.ts';
export type { Simplify, TypeError } from './type-error.ts';
export * from './versions.ts';
