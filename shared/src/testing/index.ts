/**
 * Schema-driven test data: valid values generated from a task's zod schemas and mutations of a
 * valid value that the schemas must reject. For contract tests; not used at run time.
 *
 * @example
 * import { arbitraryFor, invalidValuesFor } from '@taskwire/shared/testing';
 * fc.assert(fc.property(arbitraryFor(task.input), (input) => task.input.safeParse(input).success));
 */
export { arbitraryFor, inputArbitraryFor } from './arbitrary.ts';
export { type InvalidValue, invalidValuesFor } from './invalid.ts';
