import { defineFamily } from '@taskwire/shared';
import { cleanJobs } from './cleanJobs.ts';
import { healthCheck } from './healthCheck.ts';
import { licenseExpiry } from './licenseExpiry.ts';

export { cleanJobs, healthCheck, licenseExpiry };

export const maintenance = defineFamily('maintenance', { healthCheck, cleanJobs, licenseExpiry }, { concurrency: 4 });
