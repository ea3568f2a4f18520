import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  latestObservations,
  type PricePoint,
  priceBeforeRun,
  pricingInputsAt,
  type RecordedObservation,
  recordedPriceAt,
  type SkuHistory,
} from '#domain/pricing/history';
import type { VersionedPricingRules } from '#domain/pricing/pricing-rules';
import { repriceSku } from '#domain/pricing/reprice';
import { changeApplies, hourlyRunsBetween } from '#domain/pricing/schedule';
import { NO_SKU_PRICING, type SkuPricing } from '#domain/pricing/sku-pricing';
import { whatIf } from '#domain/pricing/what-if';
import type { Money } from '#domain/shared/money';
import { cny, only, ruleSet, rulesOn } from './arbitraries.ts';

const H = 3_600_000;
/** 00:00 on 2026-12-02 in Asia/Shanghai. */
const FROM = '2026-12-01T16:00:00.000Z';
const at = (hours: number) => new Date(Date.parse(FROM) + hours * H).toISOString();

const priced = (p: Partial<SkuPricing> = {}): SkuPricing => ({
  ...NO_SKU_PRICING,
  listPrice: cny(10_000),
  price: cny(10_000),
  ...p,
});

const observed = (
  competitor: string,
  amount: number,
  observedAt: string,
  recordedAt = observedAt,
): RecordedObservation => ({ competitor, price: cny(amount), observedAt, recordedAt });

const history = (overrides: Partial<SkuHistory> = {}): SkuHistory => ({
  sku: 'SKU-1',
  versions: [{ at: at(-24), pricing: priced(), cost: cny(6_000) }],
  stock: [{ at: at(-24), onHand: 200 }],
  observations: [],
  sales: [],
  ...overrides,
});

describe('pricingInputsAt: the state as of an instant', () => {
  it('the version, stock and observations in force then, the instant itself included', () => {
    const h = history({
      versions: [
        { at: at(-24), pricing: priced(), cost: cny(6_000) },
        { at: at(2), pricing: priced({ listPrice: cny(12_000), minMarginBps: 500 }), cost: cny(7_000) },
      ],
      stock: [
        { at: at(1), onHand: 40 },
        { at: at(-24), onHand: 200 },
      ],
    });
    expect(pricingInputsAt(h, at(1))).toEqual({
      sku: 'SKU-1',
      currency: 'CNY',
      price: cny(10_000),
      listPrice: cny(10_000),
      cost: cny(6_000),
      onHand: 40,
      competitors: [],
      campaignLocked: false,
      minMarginBps: null,
      maxMarkupBps: null,
      at: at(1),
    });
    expect(pricingInputsAt(h, at(2))).toMatchObject({
      listPrice: cny(12_000),
      cost: cny(7_000),
      minMarginBps: 500,
    });
    expect(pricingInputsAt(h, at(0.5))?.onHand).toBe(200);
  });

  it('a given price (a replay’s) replaces the recorded one; recorded prices come before the version’s', () => {
    const prices: PricePoint[] = [
      { at: at(-1), price: cny(9_900), source: 'run' },
      { at: at(3), price: cny(9_500), source: 'operator' },
    ];
    const h = history({ prices });
    expect(pricingInputsAt(h, at(1))?.price).toEqual(cny(9_900));
    expect(pricingInputsAt(h, at(3))?.price).toEqual(cny(9_500));
    expect(pricingInputsAt(h, at(1), cny(8_800))?.price).toEqual(cny(8_800));
    expect(recordedPriceAt(history(), at(0))).toEqual(cny(10_000));
  });

  it('no pricing fields or no price then: not repriced (null); no stock record: 0 on hand', () => {
    expect(pricingInputsAt(history(), at(-25))).toBeNull();
    expect(
      pricingInputsAt(
        history({ versions: [{ at: at(-24), pricing: priced({ price: null }), cost: null }] }),
        at(0),
      ),
    ).toBeNull();
    expect(pricingInputsAt(history({ stock: [] }), at(0))?.onHand).toBe(0);
  });

  it('a stale observation arriving late does not win: the latest by observedAt among those recorded by then', () => {
    const h = history({
      observations: [
        observed('jd', 9_000, at(-1)), // observed 23:00, recorded at once
        observed('jd', 7_000, at(-5), at(0.5)), // observed 19:00, recorded 00:30: older than what is known
        observed('tmall', 9_500, at(0), at(2)), // recorded only at 02:00
      ],
    });
    expect(latestObservations(h, at(1)).map((o) => [o.competitor, o.price.amount])).toEqual([['jd', 9_000]]);
    expect(latestObservations(h, at(2)).map((o) => [o.competitor, o.price.amount])).toEqual([
      ['jd', 9_000],
      ['tmall', 9_500],
    ]);
    // Before the newer one was recorded, the older was all there was.
    const early = history({
      observations: [observed('jd', 9_000, at(-1), at(3)), observed('jd', 7_000, at(-5), at(0.5))],
    });
    expect(latestObservations(early, at(1))[0]?.price).toEqual(cny(7_000));
    expect(latestObservations(early, at(3))[0]?.price).toEqual(cny(9_000));
  });

  it('equal observation instants keep the one recorded first', () => {
    const h = history({
      observations: [observed('jd', 8_000, at(-1), at(-0.5)), observed('jd', 9_000, at(-1), at(-0.9))],
    });
    expect(latestObservations(h, at(0))[0]?.price).toEqual(cny(9_000));
  });
});

describe('whatIf: a worked replay', () => {
  it('low stock from 03:00: 99.00 → 109.00 at the 03:00 run, then unchanged; revenue at the recorded units, an estimate', () => {
    const h = history({
      versions: [{ at: at(-24), pricing: priced({ price: cny(9_900) }), cost: cny(6_000) }],
      stock: [
        { at: at(-24), onHand: 200 },
        { at: at(2.5), onHand: 30 },
      ],
      sales: [
        { at: at(0.5), units: 2 },
        { at: at(3), units: 1 }, // at the run's instant: the run's price
        { at: at(4.2), units: 3 },
        { at: at(5.5), units: -1 }, // a refund
        { at: at(6), units: 9 }, // at `to`: outside
      ],
      prices: [{ at: at(-24), price: cny(9_900), source: 'operator' }],
    });
    const report = whatIf({ skus: [h] }, rulesOn(), FROM, at(6));
    expect(report.runs).toHaveLength(6);
    expect(report).toMatchObject({
      from: FROM,
      to: at(6),
      timeZone: 'Asia/Shanghai',
      rulesVersion: 7,
      engine: 'pricing/1',
    });
    const [sku] = report.skus;
    expect(sku?.hours.map((x) => [x.runId, x.price.amount, x.outcome])).toEqual([
      ['reprice-2026-12-02T00', 9_900, 'unchanged'],
      ['reprice-2026-12-02T01', 9_900, 'unchanged'],
      ['reprice-2026-12-02T02', 9_900, 'unchanged'],
      ['reprice-2026-12-02T03', 10_900, 'changed'],
      ['reprice-2026-12-02T04', 10_900, 'unchanged'],
      ['reprice-2026-12-02T05', 10_900, 'unchanged'],
    ]);
    expect(sku?.hours[3]?.moved).toEqual(['lowStock', 'charmEnding']);
    expect(sku).toMatchObject({ start: cny(9_900), end: cny(10_900), changes: 1, runsSkipped: 0 });
    expect(sku?.guardrailsBound).toEqual({ campaignLock: 0, maxChange: 0, ceiling: 0, floor: 0 });
    expect(sku?.revenueEstimate).toEqual({
      estimate: true,
      basis: expect.stringMatching(/estimate/),
      units: 5,
      simulated: cny(2 * 9_900 + 1 * 10_900 + 3 * 10_900 - 10_900),
      recorded: cny(5 * 9_900),
      difference: cny(3 * 1_000),
      unitsWithoutPrice: { simulated: 0, recorded: 0 },
    });
  });

  it('counts the guardrails that bound, and runs left alone in a campaign', () => {
    const h = history({
      versions: [
        { at: at(-24), pricing: priced(), cost: cny(9_000) }, // floor 99.00
        { at: at(2), pricing: priced({ campaignLocked: true }), cost: cny(9_000) },
      ],
      observations: [observed('jd', 5_000, at(-1))],
    });
    const [sku] = whatIf({ skus: [h] }, rulesOn({}, { competitor: { towardBps: 10_000 } }), FROM, at(4)).skus;
    expect(sku?.hours.map((x) => [x.price.amount, x.boundBy])).toEqual([
      [9_900, 'floor'],
      [9_900, 'floor'],
      [9_900, 'campaignLock'],
      [9_900, 'campaignLock'],
    ]);
    expect(sku?.guardrailsBound).toEqual({ campaignLock: 2, maxChange: 2, ceiling: 0, floor: 2 });
  });

  it('a person’s price set during the period replaces the simulated price from then on', () => {
    const h = history({
      stock: [{ at: at(-24), onHand: 0 }],
      prices: [
        { at: at(-24), price: cny(10_000), source: 'operator' },
        { at: at(0), price: cny(10_100), source: 'run' }, // the live run at `from`: the replay's own
        { at: at(1.5), price: cny(9_000), source: 'operator' },
      ],
    });
    const rules = rulesOn({}, { lowStock: { raiseBps: 100 } });
    const [sku] = whatIf({ skus: [h] }, { ...rules, rules: rules.rules.slice(0, 1) }, FROM, at(3)).skus;
    // +1% each run: 101.00; 102.01 → capped at list + 1% = 101.00; set to 90.00 at 01:30 → 90.90
    expect(sku?.hours.map((x) => [x.old.amount, x.price.amount])).toEqual([
      [10_000, 10_100],
      [10_100, 10_100],
      [9_000, 9_090],
    ]);
  });

  it('a SKU without a price is skipped until it gets one; without history the revenue is unknown', () => {
    const h = history({ versions: [{ at: at(1.5), pricing: priced(), cost: cny(6_000) }] });
    const [sku] = whatIf({ skus: [h] }, only(['lowStock']), FROM, at(3)).skus;
    expect(sku).toMatchObject({ start: null, runsSkipped: 2, end: cny(10_000) });
    expect(sku?.hours.map((x) => x.at)).toEqual([at(2)]);
    expect(sku?.revenueEstimate).toMatchObject({ units: 0, recorded: null });
  });

  it('a SKU whose price is cleared is skipped from then on, though the replay carried a price', () => {
    const h = history({
      versions: [
        { at: at(-24), pricing: priced(), cost: cny(6_000) },
        { at: at(1.5), pricing: priced({ price: null }), cost: cny(6_000) },
      ],
    });
    const [sku] = whatIf({ skus: [h] }, only(['lowStock']), FROM, at(3)).skus;
    expect(sku?.hours.map((x) => x.at)).toEqual([at(0), at(1)]);
    expect(sku?.runsSkipped).toBe(1);
  });

  it('refuses an empty period', () => {
    expect(() => whatIf({ skus: [] }, rulesOn(), at(1), at(1))).toThrow(RangeError);
  });
});

// --- the live runs and the what-if over the same days ---------------------------------------------

type Event =
  | { kind: 'stock'; at: number; onHand: number }
  | { kind: 'observe'; at: number; competitor: string; amount: number; observedAt: number }
  | { kind: 'sale'; at: number; units: number }
  | { kind: 'set'; at: number; amount: number }
  | { kind: 'fields'; at: number; listPrice: number | null; cost: number | null; campaignLocked: boolean };

const DAYS = 3;
const span = fc.integer({ min: -12 * 60, max: DAYS * 24 * 60 - 1 }).map((m) => Date.parse(FROM) + m * 60_000);
/** Whole hours land on the run instants: the edge "recorded at the run's instant". */
const instant = fc.oneof(
  span,
  span.map((t) => Math.floor(t / H) * H),
);
const amount = fc.integer({ min: 1_000, max: 30_000 });
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ kind: fc.constant('stock' as const), at: instant, onHand: fc.integer({ min: 0, max: 120 }) }),
  fc
    .record({
      kind: fc.constant('observe' as const),
      at: instant,
      competitor: fc.constantFrom('jd', 'tmall', 'pdd'),
      amount,
      lag: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 48 * 60 })),
    })
    .map(({ lag, ...e }) => ({ ...e, observedAt: e.at - lag * 60_000 })),
  fc.record({ kind: fc.constant('sale' as const), at: instant, units: fc.integer({ min: -2, max: 5 }) }),
  fc.record({ kind: fc.constant('set' as const), at: instant, amount }),
  fc.record({
    kind: fc.constant('fields' as const),
    at: instant,
    listPrice: fc.option(amount, { nil: null, freq: 6 }),
    cost: fc.option(fc.integer({ min: 500, max: 20_000 }), { nil: null, freq: 6 }),
    campaignLocked: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
  }),
);

interface LiveSku {
  readonly sku: string;
  pricing: SkuPricing;
  cost: Money | null;
  onHand: number;
  /** The store's latest observation per competitor: a newer observedAt replaces, an older never. */
  readonly latest: Map<string, RecordedObservation>;
  readonly history: {
    versions: SkuHistory['versions'][number][];
    stock: SkuHistory['stock'][number][];
    observations: RecordedObservation[];
    sales: SkuHistory['sales'][number][];
    prices: PricePoint[];
  };
}

/**
 * The live system in miniature: events applied as they are recorded, an hourly run at each run
 * instant deciding from the store's current state (snapshot → pricingInputsAt → repriceSku) and
 * applying with the optimistic check; everything it records becomes the history.
 */
function live(skus: ReadonlyArray<{ sku: string; events: Event[] }>, rules: VersionedPricingRules) {
  const iso = (t: number) => new Date(t).toISOString();
  const start = Date.parse(FROM) - 13 * H;
  const state: LiveSku[] = skus.map(({ sku }) => {
    const pricing = { ...NO_SKU_PRICING, price: cny(10_000), listPrice: cny(10_000) };
    return {
      sku,
      pricing,
      cost: cny(6_000),
      onHand: 100,
      latest: new Map(),
      history: {
        versions: [{ at: iso(start), pricing, cost: cny(6_000) }],
        stock: [{ at: iso(start), onHand: 100 }],
        observations: [],
        sales: [],
        prices: [{ at: iso(start), price: cny(10_000), source: 'operator' }],
      },
    };
  });
  const to = Date.parse(FROM) + DAYS * 24 * H;
  const runs = hourlyRunsBetween(FROM, iso(to), rules.timeZone);
  const livePrices = new Map<string, Array<[string, number]>>(skus.map(({ sku }) => [sku, []]));
  const queue = skus.flatMap(({ events }, i) => events.map((e) => ({ e, s: state[i] as LiveSku })));
  queue.sort((a, b) => a.e.at - b.e.at);
  let next = 0;
  for (const run of runs) {
    // Everything recorded up to and including the run's instant is in the store when it runs.
    while (next < queue.length && (queue[next]?.e.at as number) <= run.getTime()) {
      const { e, s } = queue[next++] as { e: Event; s: LiveSku };
      const when = iso(e.at);
      if (e.kind === 'stock') {
        s.onHand = e.onHand;
        s.history.stock.push({ at: when, onHand: e.onHand });
      } else if (e.kind === 'observe') {
        const o = observed(e.competitor, e.amount, iso(e.observedAt), when);
        s.history.observations.push(o);
        const kept = s.latest.get(e.competitor);
        if (!kept || Date.parse(kept.observedAt) < e.observedAt) s.latest.set(e.competitor, o);
      } else if (e.kind === 'sale') {
        s.history.sales.push({ at: when, units: e.units });
      } else if (e.kind === 'set') {
        s.pricing = { ...s.pricing, price: cny(e.amount) };
        s.history.prices.push({ at: when, price: cny(e.amount), source: 'operator' });
        s.history.versions.push({ at: when, pricing: s.pricing, cost: s.cost });
      } else {
        s.pricing = {
          ...s.pricing,
          listPrice: e.listPrice === null ? null : cny(e.listPrice),
          campaignLocked: e.campaignLocked,
        };
        s.cost = e.cost === null ? null : cny(e.cost);
        s.history.versions.push({ at: when, pricing: s.pricing, cost: s.cost });
      }
    }
    for (const s of state) {
      const snapshot: SkuHistory = {
        sku: s.sku,
        versions: [{ at: iso(start), pricing: s.pricing, cost: s.cost }],
        stock: [{ at: iso(start), onHand: s.onHand }],
        observations: [...s.latest.values()],
        sales: [],
      };
      const inputs = pricingInputsAt(snapshot, run.toISOString());
      if (!inputs) continue;
      const decision = repriceSku(inputs, rules);
      if (changeApplies(decision, s.pricing).applies) {
        s.pricing = { ...s.pricing, price: decision.new };
        s.history.prices.push({ at: run.toISOString(), price: decision.new, source: 'run' });
      }
      livePrices.get(s.sku)?.push([run.toISOString(), s.pricing.price?.amount as number]);
    }
  }
  // Events after the last run still belong to the history (sales up to `to`).
  for (const { e, s } of queue.slice(next))
    if (e.kind === 'sale') s.history.sales.push({ at: iso(e.at), units: e.units });
  return { history: { skus: state.map((s) => ({ sku: s.sku, ...s.history })) }, livePrices, to: iso(to) };
}

describe('whatIf over recorded history = what the live hourly runs produced', () => {
  it(`property: ${DAYS} days, random stock, late and stale observations, sales, price sets, field changes`, () => {
    const catalog = fc.array(fc.array(event, { maxLength: 60 }), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(catalog, ruleSet, (events, tried) => {
        const rules = { ...tried, rules: tried.rules.map((r) => ({ ...r, enabled: true })) };
        const skus = events.map((e, i) => ({ sku: `SKU-${i}`, events: e }));
        const { history, livePrices, to } = live(skus, rules);
        const report = whatIf(history, rules, FROM, to);
        expect(report.runs).toHaveLength(DAYS * 24);
        for (const sku of report.skus) {
          expect(sku.hours.map((h) => [h.at, h.price.amount])).toEqual(livePrices.get(sku.sku));
          // The recorded prices are the live ones, so the estimate equals the recorded revenue.
          expect(sku.revenueEstimate.difference?.amount ?? 0).toBe(0);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('and the what-if is the sequence of repriceSku calls on the same state', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), ruleSet, (events, rules) => {
        const { history, to } = live([{ sku: 'S', events }], rules);
        const h = history.skus[0] as SkuHistory;
        const [report] = whatIf(history, rules, FROM, to).skus;
        let price = priceBeforeRun(h, FROM) as Money;
        const direct: number[] = [];
        for (const run of hourlyRunsBetween(FROM, to, rules.timeZone)) {
          const sets = (h.prices ?? []).filter(
            (p) =>
              p.source === 'operator' &&
              Date.parse(p.at) > Date.parse(run.toISOString()) - H &&
              p.at <= run.toISOString(),
          );
          if (sets.length) price = (sets.at(-1) as PricePoint).price;
          const d = repriceSku(pricingInputsAt(h, run.toISOString(), price)!, rules);
          price = d.new;
          direct.push(d.new.amount);
        }
        expect(report?.hours.map((x) => x.price.amount)).toEqual(direct);
      }),
      { numRuns: 40 },
    );
  });
});
