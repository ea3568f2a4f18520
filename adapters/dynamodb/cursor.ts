import { ValidationError } from '#domain/shared/errors';

/**
 * Page cursors the operations APIs hand out: a DynamoDB key (or a small position holding one) as
 * base64url JSON. A cursor coming back is checked by the caller's guard, so a forged or truncated
 * one is a 400 naming `cursor`, never a DynamoDB validation error.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, valid: (value: unknown) => value is T): T {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (valid(value)) return value;
  } catch {
    // the validation error below
  }
  throw ValidationError.field('cursor', 'is not a cursor this API handed out');
}

/** A key of the single table (its own and GSI1's attributes), each value within DynamoDB's key size. */
export const isTableKey = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  Object.values(v).every((x) => typeof x === 'string' && x.length <= 1024) &&
  Object.keys(v).every((k) => ['pk', 'sk', 'gsi1pk', 'gsi1sk'].includes(k));
