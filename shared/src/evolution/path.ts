/**
 * Readable paths into a value. A property is `.name` (no dot at the start), or `["odd key"]` when
 * the name is not an identifier; `[]` is any element of an array or Set, `[2]` one element of a
 * tuple, `{}` any value of a record, catchall or Map, `{key}` any key of one. `''` is the value itself.
 *
 * @example
 * propertyPath('', 'meta'); // 'meta'
 * propertyPath('meta', 'content-type'); // 'meta["content-type"]'
 */
export function propertyPath(path: string, name: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return `${path}[${JSON.stringify(name)}]`;
  return path === '' ? name : `${path}.${name}`;
}

/**
 * Any element of an array or Set.
 *
 * @example
 * itemsPath('items'); // 'items[]'
 */
export function itemsPath(path: string): string {
  return `${path}[]`;
}

/**
 * One element of a tuple.
 *
 * @example
 * tuplePath('pair', 1); // 'pair[1]'
 */
export function tuplePath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/**
 * Any value of a record, catchall object or Map.
 *
 * @example
 * valuesPath('meta.tags'); // 'meta.tags{}'
 */
export function valuesPath(path: string): string {
  return `${path}{}`;
}

/**
 * Any key of a record or Map.
 *
 * @example
 * keysPath('tags'); // 'tags{key}'
 */
export function keysPath(path: string): string {
  return `${path}{key}`;
}
