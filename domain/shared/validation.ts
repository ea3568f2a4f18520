import { type FieldIssue, ValidationError } from './errors.ts';
import type * as z from './zod.ts';

/** Turns zod issues into field-named issues: `data.amount.currency: expected string, received number`. */
export function toFieldIssues(error: z.core.$ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = [prefix, path].filter(Boolean).join('.') || '(body)';
    return { field, reason: issue.message };
  });
}

/** Parses with a zod schema; a failure becomes a ValidationError naming each field. */
export function parseOrThrow<S extends z.ZodMiniType>(
  schema: S,
  value: unknown,
  prefix?: string,
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(toFieldIssues(result.error, prefix));
  return result.data;
}
