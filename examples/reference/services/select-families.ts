import { NonRetriableError, type Registry } from '@taskwire/shared';

/**
 * The families a maintenance-style task works on: the ones asked for (deduplicated, in the order
 * given) or every family of the registry. A name the registry does not know is a caller mistake
 * that no retry fixes, hence {@link NonRetriableError}.
 *
 * @example
 * selectFamilies(ctx.registry, input.families); // ['email', 'reports', …]
 */
export function selectFamilies(registry: Registry, requested?: readonly string[]): string[] {
  if (requested === undefined) return Object.keys(registry);
  const unknown = requested.filter((name) => !Object.hasOwn(registry, name));
  if (unknown.length > 0) {
    throw new NonRetriableError(
      `Unknown famil${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((n) => `'${n}'`).join(', ')}; this worker knows ${Object.keys(registry).join(', ') || 'none'}`,
    );
  }
  return [...new Set(requested)];
}
