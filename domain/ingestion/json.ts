import { MalformedBodyError } from '../shared/errors.ts';

/**
 * JSON.parse that keeps integers beyond 2^53 exact by reading them as strings. Shopify ids are
 * 64-bit integers in JSON; a plain JSON.parse silently rounds them. Strings are matched first, so
 * digits inside strings are never touched.
 */
const TOKEN = /"(?:[^"\\]|\\.)*"|-?\d{16,}(?![.\deE])/g;

export function parseJsonPreservingBigIntegers(text: string): unknown {
  const safe = text.replace(TOKEN, (token) => {
    if (token.startsWith('"')) return token;
    return Number.isSafeInteger(Number(token)) ? token : `"${token}"`;
  });
  try {
    return JSON.parse(safe);
  } catch (error) {
    throw new MalformedBodyError(`body is not valid JSON: ${(error as Error).message}`);
  }
}
