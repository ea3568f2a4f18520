import { ValidationError } from '../shared/errors.ts';

/**
 * The operations API's opaque cursors: base64url JSON of a position it handed out. A cursor that
 * does not decode to one is a 400 naming `field`, never a Step Functions error.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, valid: (value: unknown) => value is T, field = 'cursor'): T {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (valid(value)) return value;
  } catch {
    // the validation error below
  }
  throw ValidationError.field(field, 'is not a cursor this API handed out');
}
