#!/usr/bin/env node
// The built CLI entry point (`npm run build` makes dist/).
await import('../dist/cli/main.js');
