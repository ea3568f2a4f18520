import { instantSchema } from '../shared/schemas.ts';
import * as z from '../shared/zod.ts';

/** An instant as the presale domain receives it: a `Date` or an ISO-8601 string. */
export type InstantInput = Date | string;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** Milliseconds since the epoch; an unparseable instant is a programming error, not input. */
export function toMs(at: InstantInput): number {
  const ms = typeof at === 'string' ? Date.parse(at) : at.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`not an instant: ${String(at)}`);
  return ms;
}

/** SPEC §0: instants are stored as ISO-8601 UTC (`2026-11-01T00:00:00.000Z`). */
export function toUtcIso(at: InstantInput): string {
  return new Date(toMs(at)).toISOString();
}

/** An ISO-8601 instant with any offset on the way in, ISO-8601 UTC on the way out. */
export const InstantSchema = z.pipe(
  instantSchema(),
  z.transform((value) => toUtcIso(value)),
);

/**
 * A time window. Windows are half-open, `[start, end)`: open at `start`, closed at `end`, so the
 * balance window may open at the very instant the deposit window closes without overlapping it.
 */
export const WindowSchema = z.object({ start: InstantSchema, end: InstantSchema });
export interface Window {
  readonly start: string;
  readonly end: string;
}

/** Where an instant falls relative to a window. */
export type WindowPhase = 'NOT_OPEN' | 'OPEN' | 'CLOSED';

export function windowPhase(window: Window, at: InstantInput): WindowPhase {
  const t = toMs(at);
  if (t < toMs(window.start)) return 'NOT_OPEN';
  return t < toMs(window.end) ? 'OPEN' : 'CLOSED';
}
