import { localDate } from '../shared/calendar.ts';

/**
 * The inviter leaderboards (SPEC §7): rewarded referrals per inviter in a store-time month or year,
 * the most first; between equals, who got to that count first ranks higher.
 */
export type Period = 'month' | 'year';

export interface LeaderboardEntry {
  readonly customerId: string;
  readonly rewarded: number;
  /** When the inviter reached their count (their last rewarded referral in the period). */
  readonly reachedAt: string;
}

/** `2026-12` or `2026` for an instant in the store's time zone. */
export function periodKey(period: Period, at: Date, timeZone: string): string {
  const date = localDate(at, timeZone);
  return period === 'year' ? date.slice(0, 4) : date.slice(0, 7);
}

export function rank(entries: readonly LeaderboardEntry[], top: number) {
  return [...entries]
    .filter((e) => e.rewarded > 0)
    .sort(
      (a, b) =>
        b.rewarded - a.rewarded ||
        a.reachedAt.localeCompare(b.reachedAt) ||
        a.customerId.localeCompare(b.customerId),
    )
    .slice(0, top)
    .map((e, i) => ({ rank: i + 1, ...e }));
}

/** The year whose top inviters are granted at `at` (1 January store time → the previous year). */
export const previousYear = (at: Date, timeZone: string) =>
  String(Number(localDate(at, timeZone).slice(0, 4)) - 1);
