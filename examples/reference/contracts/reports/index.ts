import { defineFamily } from '@taskwire/shared';
import { generateReport } from './generate.ts';

export { generateReport };

export const reports = defineFamily('reports', { generate: generateReport }, { concurrency: 2, lockDurationMs: 60_000 });
