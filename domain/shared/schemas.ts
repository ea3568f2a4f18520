import { ValidationError } from './errors.ts';
import * as z from './zod.ts';

/**
 * Field schemas every boundary shares, so the limits that exist downstream are checked where input
 * enters and refused with a 400 naming the field, never discovered as a 500 by DynamoDB, Step
 * Functions or EventBridge later (issue #10).
 *
 * Downstream limits they protect:
 * - DynamoDB: partition key ≤ 2048 bytes, sort key ≤ 1024 bytes, item ≤ 400 KB;
 * - Step Functions: execution names ≤ 80 characters (run names hash longer ids, decision 16);
 * - EventBridge: an entry ≤ 256 KB.
 */

/** Longest business id (order, SKU, presale, ticket, ...): it becomes part of keys and run names. */
export const MAX_ID_LENGTH = 256;

/** C0 and C1 control characters (and DEL, U+007F): never part of an id. */
export function hasControlCharacters(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** A business id: non-empty, at most `max` characters, no control characters. */
export function idSchema(max: number = MAX_ID_LENGTH) {
  return z.string('must be a string').check(
    z.minLength(1, { error: 'must not be empty', abort: true }),
    z.maxLength(max, { error: `must be at most ${max} characters`, abort: true }),
    z.refine((v) => !hasControlCharacters(v), 'must not contain control characters'),
  );
}

/** Instants outside these years are typing mistakes or attacks, not business facts. */
export const SANE_YEARS = { first: 2000, last: 2100 } as const;

/** Whether an ISO-8601 string is a real instant inside {@link SANE_YEARS}. */
export function isSaneInstant(value: string): boolean {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return false;
  const year = new Date(ms).getUTCFullYear();
  return year >= SANE_YEARS.first && year <= SANE_YEARS.last;
}

const SANE_RANGE_MESSAGE = `must be a real instant between the years ${SANE_YEARS.first} and ${SANE_YEARS.last}`;

/** An ISO-8601 instant with an offset (`2026-11-20T10:15:00+08:00`), inside the sane years. */
export function instantSchema(format = 'must be an ISO-8601 instant such as 2026-11-01T00:00:00Z') {
  return z.iso
    .datetime({ offset: true, error: format, abort: true })
    .check(z.refine(isSaneInstant, { error: SANE_RANGE_MESSAGE, abort: true }));
}

/** Validates one id from a path or header, naming it: `orderId: must be at most 256 characters`. */
export function parseId(value: unknown, field: string, max: number = MAX_ID_LENGTH): string {
  const result = idSchema(max).safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((issue) => ({ field, reason: issue.message })));
}
