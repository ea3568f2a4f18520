import { localDate, localTime, zonedInstant } from '../shared/calendar.ts';
import { couponCode } from './coupons.ts';
import { previousYear, rank } from './leaderboard.ts';
import { type MemberLedger, NIGHTLY_PAGE_SIZE, type Outgoing, out } from './ledger.ts';
import type { TierCause } from './tiers.ts';

/** The scheduled runs: the nightly re-evaluation and the annual free order. */
export function memberSchedule(ledger: MemberLedger) {
  const { deps, now, policy, publish, update, evaluate, tierEvent, couponIssued, newCoupon } = ledger;

  return {
    // --- the nightly re-evaluation ------------------------------------------------------------------

    /** The clock: once the store's clock passes `nightlyAt`, that date's run is due (named after it). */
    async nightlyTick(): Promise<{ due: false } | { due: true; name: string; date: string }> {
      const p = await policy();
      const at = now();
      if (localTime(at, p.timeZone) < p.nightlyAt) return { due: false };
      const date = localDate(at, p.timeZone);
      return { due: true, name: `members-nightly-${date}`, date };
    },

    async nightlyStart(
      input: { date?: string | undefined },
      run: { name: string; startedAt?: string | null | undefined },
    ) {
      const p = await policy();
      const at = run.startedAt ?? now().toISOString();
      return {
        context: {
          run: run.name,
          date: input.date ?? localDate(new Date(at), p.timeZone),
          at,
          policyVersion: p.version,
        },
        // Only the buckets that hold customers: a store without members fans out over none.
        buckets: await deps.store.bucketsInUse(),
      };
    },

    /** One page of one bucket: each customer's window at the run's instant; a tier that changed is recorded. */
    async nightlyPage(input: {
      context: { run: string; at: string };
      bucket: number;
      cursor: string | null;
    }) {
      const p = await policy();
      const at = new Date(input.context.at);
      const page = await deps.store.listBucket(input.bucket, input.cursor || null, NIGHTLY_PAGE_SIZE);
      const cause: TierCause = { type: 'nightly', run: input.context.run };
      let changed = 0;
      const events: Outgoing[] = [];
      for (const listed of page.items) {
        if (listed.tier === 'none' && listed.orders.length === 0) continue;
        const first = evaluate(listed, p, at, cause);
        if (!first.change && first.record.orders.length === listed.orders.length) continue;
        const { after } = await update(listed.customerId, (m) => {
          const { record, change } = evaluate(m, p, at, cause);
          if (!change && record.orders.length === m.orders.length) return null;
          return record;
        });
        const made = after.tierHistory.filter(
          (c) => c.cause.type === 'nightly' && c.cause.run === input.context.run,
        );
        changed += made.length;
        events.push(...made.map((c) => tierEvent(listed.customerId, c)));
      }
      await publish(events, input.context.run);
      return { cursor: page.cursor, evaluated: page.items.length, changed };
    },

    // --- the annual free order ------------------------------------------------------------------------

    /**
     * 00:05 on 1 January store time: last year's top inviters each get one free-order coupon. The
     * winners are decided once (the first call's ranking is kept); each coupon's code derives from
     * the year and the customer, so a repeated or late call grants nothing twice.
     */
    async grantAnnual() {
      const p = await policy();
      const at = now();
      const year = previousYear(at, p.timeZone);
      const grant =
        (await deps.store.getAnnualGrant(year)) ??
        (await deps.store.decideAnnualGrant({
          year,
          decidedAt: at.toISOString(),
          winners: rank(await deps.store.leaderboard(year), p.referral.leaderboardTop),
        }));
      const expiresAt = zonedInstant(`${Number(year) + 2}-01-01`, '00:00', p.timeZone).toISOString();
      const events: Outgoing[] = [];
      let created = 0;
      for (const w of grant.winners) {
        const coupon = newCoupon({
          code: couponCode('annual-free-order', year, w.customerId),
          customerId: w.customerId,
          amount: p.referral.annualFreeOrderMax,
          source: 'annual-free-order',
          ref: { type: 'year', id: year },
          issuedAt: grant.decidedAt,
          expiresAt,
        });
        if (await deps.store.createCoupon(coupon)) created++;
        const stored = (await deps.store.getCoupon(coupon.code)) ?? coupon;
        events.push(
          out(
            'AnnualFreeOrderGranted',
            {
              customerId: w.customerId,
              year,
              rank: w.rank,
              rewarded: w.rewarded,
              code: stored.code,
              amount: stored.amount,
              grantedAt: stored.issuedAt,
            },
            year,
            w.customerId,
          ),
          couponIssued(stored),
        );
      }
      await publish(events, `annual-${year}`);
      return { year, winners: grant.winners.length, created };
    },
  };
}
