import { type DetailType, isDetailType } from '../events/catalog.ts';
import { isTimeZone } from '../shared/calendar.ts';
import { ValidationError } from '../shared/errors.ts';
import { type Money, NonNegativeMoneySchema, PositiveMoneySchema } from '../shared/money.ts';
import { idSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';

/**
 * The promise catalogue (SPEC §4, docs/rules/sla.md): every promise a store makes has a start
 * event, a fulfilling event, a deadline, who it applies to, and what a breach pays. A promise's
 * policy is snapshotted when the promise is registered: editing a policy never changes promises in
 * flight.
 */

/** When a promise is due. */
export type Deadline =
  /** A fixed time after the start event. */
  | { readonly afterSeconds: number }
  /**
   * A store-calendar rule: started before `cutoff` (store time) → due at `dueAt`, `days` days later
   * (0: the same day); started at or after the cutoff → not eligible.
   */
  | { readonly cutoff: string; readonly dueAt: string; readonly days?: number }
  /** An instant the start event carries (e.g. a presale's `shipBy`). */
  | { readonly field: string };

/** What a breach pays: a fixed coupon, a share of the order total, or steps by lateness. */
export type Compensation =
  | { readonly coupon: Money }
  | { readonly refundBps: number }
  | {
      readonly tiers: ReadonlyArray<
        { readonly lateSeconds: number } & ({ readonly coupon: Money } | { readonly refundBps: number })
      >;
    };

export interface PromisePolicy {
  readonly policyId: string;
  /** What kind of promise: `delivery`, `dispatch`, `ship-by`, `first-response`, ... */
  readonly kind: string;
  readonly startsOn: DetailType;
  readonly fulfilledBy: DetailType;
  readonly deadline: Deadline;
  readonly eligible: { readonly categories?: readonly string[]; readonly regions?: readonly string[] };
  readonly compensation: Compensation;
  /** The most all promises of one order pay together. */
  readonly capPerOrder: Money;
  readonly active: boolean;
}

export interface StoredPolicy extends PromisePolicy {
  readonly version: number;
  readonly updatedAt: string | null;
}

/** The events a promise can start or end on, and the instant each carries. */
export const PROMISE_EVENTS = {
  OrderPaid: 'paidAt',
  ShipmentDispatched: 'dispatchedAt',
  OrderDelivered: 'deliveredAt',
  PresaleFulfilmentPromised: 'paidAt',
  TicketOpened: 'openedAt',
  TicketResponded: 'respondedAt',
  TicketResolved: 'resolvedAt',
  InstallationCompleted: 'completedAt',
} as const satisfies Partial<Record<DetailType, string>>;
export type PromiseEvent = keyof typeof PROMISE_EVENTS;
export const isPromiseEvent = (t: string): t is PromiseEvent => Object.hasOwn(PROMISE_EVENTS, t);

const cny = (yuan: number): Money => ({ amount: yuan * 100, currency: 'CNY' });

/** SPEC §4's catalogue, as shipped; each can be edited or switched off with the API. */
export const DEFAULT_PROMISE_POLICIES: readonly PromisePolicy[] = [
  {
    policyId: 'same-day-delivery',
    kind: 'delivery',
    startsOn: 'OrderPaid',
    fulfilledBy: 'OrderDelivered',
    deadline: { cutoff: '12:00', dueAt: '18:00' },
    eligible: { categories: ['fresh-food', 'medicine'] },
    compensation: { coupon: cny(20) },
    capPerOrder: cny(100),
    active: true,
  },
  {
    policyId: 'dispatch-24h',
    kind: 'dispatch',
    startsOn: 'OrderPaid',
    fulfilledBy: 'ShipmentDispatched',
    deadline: { afterSeconds: 24 * 3600 },
    eligible: {},
    compensation: { coupon: cny(5) },
    capPerOrder: cny(100),
    active: true,
  },
  {
    policyId: 'next-day-delivery',
    kind: 'delivery',
    startsOn: 'OrderPaid',
    fulfilledBy: 'OrderDelivered',
    deadline: { cutoff: '23:59', dueAt: '23:59', days: 1 },
    eligible: { regions: ['Shanghai', 'Jiangsu', 'Zhejiang', 'Beijing', 'Guangdong'] },
    compensation: { coupon: cny(10) },
    capPerOrder: cny(100),
    active: true,
  },
  {
    policyId: 'presale-ship-by',
    kind: 'ship-by',
    startsOn: 'PresaleFulfilmentPromised',
    fulfilledBy: 'ShipmentDispatched',
    deadline: { field: 'shipBy' },
    eligible: {},
    compensation: {
      tiers: [
        { lateSeconds: 0, coupon: cny(50) },
        { lateSeconds: 7 * 86_400, coupon: cny(100) },
      ],
    },
    capPerOrder: cny(100),
    active: true,
  },
  {
    policyId: 'ticket-first-response',
    kind: 'first-response',
    startsOn: 'TicketOpened',
    fulfilledBy: 'TicketResponded',
    deadline: { afterSeconds: 2 * 3600 },
    eligible: {},
    compensation: { coupon: cny(5) },
    capPerOrder: cny(100),
    active: true,
  },
  {
    policyId: 'ticket-resolution',
    kind: 'resolution',
    startsOn: 'TicketOpened',
    fulfilledBy: 'TicketResolved',
    deadline: { afterSeconds: 24 * 3600 },
    eligible: {},
    compensation: { coupon: cny(10) },
    capPerOrder: cny(100),
    active: true,
  },
  {
    policyId: 'installation-48h',
    kind: 'installation',
    startsOn: 'OrderDelivered',
    fulfilledBy: 'InstallationCompleted',
    deadline: { afterSeconds: 48 * 3600 },
    eligible: { categories: ['furniture', 'appliances'] },
    compensation: { coupon: cny(30) },
    capPerOrder: cny(100),
    active: true,
  },
];

const time = z
  .string('must be a store time such as 12:00')
  .check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a store time such as 12:00'));
const bps = z
  .int('must be whole basis points')
  .check(z.minimum(1, 'must be at least 1'), z.maximum(10_000, 'must be at most 10000 (100%)'));
const seconds = z
  .int('must be a whole number of seconds')
  .check(z.minimum(1, 'must be at least 1 second'), z.maximum(366 * 86_400, 'must be at most a year'));
const detailType = (label: string) =>
  z
    .string('must be an event detail type')
    .check(
      z.refine(
        (v) => isPromiseEvent(v),
        `must be one of ${Object.keys(PROMISE_EVENTS).join(', ')} (${label})`,
      ),
    );

/**
 * One of several object forms, told apart by their keys (the first form one of whose keys the
 * value has). A union would only say that no form matched when a value has the wrong type
 * (`deadline: must be { afterSeconds }, ...` for `{ afterSeconds: 1.5 }`); this reports the chosen
 * form's own errors on their fields (`deadline.afterSeconds: must be a whole number of seconds`).
 */
function oneOf<T>(
  forms: ReadonlyArray<readonly [keys: readonly string[], schema: z.ZodMiniType<T>]>,
  message: string,
) {
  return z.pipe(
    z.unknown(),
    z.transform((value: unknown, ctx): T => {
      const form =
        typeof value === 'object' && value !== null && !Array.isArray(value)
          ? forms.find(([keys]) => keys.some((k) => Object.hasOwn(value, k)))
          : undefined;
      if (!form) {
        ctx.issues.push({ code: 'custom', message, input: value });
        return z.NEVER;
      }
      const result = form[1].safeParse(value);
      if (result.success) return result.data;
      for (const issue of result.error.issues) {
        ctx.issues.push({ code: 'custom', message: issue.message, path: issue.path, input: value });
      }
      return z.NEVER;
    }),
  );
}

const lateSeconds = z.int().check(z.nonnegative('must not be negative'));
type Tier = Extract<Compensation, { tiers: unknown }>['tiers'][number];
const TierSchema = oneOf<Tier>(
  [
    [['coupon'], z.strictObject({ lateSeconds, coupon: PositiveMoneySchema })],
    [['refundBps'], z.strictObject({ lateSeconds, refundBps: bps })],
  ],
  'must be { lateSeconds, coupon } or { lateSeconds, refundBps }',
);

const PolicyBodySchema = z.strictObject({
  policyId: z.optional(z.unknown()),
  version: z.optional(z.unknown()),
  updatedAt: z.optional(z.unknown()),
  kind: idSchema(64),
  startsOn: detailType('the start event'),
  fulfilledBy: detailType('the fulfilling event'),
  deadline: oneOf<Deadline>(
    [
      [['afterSeconds'], z.strictObject({ afterSeconds: seconds })],
      [
        ['cutoff', 'dueAt', 'days'],
        z.strictObject({
          cutoff: time,
          dueAt: time,
          days: z.optional(
            z.int().check(z.nonnegative('must not be negative'), z.maximum(30, 'must be at most 30')),
          ),
        }),
      ],
      [['field'], z.strictObject({ field: z.string().check(z.minLength(1), z.maxLength(64)) })],
    ],
    'must be { afterSeconds }, { cutoff, dueAt } or { field }',
  ),
  eligible: z._default(
    z.strictObject({
      categories: z.optional(z.array(idSchema(64)).check(z.minLength(1, 'must name at least one category'))),
      regions: z.optional(z.array(idSchema(64)).check(z.minLength(1, 'must name at least one region'))),
    }),
    {},
  ),
  compensation: oneOf<Compensation>(
    [
      [['coupon'], z.strictObject({ coupon: PositiveMoneySchema })],
      [['refundBps'], z.strictObject({ refundBps: bps })],
      [
        ['tiers'],
        z.strictObject({ tiers: z.array(TierSchema).check(z.minLength(1, 'must have at least one tier')) }),
      ],
    ],
    'must be { coupon }, { refundBps } or { tiers }',
  ),
  capPerOrder: NonNegativeMoneySchema,
  active: z._default(z.boolean('must be true or false'), true),
});

/** `PUT /api/promise-policies/{policyId}` → the policy; 400 naming each failing field. */
export function parsePromisePolicy(policyId: unknown, body: unknown): PromisePolicy {
  const id = parseId(policyId, 'policyId', 64);
  const p = parseOrThrow(PolicyBodySchema, body);
  const issues: Array<{ field: string; reason: string }> = [];
  if (p.policyId !== undefined && p.policyId !== id) {
    issues.push({ field: 'policyId', reason: `must match the policy id in the path ("${id}")` });
  }
  if (p.startsOn === p.fulfilledBy) {
    issues.push({ field: 'fulfilledBy', reason: 'must differ from startsOn' });
  }
  if (
    'field' in p.deadline &&
    p.deadline.field !== PROMISE_EVENTS[p.startsOn as PromiseEvent] &&
    p.deadline.field !== 'shipBy'
  ) {
    const allowed = p.startsOn === 'PresaleFulfilmentPromised' ? 'shipBy' : 'none';
    issues.push({ field: 'deadline.field', reason: `must be a date field of ${p.startsOn} (${allowed})` });
  }
  if ('field' in p.deadline && p.deadline.field === 'shipBy' && p.startsOn !== 'PresaleFulfilmentPromised') {
    issues.push({
      field: 'deadline.field',
      reason: `${p.startsOn} has no shipBy; only PresaleFulfilmentPromised does`,
    });
  }
  if ('tiers' in p.compensation) {
    const late = p.compensation.tiers.map((t) => t.lateSeconds);
    late.forEach((s, i) => {
      if (i > 0 && s <= late[i - 1]!)
        issues.push({
          field: `compensation.tiers.${i}.lateSeconds`,
          reason: 'must be greater than the tier before',
        });
    });
  }
  const currencies = new Set([
    p.capPerOrder.currency,
    ...('coupon' in p.compensation ? [p.compensation.coupon.currency] : []),
    ...('tiers' in p.compensation
      ? p.compensation.tiers.flatMap((t) => ('coupon' in t ? [t.coupon.currency] : []))
      : []),
  ]);
  if (currencies.size > 1)
    issues.push({ field: 'capPerOrder.currency', reason: 'must be the currency of the coupons' });
  if (issues.length) throw new ValidationError(issues);
  return {
    policyId: id,
    kind: p.kind,
    startsOn: p.startsOn as PromiseEvent,
    fulfilledBy: p.fulfilledBy as PromiseEvent,
    deadline: p.deadline as Deadline,
    eligible: p.eligible,
    compensation: p.compensation as Compensation,
    capPerOrder: p.capPerOrder,
    active: p.active,
  };
}

export { isDetailType, isTimeZone };
