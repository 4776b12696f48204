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
