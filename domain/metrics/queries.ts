import { addDays, isCalendarDate, localDate } from '../shared/calendar.ts';
import type { Clock } from '../shared/clock.ts';
import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import {
  attributeOrder,
  channelRoi,
  daysOf,
  funnel,
  gmv,
  monthsOf,
  type PaidOrder,
  type Period,
  period,
  retention,
  sellThrough,
  type UserDay,
} from './figures.ts';
import type { Channel, MetricsReader, MetricsWriter } from './ports.ts';
import { STOREFRONT_LIMITS } from './storefront-limits.ts';
import { MAX_PERIOD_DAYS } from './variant-counts.ts';

export { MAX_PERIOD_DAYS };
/** Longest retention window (months). */
export const MAX_RETENTION_MONTHS = 24;

type Params = Readonly<Record<string, string | undefined>> | null | undefined;

const issue = (field: string, reason: string): FieldIssue => ({ field, reason });

/** `from`/`to` store dates (inclusive; default: the 7 days to today), checked and bounded. */
export function parsePeriod(params: Params, today: string, timeZone: string): Period {
  const to = params?.to ?? today;
  const issues: FieldIssue[] = [];
  if (!isCalendarDate(to)) issues.push(issue('to', 'must be a store date YYYY-MM-DD'));
  const from = params?.from ?? (isCalendarDate(to) ? addDays(to, -6) : today);
  if (!isCalendarDate(from)) issues.push(issue('from', 'must be a store date YYYY-MM-DD'));
  if (issues.length) throw new ValidationError(issues);
  if (from > to) throw ValidationError.field('to', `must not be before from (${from})`);
  const days = daysOf(from, to).length;
  if (days > MAX_PERIOD_DAYS) {
    throw ValidationError.field('to', `the period is ${days} days; at most ${MAX_PERIOD_DAYS}`);
  }
  return period(from, to, timeZone);
}

const known = (params: Params, allowed: readonly string[]) => {
  for (const key of Object.keys(params ?? {})) {
    if (!allowed.includes(key))
      throw ValidationError.field(key, `is not a parameter here (${allowed.join(', ')})`);
  }
};

const channelName = z.string().check(
  z.minLength(1, { error: 'must not be empty', abort: true }),
  z.maxLength(STOREFRONT_LIMITS.maxNameLength, {
    error: `must be at most ${STOREFRONT_LIMITS.maxNameLength} characters`,
    abort: true,
  }),
  z.regex(/^[A-Za-z0-9_.:-]+$/, 'must contain only letters, digits and _ . : -'),
);

export const ChannelBodySchema = z.strictObject({
  name: z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
  spend: z
    .array(
      z.strictObject({
        day: z.string().check(z.refine(isCalendarDate, 'must be a date YYYY-MM-DD')),
        amount: z
          .int('must be an integer number of fen')
          .check(z.nonnegative('must not be negative'), z.lte(1e13, 'is too large')),
      }),
    )
    .check(
      z.maxLength(3660, 'at most 3660 days'),
      z.refine((s) => new Set(s.map((x) => x.day)).size === s.length, 'names a day twice'),
    ),
});

/**
 * The metrics use cases (issue #16) over the reader: the funnel, the GMV decomposition, channel
 * ROI, sell-through and retention. Each answer says its period and the store's time zone.
 */
export function metricsQueries(deps: {
  readonly reader: MetricsReader;
  readonly writer: MetricsWriter;
  readonly clock: Clock;
  readonly timeZone: string;
  readonly currency: string;
}) {
  const { reader, timeZone } = deps;
  const today = () => localDate(deps.clock.now(), timeZone);

  /** The period's user-days (plus the day before, for attribution) and its orders with channels. */
  async function load(p: Period) {
    const days = daysOf(p.from, p.to);
    const [allUserDays, orders, refunds] = await Promise.all([
      reader.userDays([addDays(p.from, -1), ...days]),
      reader.ordersPaid(p.from, p.to),
      reader.refundsIssued(p.from, p.to),
    ]);
    const visits = new Map<string, UserDay>();
    const index = (ud: UserDay) => visits.set(`${ud.day}\u0000${ud.userKey}`, ud);
    allUserDays.forEach(index);
    // Refunds of orders paid before the period: their orders and the visits that explain them.
    const missing = [...new Set(refunds.map((r) => r.orderId))].filter(
      (id) => !orders.some((o) => o.orderId === id),
    );
    const older = missing.length ? await reader.ordersById(missing) : new Map<string, PaidOrder>();
    const extra = [...older.values()]
      .filter((o) => o.customerId !== null)
      .flatMap((o) => [o.day, addDays(o.day, -1)].map((day) => ({ day, userKey: o.customerId! })))
      .filter((k) => !visits.has(`${k.day}\u0000${k.userKey}`));
    if (extra.length) (await reader.userDaysOf(extra)).forEach(index);
    const visitsOf = (userKey: string, day: string) => visits.get(`${day}\u0000${userKey}`)?.visits ?? [];
    const withChannel = orders.map((o) => ({ ...o, channel: attributeOrder(o, visitsOf) }));
    const channelOf = new Map(withChannel.map((o) => [o.orderId, o.channel]));
    for (const o of older.values()) channelOf.set(o.orderId, attributeOrder(o, visitsOf));
    const inPeriod = new Set(days);
    return {
      days,
      userDays: allUserDays.filter((ud) => inPeriod.has(ud.day)),
      orders: withChannel,
      refunds: refunds.map((r) => ({ ...r, channel: channelOf.get(r.orderId) ?? 'direct' })),
    };
  }

  async function gmvOf(p: Period, by: 'day' | 'channel') {
    const data = await load(p);
    const buyers = [...new Set(data.orders.flatMap((o) => (o.customerId === null ? [] : [o.customerId])))];
    const firstPaidAt = await reader.firstPaid(buyers);
    return gmv({ ...data, firstPaidAt }, by);
  }

  const header = (p: Period) => ({ period: p, timeZone, currency: deps.currency });

  return {
    async funnel(params: Params) {
      known(params, ['from', 'to', 'channel']);
      const p = parsePeriod(params, today(), timeZone);
      const channel =
        params?.channel === undefined ? undefined : parseOrThrow(channelName, params.channel, 'channel');
      const data = await load(p);
      return { ...header(p), channel: channel ?? null, steps: funnel(data.userDays, data.orders, channel) };
    },

    async gmv(params: Params) {
      known(params, ['from', 'to', 'by']);
      const by = params?.by ?? 'day';
      if (by !== 'day' && by !== 'channel') throw ValidationError.field('by', 'must be day or channel');
      const p = parsePeriod(params, today(), timeZone);
      return { ...header(p), by, ...(await gmvOf(p, by)) };
    },

    async channels(params: Params) {
      known(params, ['from', 'to']);
      const p = parsePeriod(params, today(), timeZone);
      const [byChannel, channels] = await Promise.all([gmvOf(p, 'channel'), reader.channels()]);
      return { ...header(p), rows: channelRoi(byChannel.rows, channels, daysOf(p.from, p.to)) };
    },

    async sellThrough(params: Params) {
      known(params, ['from', 'to']);
      const p = parsePeriod(params, today(), timeZone);
      const [orders, catalog] = await Promise.all([reader.ordersPaid(p.from, p.to), reader.catalogSkus()]);
      return { ...header(p), ...sellThrough(orders, catalog) };
    },

    async retention(params: Params) {
      known(params, ['cohort', 'from', 'to']);
      if ((params?.cohort ?? 'month') !== 'month') throw ValidationError.field('cohort', 'must be month');
      const month = /^\d{4}-(0[1-9]|1[0-2])$/;
      const to = params?.to ?? today().slice(0, 7);
      if (!month.test(to)) throw ValidationError.field('to', 'must be a month YYYY-MM');
      const from = params?.from ?? monthsOf(`${Number(to.slice(0, 4)) - 1}${to.slice(4)}`, to)[1]!;
      if (!month.test(from)) throw ValidationError.field('from', 'must be a month YYYY-MM');
      if (from > to) throw ValidationError.field('to', `must not be before from (${from})`);
      const months = monthsOf(from, to);
      if (months.length > MAX_RETENTION_MONTHS) {
        throw ValidationError.field(
          'to',
          `the window is ${months.length} months; at most ${MAX_RETENTION_MONTHS}`,
        );
      }
      const lastDay = addDays(`${addMonth(to)}-01`, -1);
      const orders = await reader.ordersPaid(`${from}-01`, lastDay);
      const customers = [...new Set(orders.flatMap((o) => (o.customerId === null ? [] : [o.customerId])))];
      const first = await reader.firstPaid(customers);
      const firstMonth = new Map(
        [...first].map(([c, at]) => [c, localDate(new Date(at), timeZone).slice(0, 7)]),
      );
      return {
        cohort: 'month' as const,
        period: { from, to, timeZone },
        timeZone,
        cohorts: retention(orders, firstMonth, from, to),
      };
    },

    async putChannel(channelId: string | undefined, body: unknown) {
      const id = parseOrThrow(channelName, channelId, 'channelId');
      const parsed = parseOrThrow(ChannelBodySchema, body);
      const channel: Channel = {
        channelId: id,
        name: parsed.name,
        currency: deps.currency,
        spend: [...parsed.spend].sort((a, b) => a.day.localeCompare(b.day)),
        updatedAt: deps.clock.now().toISOString(),
      };
      const { created } = await deps.writer.putChannel(channel);
      return { created, channel };
    },
  };
}

function addMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

export { variantCountsSource } from './variant-counts.ts';
