/**
 * A type that no value satisfies, carrying a message. Used where a generic is misused so that the
 * compiler reports one readable sentence instead of an inference dump.
 *
 * @example
 * type Check<T> = T extends string ? T : TypeError<'expected a string'>;
 */
export interface TypeError<TMessage extends string> {
  readonly __taskwireTypeError: TMessage;
}

/** Flattens an intersection for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};
