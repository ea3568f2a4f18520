import { localDate, localTime } from '../shared/calendar.ts';
import type { Money } from '../shared/money.ts';
import type { PriceDecision } from './reprice.ts';

/**
 * When the hourly runs happen and what they are called (SPEC §6, docs/rules/repricing.md).
 *
 * A run is at the top of every hour of the store's clock, as EventBridge Scheduler fires
 * `cron(0 * * * ? *)` in the store's time zone: an hour that does not exist (spring forward) has no
 * run, and an hour that occurs twice (fall back) runs once, at its first occurrence. So each run is
 * named by its store-clock hour (`reprice-2026-12-02T10`), which is unique.
 */

export const REPRICE_RUN_PREFIX = 'reprice-';
/** Every offset in the tz database is a multiple of 15 minutes. */
const QUARTER_HOUR = 900_000;
const HOUR = 3_600_000;

const ms = (at: Date | string) => (typeof at === 'string' ? Date.parse(at) : at.getTime());
const hourKey = (at: Date, zone: string) => `${localDate(at, zone)}T${localTime(at, zone).slice(0, 2)}`;

/**
 * The hourly run instants in [from, to): every instant the store's clock shows hh:00, each
 * store-clock hour once (its first occurrence), ascending.
 */
export function hourlyRunsBetween(from: Date | string, to: Date | string, zone: string): Date[] {
  const start = ms(from);
  const end = ms(to);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new RangeError('from and to must be instants');
  const runs: Date[] = [];
  // Begin two hours early so that an hour whose first occurrence is before `from` is known as seen.
  const seen = new Set<string>();
  let t = Math.floor((start - 2 * HOUR) / QUARTER_HOUR) * QUARTER_HOUR;
  while (t < end) {
    const at = new Date(t);
    const time = localTime(at, zone);
    const minute = Number(time.slice(3));
    if (minute !== 0) {
      t += (60 - minute) * 60_000; // to the store clock's next top of the hour
      continue;
    }
    const key = `${localDate(at, zone)}T${time.slice(0, 2)}`;
    if (!seen.has(key)) {
      seen.add(key);
      if (t >= start) runs.push(at);
    }
    t += HOUR;
  }
  return runs;
}

/** The run an instant belongs to: the latest run instant at or before it (a late or manual start). */
export function scheduledRunAt(at: Date | string, zone: string): Date {
  const t = ms(at);
  const runs = hourlyRunsBetween(new Date(t - 3 * HOUR), new Date(t + 1), zone);
  const last = runs.at(-1);
  if (!last) throw new RangeError(`no hourly run before ${new Date(t).toISOString()} in ${zone}`);
  return last;
}

/** The run's id from its instant: `reprice-<store date>T<store hour>`, e.g. `reprice-2026-12-02T10`. */
export function repriceRunId(runAt: Date | string, zone: string): string {
  return `${REPRICE_RUN_PREFIX}${hourKey(new Date(ms(runAt)), zone)}`;
}

/**
 * The key of one run's change to one SKU: the store writes a change under it only if absent, so a
 * retried or restarted run never applies a change twice.
 */
export function priceChangeKey(runId: string, sku: string): string {
  return `${runId}#${sku}`;
}

/**
 * Whether a decision may be applied to the SKU as it is now (the optimistic check the store makes in
 * the same conditional write): only if the stored price is still the `old` the decision saw and the
 * SKU is not campaign-locked now. Otherwise another run or a person changed it in between, and the
 * change is dropped (the next run decides again): overlapping runs never interleave on one SKU.
 */
export function changeApplies(
  decision: Pick<PriceDecision, 'old' | 'changed'>,
  current: { readonly price: Money | null; readonly campaignLocked: boolean },
): { readonly applies: boolean; readonly reason: string } {
  if (!decision.changed) return { applies: false, reason: 'no change' };
  if (current.campaignLocked) return { applies: false, reason: 'the SKU is campaign-locked now' };
  if (
    !current.price ||
    current.price.amount !== decision.old.amount ||
    current.price.currency !== decision.old.currency
  ) {
    return { applies: false, reason: 'the price changed since the decision was made' };
  }
  return { applies: true, reason: 'the price is still the one the decision saw' };
}
