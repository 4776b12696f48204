export * from './config.ts';
export * from './redis-client.ts';
export * from './redis-server.ts';
