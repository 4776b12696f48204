export {
  createTestHarness,
  type HarnessEnqueueOptions,
  type HarnessJob,
  type HarnessRef,
  type TestHarness,
  type TestHarnessOptions,
} from './harness.ts';
