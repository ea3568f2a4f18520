import { createHash } from 'node:crypto';
import { addDays, zonedInstant } from '../shared/calendar.ts';
import type { StorefrontEvent } from './storefront.ts';

/**
 * Generated storefront traffic (issue #16): returning and new users over several channels, their
 * sessions through the funnel, and the matching paid orders and refunds. Pure and seeded — the same
 * options give the same traffic — so `storeflow traffic`, the integration tests and the bench send
 * it, and the tests compute the expected figures from the same data independently.
 */
export interface TrafficOptions {
  readonly users: number;
  readonly days: number;
  /** First store day, YYYY-MM-DD. */
  readonly startDay: string;
  readonly timeZone: string;
  readonly seed?: number;
  readonly channels?: readonly string[];
  /** Share of signed-in sessions that end in a paid order, in basis points (default 300 = 3%). */
  readonly conversionBps?: number;
  /** Share of orders refunded (half of them in full, half in part), bps (default 1,000). */
  readonly refundBps?: number;
  /** Share of users who never sign in (anonymousId only, never buy), bps (default 1,500). */
  readonly anonymousBps?: number;
  /** Events carry this campaign and each user's variant; the pilot may convert better. */
  readonly campaign?: {
    readonly id: string;
    /** The campaign's assignment of a user key (campaigns own it); undefined: not in the test. */
    readonly assign?: (userKey: string) => 'pilot' | 'control' | undefined;
    /** Relative conversion lift of the pilot over the rest, bps (3,000 = +30%). */
    readonly pilotLiftBps?: number;
  };
}

export interface GeneratedOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly paidAt: string;
  readonly lines: ReadonlyArray<{
    readonly sku: string;
    readonly quantity: number;
    readonly unitPrice: number;
  }>;
  /** fen */
  readonly total: number;
  readonly channel: string;
  readonly variant?: 'pilot' | 'control';
}

export interface GeneratedRefund {
  readonly refundId: string;
  readonly orderId: string;
  /** fen */
  readonly amount: number;
  readonly refundedAt: string;
}

export interface Traffic {
  /** In time order. */
  readonly events: StorefrontEvent[];
  /** In time order. */
  readonly orders: GeneratedOrder[];
  /** In time order (some may lie after the generated days). */
  readonly refunds: GeneratedRefund[];
  readonly skus: readonly string[];
}

export const DEFAULT_CHANNELS = ['search', 'social', 'ads', 'email'] as const;

/** Step probabilities of a session: view a product, add to cart, start checkout. */
const P_VIEW = 0.85;
const P_CART = 0.45;
const P_CHECKOUT = 0.6;

/** mulberry32: a small, well-known seeded PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The default campaign assignment the generator uses when none is given: a stable hash of
 * `<campaignId>:<userKey>` into 10,000 buckets, the first `pilotBps` the pilot and the next
 * `controlBps` the control.
 */
export function hashAssignment(campaignId: string, pilotBps = 5_000, controlBps = 5_000) {
  return (userKey: string): 'pilot' | 'control' | undefined => {
    const bucket = createHash('sha256').update(`${campaignId}:${userKey}`).digest().readUInt32BE(0) % 10_000;
    if (bucket < pilotBps) return 'pilot';
    if (bucket < pilotBps + controlBps) return 'control';
    return undefined;
  };
}

export function generateTraffic(options: TrafficOptions): Traffic {
  const seed = options.seed ?? 1;
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const channels = options.channels?.length ? options.channels : DEFAULT_CHANNELS;
  const conversion = (options.conversionBps ?? 300) / 10_000;
  const refundShare = (options.refundBps ?? 1_000) / 10_000;
  const anonymousShare = (options.anonymousBps ?? 1_500) / 10_000;
  const campaign = options.campaign;
  const assign = campaign ? (campaign.assign ?? hashAssignment(campaign.id)) : undefined;
  const lift = 1 + (campaign?.pilotLiftBps ?? 0) / 10_000;
  const skus = Array.from({ length: 40 }, (_, i) => `SKU-${String(i + 1).padStart(3, '0')}`);
  const prices = skus.map(() => (19 + Math.floor(rand() * 580)) * 100 + 90); // 19.90 – 598.90
  const dayStart = Array.from({ length: options.days }, (_, d) =>
    zonedInstant(addDays(options.startDay, d), '00:00', options.timeZone).getTime(),
  );

  const events: StorefrontEvent[] = [];
  const orders: GeneratedOrder[] = [];
  const refunds: GeneratedRefund[] = [];
  let eventN = 0;
  let sessionN = 0;
  const iso = (ms: number) => new Date(ms).toISOString();

  for (let u = 0; u < options.users; u++) {
    const anonymous = rand() < anonymousShare;
    const userId = String(10_000_000 + seed * 100_000 + u);
    const userKey = anonymous ? `anon:a-${seed}-${u}` : userId;
    const home = pick(channels);
    const firstDay = Math.floor(rand() * options.days);
    const variant = assign?.(userKey);
    const pPay = Math.min(
      1,
      (conversion * (variant === 'pilot' ? lift : 1)) / (P_VIEW * P_CART * P_CHECKOUT),
    );
    for (let d = firstDay; d < options.days; d++) {
      // New on their first day; afterwards a returning visit on about a third of the days.
      const sessions = d === firstDay ? 1 : rand() < 0.3 ? (rand() < 0.2 ? 2 : 1) : 0;
      for (let s = 0; s < sessions; s++) {
        const sessionId = `s-${seed}-${sessionN++}`;
        const channel = rand() < 0.7 ? home : pick(channels);
        let t = dayStart[d]! + Math.floor(rand() * 82_800_000); // before 23:00
        const base = {
          sessionId,
          channel,
          ...(anonymous ? { anonymousId: userKey.slice(5) } : { userId }),
          ...(campaign && variant ? { campaignId: campaign.id, variant } : {}),
        };
        const emit = (type: StorefrontEvent['type'], sku?: string) =>
          events.push({
            eventId: `e-${seed}-${eventN++}`,
            type,
            at: iso(t),
            ...base,
            ...(sku ? { sku } : {}),
          });
        emit('visit');
        if (rand() >= P_VIEW) continue;
        const viewed: string[] = [];
        const views = 1 + Math.floor(rand() * 4);
        for (let v = 0; v < views; v++) {
          t += 20_000 + Math.floor(rand() * 100_000);
          const sku = pick(skus);
          viewed.push(sku);
          emit('product_view', sku);
        }
        if (rand() >= P_CART) continue;
        t += 30_000 + Math.floor(rand() * 60_000);
        emit('add_to_cart', viewed[0]);
        if (rand() >= P_CHECKOUT) continue;
        t += 30_000 + Math.floor(rand() * 120_000);
        emit('checkout_started');
        if (anonymous || rand() >= pPay) continue;
        t += 60_000 + Math.floor(rand() * 240_000);
        const lineSkus = [...new Set(viewed)].slice(0, 1 + Math.floor(rand() * 2));
        const lines = lineSkus.map((sku) => ({
          sku,
          quantity: 1 + Math.floor(rand() * 2),
          unitPrice: prices[skus.indexOf(sku)]!,
        }));
        const total = lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0);
        const orderId = String(9_000_000_000 + seed * 1_000_000 + orders.length);
        orders.push({
          orderId,
          customerId: userId,
          paidAt: iso(t),
          lines,
          total,
          channel,
          ...(variant ? { variant } : {}),
        });
        if (rand() < refundShare) {
          const full = rand() < 0.5;
          refunds.push({
            refundId: String(8_000_000_000 + seed * 1_000_000 + refunds.length),
            orderId,
            amount: full ? total : Math.floor(total / 2),
            refundedAt: iso(t + 3_600_000 + Math.floor(rand() * 2 * 86_400_000)),
          });
        }
      }
    }
  }
  const byAt = <T extends { at?: string; paidAt?: string; refundedAt?: string }>(x: T) =>
    x.at ?? x.paidAt ?? x.refundedAt ?? '';
  events.sort((a, b) => byAt(a).localeCompare(byAt(b)));
  orders.sort((a, b) => a.paidAt.localeCompare(b.paidAt));
  refunds.sort((a, b) => a.refundedAt.localeCompare(b.refundedAt));
  return { events, orders, refunds, skus };
}

/**
 * Cuts events into batches as a storefront's collector sends them, in time order, with a share
 * sent again in a later batch (at-least-once: a retry after a lost answer) and a share held back
 * to the very end (late: a phone that was offline). Seeded.
 */
export function batchesOf(
  events: readonly StorefrontEvent[],
  options: { size?: number; duplicateBps?: number; lateBps?: number; seed?: number } = {},
): StorefrontEvent[][] {
  const size = options.size ?? 500;
  const rand = prng((options.seed ?? 1) ^ 0x5eed);
  const late: StorefrontEvent[] = [];
  const onTime: StorefrontEvent[] = [];
  for (const e of events) (rand() * 10_000 < (options.lateBps ?? 0) ? late : onTime).push(e);
  const stream: StorefrontEvent[] = [];
  const again: StorefrontEvent[] = [];
  for (const e of [...onTime, ...late]) {
    stream.push(e);
    if (rand() * 10_000 < (options.duplicateBps ?? 0)) again.push(e);
    // a repeat goes out a little later, mixed into the next batches
    if (again.length > 0 && rand() < 0.5) stream.push(again.shift()!);
  }
  stream.push(...again);
  const batches: StorefrontEvent[][] = [];
  for (let i = 0; i < stream.length; i += size) batches.push(stream.slice(i, i + size));
  return batches;
}
