import type { z } from 'zod';

/** What the generators read of a zod 4 schema's definition (`_zod.def`). */
export interface Def {
  type: string;
  check?: string;
  checks?: { _zod: { def: CheckDef } }[];
  format?: string;
  pattern?: RegExp;
  protocol?: RegExp;
  alg?: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  left?: z.ZodType;
  right?: z.ZodType;
  in?: z.ZodType;
  getter?: () => z.ZodType;
  partial?: boolean;
  values?: unknown[];
}

/** A check's definition (min/max/format/pattern…), as zod 4 stores it. */
export interface CheckDef {
  check: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  length?: number;
  size?: number;
  format?: string;
  pattern?: RegExp;
  prefix?: string;
  suffix?: string;
  includes?: string;
  protocol?: RegExp;
  alg?: string;
}

export function defOf(schema: z.ZodType): Def {
  return schema._zod.def as unknown as Def;
}

/** The checks of a schema, including the schema itself when it is a format such as `z.email()`. */
export function checksOf(def: Def): CheckDef[] {
  const own = def.check ? [def as unknown as CheckDef] : [];
  return [...own, ...(def.checks ?? []).map((c) => c._zod.def)];
}

/** Min/max/exact length or size checks of a string, array, set or map (max is Infinity when unbounded). */
export function lengthBounds(def: Def): { min: number; max: number } {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const c of checksOf(def)) {
    if (c.check === 'min_length' || c.check === 'min_size') min = Math.max(min, c.minimum!);
    if (c.check === 'max_length' || c.check === 'max_size') max = Math.min(max, c.maximum!);
    if (c.check === 'length_equals' || c.check === 'size_equals') [min, max] = [c.length ?? c.size!, c.length ?? c.size!];
  }
  return { min, max };
}
