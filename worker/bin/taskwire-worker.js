#!/usr/bin/env node
// The built worker entry point (`npm run build` makes dist/).
await import('../dist/bin/worker.js');
