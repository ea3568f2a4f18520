import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The raw bytes of a fixture, exactly as a platform would send them. */
export function fixture(path: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/${path}`, import.meta.url)), 'utf8');
}
