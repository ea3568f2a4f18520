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

/**
 * One page across a feature's catalog buckets (a GSI partition each, walked in order): the cursor
 * holds the bucket and the last key read in it, so a page may span buckets and the next one resumes
 * exactly where this one stopped.
 */
export async function pageAcrossBuckets<T>(
  buckets: number,
  cursor: string | null,
  limit: number,
  queryBucket: (
    bucket: number,
    start: Record<string, string> | null,
    limit: number,
  ) => Promise<{ items: T[]; last?: Record<string, unknown> | undefined }>,
): Promise<{ items: T[]; cursor: string | null }> {
  let at = cursor
    ? decodeCursor(cursor, (v): v is { b: number; k: Record<string, string> | null } => {
        const c = v as { b?: unknown; k?: unknown };
        return (
          Number.isInteger(c.b) &&
          (c.b as number) >= 0 &&
          (c.b as number) < buckets &&
          (c.k === null || isTableKey(c.k))
        );
      })
    : { b: 0, k: null };
  const items: T[] = [];
  while (items.length < limit && at.b < buckets) {
    const page = await queryBucket(at.b, at.k, limit - items.length);
    items.push(...page.items);
    at = page.last ? { b: at.b, k: page.last as Record<string, string> } : { b: at.b + 1, k: null };
  }
  return { items, cursor: at.b < buckets ? encodeCursor(at) : null };
}
