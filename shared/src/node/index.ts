export * from './config.ts';
export * from './redis-client.ts';
export * from './redis-config.ts';
export * from './redis-errors.ts';
export * from './redis-scan.ts';
export * from './redis-server.ts';
export * from './shutdown.ts';
export * from './tracing.ts';
