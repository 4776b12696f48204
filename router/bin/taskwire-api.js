#!/usr/bin/env node
// The built API entry point (`npm run build` makes dist/).
await import('../dist/bin/api.js');
