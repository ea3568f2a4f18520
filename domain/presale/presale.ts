import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { type Money, MoneySchema, toDecimalString } from '../shared/money.ts';
import { idSchema } from '../shared/schemas.ts';
import { toFieldIssues } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { HOUR_MS, InstantSchema, toMs, toUtcIso, type Window, WindowSchema } from './instants.ts';

/**
 * A presale (SPEC §2, 定金膨胀): per SKU, a list price, a deposit that is worth more than it costs
 * ("pay 500, get 1000 off"), a deposit window, a balance window after it, a ship-by promise counted
 * from the balance payment, a quota of units and what happens to the deposit when the order is
 * forfeited or cancelled. Money is integer minor units (SPEC §0); instants are ISO-8601 UTC.
 */
export interface Presale {
  readonly presaleId: string;
  readonly sku: string;
  readonly listPrice: Money;
  /** What the customer pays up front. */
  readonly deposit: Money;
  /** What the deposit is worth against the list price at the balance payment; ≥ deposit. */
  readonly depositValue: Money;
  readonly depositWindow: Window;
  readonly balanceWindow: Window;
  /** The ship-by promise: within this many days of the balance payment. */
  readonly shipWithinDays: number;
  /** Units on offer; one unit is taken per accepted deposit. */
  readonly quota: number;
  /** What happens to the deposit of a forfeited or cancelled order. */
  readonly forfeitPolicy: ForfeitPolicy;
}

export const FORFEIT_POLICIES = ['keep', 'refund'] as const;
export type ForfeitPolicy = (typeof FORFEIT_POLICIES)[number];

/** SPEC §2 defaults; SPEC's preamble makes every number a store-configurable default. */
export interface PresaleDefaults {
  readonly deposit: Money;
  readonly depositValue: Money;
  /** Length of the balance window when the body gives no `balanceWindow.end`. */
  readonly balanceWindowHours: number;
  readonly shipWithinDays: number;
  readonly forfeitPolicy: ForfeitPolicy;
}

export const PRESALE_DEFAULTS: PresaleDefaults = {
  deposit: { amount: 50_000, currency: 'CNY' },
  depositValue: { amount: 100_000, currency: 'CNY' },
  balanceWindowHours: 72,
  shipWithinDays: 30,
  forfeitPolicy: 'keep',
};

/** Ten years: far beyond any made-to-order lead time, and keeps `shipBy` a valid date. */
export const MAX_SHIP_WITHIN_DAYS = 3650;

export const PresaleIdSchema = idSchema(200);
const SkuSchema = idSchema(200);
/**
 * The most units one presale offers: each order holding a unit is a member of the presale item's
 * holder set (decision 16), which must stay far below DynamoDB's 400 KB item limit.
 */
export const MAX_QUOTA = 10_000;
const QuotaSchema = z
  .int('must be a whole number of units')
  .check(z.nonnegative('must not be negative'), z.maximum(MAX_QUOTA, `must be at most ${MAX_QUOTA} units`));
const ShipWithinDaysSchema = z
  .int('must be a whole number of days')
  .check(
    z.minimum(1, 'must be at least 1 day'),
    z.maximum(MAX_SHIP_WITHIN_DAYS, `must be at most ${MAX_SHIP_WITHIN_DAYS} days`),
  );
const ForfeitPolicySchema = z.enum(FORFEIT_POLICIES, 'must be "keep" or "refund"');

/** The fields a body may leave out (or send as null) to take the store's defaults. */
type Defaulted = 'deposit' | 'depositValue' | 'balanceWindow.start' | 'balanceWindow.end';

const formatMoney = (m: Money) => `${toDecimalString(m)} ${m.currency}`;

/**
 * Every business rule of a presale (SPEC §2 and issue #5), as field-named issues; empty when the
 * presale is valid. `defaulted` names the fields the store's defaults filled in, so that an error
 * about one of them says so.
 */
export function presaleRuleIssues(p: Presale, defaulted: ReadonlySet<Defaulted> = new Set()): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const push = (field: string, reason: string) => issues.push({ field, reason });
  const dflt = (field: Defaulted) => (defaulted.has(field) ? ' (the store default)' : '');

  // Money: one currency, positive amounts, a deposit worth at least what it costs (SPEC §2).
  const currency = p.listPrice.currency;
  if (p.listPrice.amount <= 0) push('listPrice.amount', 'must be greater than zero');
  const depositSameCurrency = p.deposit.currency === currency;
  const valueSameCurrency = p.depositValue.currency === currency;
  if (!depositSameCurrency) {
    push(
      'deposit.currency',
      `must be ${currency}, the currency of listPrice; got ${p.deposit.currency}${dflt('deposit')}`,
    );
  }
  if (!valueSameCurrency) {
    push(
      'depositValue.currency',
      `must be ${currency}, the currency of listPrice; got ${p.depositValue.currency}${dflt('depositValue')}`,
    );
  }
  if (p.deposit.amount <= 0) push('deposit.amount', 'must be greater than zero');
  if (depositSameCurrency && p.listPrice.amount > 0 && p.deposit.amount > p.listPrice.amount) {
    push(
      'deposit',
      `must not exceed listPrice (${formatMoney(p.listPrice)}); got ${formatMoney(p.deposit)}${dflt('deposit')}`,
    );
  }
  if (p.deposit.currency === p.depositValue.currency && p.depositValue.amount < p.deposit.amount) {
    push(
      'depositValue',
      `must be at least the deposit (${formatMoney(p.deposit)}${defaulted.has('deposit') ? ', the store default' : ''}); got ${formatMoney(p.depositValue)}${dflt('depositValue')}`,
    );
  }

  // Windows: each ends after it starts; the balance window opens when or after the deposit window
  // closes, so the two never overlap (SPEC §2).
  const dw = p.depositWindow;
  const bw = p.balanceWindow;
  if (toMs(dw.end) <= toMs(dw.start)) {
    push('depositWindow.end', `must be after depositWindow.start (${dw.start}); got ${dw.end}`);
  }
  if (toMs(bw.start) < toMs(dw.end)) {
    push(
      'balanceWindow.start',
      `must not be before depositWindow.end (${dw.end}): the windows would overlap; got ${bw.start}${dflt('balanceWindow.start')}`,
    );
  }
  if (toMs(bw.end) <= toMs(bw.start)) {
    push(
      'balanceWindow.end',
      `must be after balanceWindow.start (${bw.start}); got ${bw.end}${dflt('balanceWindow.end')}`,
    );
  }
  return issues;
}

/**
 * The stored presale: every field present, every rule holding. For adapters reading an item back;
 * the API uses {@link parsePresale}.
 */
export const PresaleSchema = z.pipe(
  z.object({
    presaleId: PresaleIdSchema,
    sku: SkuSchema,
    listPrice: MoneySchema,
    deposit: MoneySchema,
    depositValue: MoneySchema,
    depositWindow: WindowSchema,
    balanceWindow: WindowSchema,
    shipWithinDays: ShipWithinDaysSchema,
    quota: QuotaSchema,
    forfeitPolicy: ForfeitPolicySchema,
  }),
  z.transform((presale: Presale, ctx) => {
    for (const issue of presaleRuleIssues(presale)) {
      ctx.issues.push({
        code: 'custom',
        message: issue.reason,
        path: issue.field.split('.'),
        input: presale,
      });
    }
    return presale;
  }),
);

/**
 * The body of `PUT /api/presales/{presaleId}` (issue #5), with the store's defaults for what it
 * leaves out (SPEC §2): deposit 500 CNY, deposit value 1000 CNY, a balance window opening when the
 * deposit window closes and lasting 72 h, ship within 30 days, deposit kept on forfeit. Unknown
 * fields are refused so that a misspelt `depositValue` cannot silently become the default;
 * `presaleId` (checked against the path by {@link parsePresale}) and the read-only `quotaLeft` of a
 * GET are accepted so that a GET body can be edited and PUT back.
 */
export function presaleBodySchema(defaults: PresaleDefaults = PRESALE_DEFAULTS) {
  return z.pipe(
    z.strictObject({
      presaleId: z.optional(z.string()),
      quotaLeft: z.optional(z.unknown()),
      sku: SkuSchema,
      listPrice: MoneySchema,
      depositWindow: z.strictObject({ start: InstantSchema, end: InstantSchema }),
      quota: QuotaSchema,
      deposit: z.nullish(MoneySchema),
      depositValue: z.nullish(MoneySchema),
      balanceWindow: z.nullish(
        z.strictObject({ start: z.nullish(InstantSchema), end: z.nullish(InstantSchema) }),
      ),
      shipWithinDays: z.nullish(ShipWithinDaysSchema),
      forfeitPolicy: z.nullish(ForfeitPolicySchema),
    }),
    z.transform((body, ctx): Omit<Presale, 'presaleId'> => {
      const defaulted = new Set<Defaulted>();
      const orDefault = <T>(value: T | null | undefined, field: Defaulted, fallback: () => T): T => {
        if (value !== null && value !== undefined) return value;
        defaulted.add(field);
        return fallback();
      };
      const balanceStart = orDefault(
        body.balanceWindow?.start,
        'balanceWindow.start',
        () => body.depositWindow.end,
      );
      const presale: Presale = {
        presaleId: body.presaleId ?? '',
        sku: body.sku,
        listPrice: body.listPrice,
        deposit: orDefault(body.deposit, 'deposit', () => ({ ...defaults.deposit })),
        depositValue: orDefault(body.depositValue, 'depositValue', () => ({ ...defaults.depositValue })),
        depositWindow: body.depositWindow,
        balanceWindow: {
          start: balanceStart,
          end: orDefault(body.balanceWindow?.end, 'balanceWindow.end', () =>
            toUtcIso(new Date(toMs(balanceStart) + defaults.balanceWindowHours * HOUR_MS)),
          ),
        },
        shipWithinDays: body.shipWithinDays ?? defaults.shipWithinDays,
        quota: body.quota,
        forfeitPolicy: body.forfeitPolicy ?? defaults.forfeitPolicy,
      };
      for (const issue of presaleRuleIssues(presale, defaulted)) {
        ctx.issues.push({ code: 'custom', message: issue.reason, path: issue.field.split('.'), input: body });
      }
      const { presaleId: _ignored, ...rest } = presale;
      return rest;
    }),
  );
}

const defaultBodySchema = presaleBodySchema(PRESALE_DEFAULTS);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Zod issues as field issues, an unknown key named as the field it is. */
function bodyIssues(error: z.core.$ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const prefix = issue.path.map(String).join('.');
      for (const key of issue.keys) {
        issues.push({ field: prefix ? `${prefix}.${key}` : key, reason: 'is not a presale field' });
      }
    } else {
      issues.push({ field: issue.path.map(String).join('.') || '(body)', reason: issue.message });
    }
  }
  return issues;
}

/**
 * Validates `PUT /api/presales/{presaleId}`: the path's id and the body, defaults applied, every
 * rule checked. Throws a ValidationError naming each failing field (`depositValue`,
 * `balanceWindow.start`, ...).
 */
export function parsePresale(
  presaleId: unknown,
  body: unknown,
  defaults: PresaleDefaults = PRESALE_DEFAULTS,
): Presale {
  const issues: FieldIssue[] = [];
  const id = PresaleIdSchema.safeParse(presaleId);
  if (!id.success) issues.push(...toFieldIssues(id.error, 'presaleId'));
  if (id.success && isRecord(body) && body.presaleId !== undefined && body.presaleId !== id.data) {
    issues.push({
      field: 'presaleId',
      reason: `must match the presale id in the path ("${id.data}"); got ${JSON.stringify(body.presaleId)}`,
    });
  }
  const schema = defaults === PRESALE_DEFAULTS ? defaultBodySchema : presaleBodySchema(defaults);
  const parsed = schema.safeParse(body);
  if (!parsed.success) issues.push(...bodyIssues(parsed.error));
  if (!id.success || !parsed.success || issues.length > 0) throw new ValidationError(issues);
  return { presaleId: id.data, ...parsed.data };
}

/**
 * The rules of an update that depend on what already happened (issue #5): the quota cannot go
 * below the units already taken by deposits, and once a deposit was taken the presale's SKU is
 * fixed (its orders, quota and timeline are about that SKU). Terms may change freely: orders keep
 * the terms snapshotted at their deposit (SPEC §0).
 */
export function validatePresaleUpdate(
  existing: Presale | undefined,
  next: Presale,
  unitsTaken: number,
): void {
  assertUnits(unitsTaken, 'unitsTaken');
  const issues: FieldIssue[] = [];
  if (next.quota < unitsTaken) {
    issues.push({
      field: 'quota',
      reason: `must not be below the ${unitsTaken} unit(s) already taken by deposits; got ${next.quota}`,
    });
  }
  if (existing && unitsTaken > 0 && existing.sku !== next.sku) {
    issues.push({
      field: 'sku',
      reason: `cannot change from "${existing.sku}" once deposits were taken (${unitsTaken} unit(s))`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

// ---- Quota -----------------------------------------------------------------------------------

/** A presale's quota and the units currently held by deposits (returned units are not held). */
export interface QuotaCount {
  readonly quota: number;
  readonly taken: number;
}

function assertUnits(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${name} must be a non-negative integer, got ${n}`);
}

/** Units still available: never below zero, even if the quota was lowered under a race. */
export function quotaLeft(presale: Pick<Presale, 'quota'>, unitsTaken: number): number {
  return Math.max(0, presale.quota - Math.max(0, unitsTaken));
}

export type TakeUnitResult =
  | { readonly ok: true; readonly count: QuotaCount }
  | { readonly ok: false; readonly reason: 'PresaleSoldOut' };

/**
 * Takes one unit for a deposit, or refuses when none is left (SPEC §2: never oversell). The
 * adapter does the same as one conditional write (`taken < quota`), which is what holds under
 * concurrent deposits; this is the rule it implements.
 */
export function takeUnit(count: QuotaCount): TakeUnitResult {
  if (quotaLeft(count, count.taken) <= 0) return { ok: false, reason: 'PresaleSoldOut' };
  return { ok: true, count: { quota: count.quota, taken: count.taken + 1 } };
}

/**
 * Returns the unit of a forfeited or cancelled order (SPEC §2). Never below zero: returning with
 * nothing taken is a no-op (the adapter's conditional write is `taken > 0`, and a workflow step
 * returns a given order's unit once).
 */
export function returnUnit(count: QuotaCount): QuotaCount {
  return { quota: count.quota, taken: Math.max(0, count.taken - 1) };
}

/** What `GET /api/presales/{presaleId}` returns: the presale and the units left. */
export interface PresaleView extends Presale {
  readonly quotaLeft: number;
}

export function presaleView(presale: Presale, unitsTaken: number): PresaleView {
  return { ...presale, quotaLeft: quotaLeft(presale, unitsTaken) };
}
