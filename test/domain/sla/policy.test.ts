import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '#domain/shared/errors';
import { DEFAULT_PROMISE_POLICIES, PROMISE_EVENTS, parsePromisePolicy } from '#domain/sla/policy';
import { cny, tierSteps, yuan } from './arbitraries.ts';

/** The issues of a refused body (fails the test when the body is accepted or fails otherwise). */
function issuesOf(body: unknown, policyId: unknown = 'p1') {
  try {
    parsePromisePolicy(policyId, body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

/** The issue contract's example: same-day delivery. */
const body = (overrides: Record<string, unknown> = {}) => ({
  kind: 'delivery',
  startsOn: 'OrderPaid',
  fulfilledBy: 'OrderDelivered',
  deadline: { cutoff: '12:00', dueAt: '18:00' },
  eligible: { categories: ['fresh-food', 'medicine'] },
  compensation: { coupon: yuan(20) },
  capPerOrder: yuan(100),
  active: true,
  ...overrides,
});

describe('parsePromisePolicy: the contract shape (issue #12)', () => {
  it('accepts the contract body and returns the policy under the path id', () => {
    expect(parsePromisePolicy('same-day-delivery', body())).toEqual({
      policyId: 'same-day-delivery',
      ...body(),
    });
  });

  it('each deadline form and each compensation form', () => {
    for (const deadline of [
      { afterSeconds: 7_200 },
      { cutoff: '23:59', dueAt: '23:59', days: 1 },
      { cutoff: '00:01', dueAt: '00:00', days: 0 },
    ]) {
      expect(parsePromisePolicy('p1', body({ deadline })).deadline).toEqual(deadline);
    }
    expect(
      parsePromisePolicy(
        'p1',
        body({
          startsOn: 'PresaleFulfilmentPromised',
          fulfilledBy: 'ShipmentDispatched',
          deadline: { field: 'shipBy' },
        }),
      ).deadline,
    ).toEqual({ field: 'shipBy' });
    for (const compensation of [
      { coupon: cny(1) },
      { refundBps: 1 },
      { refundBps: 10_000 },
      {
        tiers: [
          { lateSeconds: 0, coupon: yuan(50) },
          { lateSeconds: 3_600, refundBps: 500 },
        ],
      },
    ]) {
      expect(parsePromisePolicy('p1', body({ compensation })).compensation).toEqual(compensation);
    }
  });

  it('eligible defaults to {} (everyone) and active to true; a body may repeat its own id', () => {
    const { eligible: _e, active: _a, ...rest } = body();
    const parsed = parsePromisePolicy('p1', rest);
    expect(parsed.eligible).toEqual({});
    expect(parsed.active).toBe(true);
    expect(parsePromisePolicy('p1', body({ active: false })).active).toBe(false);
    // what GET returns can be PUT back: policyId, version and updatedAt are ignored
    expect(parsePromisePolicy('p1', { ...body(), policyId: 'p1', version: 3, updatedAt: 'x' })).toEqual({
      policyId: 'p1',
      ...body(),
    });
  });

  it('every shipped default parses back to itself', () => {
    for (const { policyId, ...rest } of DEFAULT_PROMISE_POLICIES) {
      expect(parsePromisePolicy(policyId, rest)).toEqual({ policyId, ...rest });
    }
  });

  it('the shipped catalogue is SPEC §4', () => {
    const byId = Object.fromEntries(DEFAULT_PROMISE_POLICIES.map((p) => [p.policyId, p]));
    expect(Object.keys(byId).sort()).toEqual([
      'dispatch-24h',
      'installation-48h',
      'next-day-delivery',
      'presale-ship-by',
      'same-day-delivery',
      'ticket-first-response',
      'ticket-resolution',
    ]);
    expect(byId['same-day-delivery']).toMatchObject({
      deadline: { cutoff: '12:00', dueAt: '18:00' },
      eligible: { categories: ['fresh-food', 'medicine'] },
    });
    expect(byId['dispatch-24h']!.deadline).toEqual({ afterSeconds: 86_400 });
    expect(byId['ticket-first-response']!.deadline).toEqual({ afterSeconds: 7_200 });
    expect(byId['ticket-resolution']!.deadline).toEqual({ afterSeconds: 86_400 });
    expect(byId['installation-48h']).toMatchObject({
      startsOn: 'OrderDelivered',
      fulfilledBy: 'InstallationCompleted',
      deadline: { afterSeconds: 172_800 },
    });
    expect(byId['presale-ship-by']).toMatchObject({
      startsOn: 'PresaleFulfilmentPromised',
      deadline: { field: 'shipBy' },
    });
  });

  it('property: ascending tiers are accepted as given', () => {
    fc.assert(
      fc.property(tierSteps, (tiers) => {
        expect(parsePromisePolicy('p1', body({ compensation: { tiers } })).compensation).toEqual({ tiers });
      }),
    );
  });
});

describe('parsePromisePolicy: errors name the field and the reason', () => {
  it('store times: 24:00, 12:60, 9:00 and 12:00:00 are refused on the field', () => {
    for (const cutoff of ['24:00', '12:60', '9:00', '12:00:00']) {
      expect(issuesOf(body({ deadline: { cutoff, dueAt: '18:00' } }))).toEqual([
        { field: 'deadline.cutoff', reason: 'must be a store time such as 12:00' },
      ]);
    }
    expect(issuesOf(body({ deadline: { cutoff: '12:00', dueAt: '24:00' } }))).toEqual([
      { field: 'deadline.dueAt', reason: 'must be a store time such as 12:00' },
    ]);
    expect(issuesOf(body({ deadline: { cutoff: '12:00', dueAt: '18:00', days: 31 } }))).toEqual([
      { field: 'deadline.days', reason: 'must be at most 30' },
    ]);
  });

  it('afterSeconds: at least 1 second, at most a year, whole', () => {
    expect(issuesOf(body({ deadline: { afterSeconds: 0 } }))).toEqual([
      { field: 'deadline.afterSeconds', reason: 'must be at least 1 second' },
    ]);
    expect(issuesOf(body({ deadline: { afterSeconds: 366 * 86_400 + 1 } }))).toEqual([
      { field: 'deadline.afterSeconds', reason: 'must be at most a year' },
    ]);
  });

  it('a deadline of no known form, or with an extra key', () => {
    expect(issuesOf(body({ deadline: { within: 3 } }))).toEqual([
      { field: 'deadline', reason: 'must be { afterSeconds }, { cutoff, dueAt } or { field }' },
    ]);
    const extra = issuesOf(body({ deadline: { cutoff: '12:00', dueAt: '18:00', extra: 1 } }));
    expect(extra).toHaveLength(1);
    expect(extra[0]!.field).toBe('deadline');
    expect(extra[0]!.reason).toContain('"extra"');
  });

  it('refundBps 0 and 10001 are refused; 1 and 10000 accepted', () => {
    expect(issuesOf(body({ compensation: { refundBps: 0 } }))).toEqual([
      { field: 'compensation.refundBps', reason: 'must be at least 1' },
    ]);
    expect(issuesOf(body({ compensation: { refundBps: 10_001 } }))).toEqual([
      { field: 'compensation.refundBps', reason: 'must be at most 10000 (100%)' },
    ]);
  });

  it('a coupon of 0 or less, and a negative cap', () => {
    expect(issuesOf(body({ compensation: { coupon: cny(0) } }))).toEqual([
      { field: 'compensation.coupon.amount', reason: 'must be greater than zero' },
    ]);
    expect(issuesOf(body({ capPerOrder: cny(-1) }))).toEqual([
      { field: 'capPerOrder.amount', reason: 'must not be negative' },
    ]);
    expect(issuesOf(body({ capPerOrder: { amount: 1.5, currency: 'CNY' } }))).toEqual([
      { field: 'capPerOrder.amount', reason: 'must be an integer number of minor units' },
    ]);
  });

  it('tiers: at least one, strictly ascending lateness, each a coupon or a refund share', () => {
    expect(issuesOf(body({ compensation: { tiers: [] } }))).toEqual([
      { field: 'compensation.tiers', reason: 'must have at least one tier' },
    ]);
    const tier = (lateSeconds: number) => ({ lateSeconds, coupon: yuan(10) });
    expect(issuesOf(body({ compensation: { tiers: [tier(3_600), tier(0)] } }))).toEqual([
      { field: 'compensation.tiers.1.lateSeconds', reason: 'must be greater than the tier before' },
    ]);
    expect(issuesOf(body({ compensation: { tiers: [tier(0), tier(60), tier(60)] } }))).toEqual([
      { field: 'compensation.tiers.2.lateSeconds', reason: 'must be greater than the tier before' },
    ]);
    expect(issuesOf(body({ compensation: { tiers: [{ lateSeconds: -1, coupon: yuan(1) }] } }))).toEqual([
      { field: 'compensation.tiers.0.lateSeconds', reason: 'must not be negative' },
    ]);
  });

  it('property: tiers that are not strictly ascending are refused at the first step out of order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000 }), { minLength: 2, maxLength: 6 }), (late) => {
        const firstBad = late.findIndex((s, i) => i > 0 && s <= late[i - 1]!);
        const tiers = late.map((lateSeconds) => ({ lateSeconds, coupon: yuan(1) }));
        if (firstBad < 0) {
          expect(parsePromisePolicy('p1', body({ compensation: { tiers } })).compensation).toEqual({ tiers });
        } else {
          expect(issuesOf(body({ compensation: { tiers } }))[0]).toEqual({
            field: `compensation.tiers.${firstBad}.lateSeconds`,
            reason: 'must be greater than the tier before',
          });
        }
      }),
    );
  });

  it('a coupon in another currency than the cap', () => {
    expect(issuesOf(body({ compensation: { coupon: { amount: 500, currency: 'USD' } } }))).toEqual([
      { field: 'capPerOrder.currency', reason: 'must be the currency of the coupons' },
    ]);
    expect(
      issuesOf(
        body({
          compensation: {
            tiers: [
              { lateSeconds: 0, coupon: yuan(1) },
              { lateSeconds: 60, coupon: { amount: 500, currency: 'USD' } },
            ],
          },
        }),
      ),
    ).toEqual([{ field: 'capPerOrder.currency', reason: 'must be the currency of the coupons' }]);
    expect(issuesOf(body({ capPerOrder: { amount: 100, currency: 'XXY' } }))[0]!.field).toBe(
      'capPerOrder.currency',
    );
  });

  it('start and fulfilling events: only the promise events, and not the same one', () => {
    const known = Object.keys(PROMISE_EVENTS).join(', ');
    expect(issuesOf(body({ startsOn: 'OrderShipped' }))).toEqual([
      { field: 'startsOn', reason: `must be one of ${known} (the start event)` },
    ]);
    // a real detail type, but no promise can end on it
    expect(issuesOf(body({ fulfilledBy: 'PriceChanged' }))).toEqual([
      { field: 'fulfilledBy', reason: `must be one of ${known} (the fulfilling event)` },
    ]);
    expect(issuesOf(body({ fulfilledBy: 'OrderPaid' }))).toEqual([
      { field: 'fulfilledBy', reason: 'must differ from startsOn' },
    ]);
  });

  it('a field deadline must be a date the start event carries', () => {
    expect(issuesOf(body({ deadline: { field: 'shipBy' } }))).toEqual([
      { field: 'deadline.field', reason: 'OrderPaid has no shipBy; only PresaleFulfilmentPromised does' },
    ]);
    expect(issuesOf(body({ deadline: { field: 'deliverBy' } }))[0]!.field).toBe('deadline.field');
    expect(
      issuesOf(
        body({
          startsOn: 'PresaleFulfilmentPromised',
          fulfilledBy: 'ShipmentDispatched',
          deadline: { field: 'dueBy' },
        }),
      ),
    ).toEqual([
      { field: 'deadline.field', reason: 'must be a date field of PresaleFulfilmentPromised (shipBy)' },
    ]);
  });

  it('extra fields are refused, naming the key', () => {
    const issues = issuesOf(body({ maxPerDay: 3 }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.reason).toContain('"maxPerDay"');
    expect(issuesOf(body({ eligible: { categories: ['x'], channels: ['app'] } }))[0]!.reason).toContain(
      '"channels"',
    );
  });

  it('eligible lists must not be empty; kind must be an id', () => {
    expect(issuesOf(body({ eligible: { regions: [] } }))).toEqual([
      { field: 'eligible.regions', reason: 'must name at least one region' },
    ]);
    expect(issuesOf(body({ eligible: { categories: [] } }))).toEqual([
      { field: 'eligible.categories', reason: 'must name at least one category' },
    ]);
    expect(issuesOf(body({ kind: '' }))).toEqual([{ field: 'kind', reason: 'must not be empty' }]);
  });

  it('the path id: validated, and a body naming another id is refused', () => {
    expect(issuesOf(body(), '')).toEqual([{ field: 'policyId', reason: 'must not be empty' }]);
    expect(issuesOf(body(), 'x'.repeat(65))[0]!.field).toBe('policyId');
    expect(issuesOf({ ...body(), policyId: 'other' })).toEqual([
      { field: 'policyId', reason: 'must match the policy id in the path ("p1")' },
    ]);
  });

  it('several problems at once are all named', () => {
    const fields = issuesOf(
      body({ deadline: { cutoff: '25:00', dueAt: '18:00' }, compensation: { refundBps: 0 }, active: 'yes' }),
    ).map((i) => i.field);
    expect(fields).toEqual(expect.arrayContaining(['deadline.cutoff', 'compensation.refundBps', 'active']));
  });
});

describe('parsePromisePolicy: a wrong type inside a deadline or compensation form names the inner field', () => {
  it('the form is told by its keys, and its own error is reported on the inner field', () => {
    expect(issuesOf(body({ deadline: { cutoff: 12, dueAt: '18:00' } }))).toEqual([
      { field: 'deadline.cutoff', reason: 'must be a store time such as 12:00' },
    ]);
    expect(issuesOf(body({ deadline: { cutoff: '12:00' } }))).toEqual([
      { field: 'deadline.dueAt', reason: 'must be a store time such as 12:00' },
    ]);
    expect(issuesOf(body({ deadline: { afterSeconds: 1.5 } }))).toEqual([
      { field: 'deadline.afterSeconds', reason: 'must be a whole number of seconds' },
    ]);
    expect(issuesOf(body({ deadline: { afterSeconds: '7200' } }))).toEqual([
      { field: 'deadline.afterSeconds', reason: 'must be a whole number of seconds' },
    ]);
    expect(issuesOf(body({ compensation: { refundBps: 12.5 } }))).toEqual([
      { field: 'compensation.refundBps', reason: 'must be whole basis points' },
    ]);
    expect(issuesOf(body({ compensation: { coupon: 2000 } }))[0]!.field).toBe('compensation.coupon');
    expect(issuesOf(body({ compensation: { tiers: [{ lateSeconds: 0 }] } }))).toEqual([
      {
        field: 'compensation.tiers.0',
        reason: 'must be { lateSeconds, coupon } or { lateSeconds, refundBps }',
      },
    ]);
    expect(issuesOf(body({ compensation: { tiers: [{ lateSeconds: 0, refundBps: 0.5 }] } }))).toEqual([
      { field: 'compensation.tiers.0.refundBps', reason: 'must be whole basis points' },
    ]);
    expect(issuesOf(body({ compensation: { tiers: 'none' } }))[0]!.field).toBe('compensation.tiers');
  });

  it('no known form, two forms at once, or not an object: the choice is named on the object', () => {
    for (const deadline of [{}, { within: 3 }, 'tomorrow', null]) {
      expect(issuesOf(body({ deadline }))).toEqual([
        { field: 'deadline', reason: 'must be { afterSeconds }, { cutoff, dueAt } or { field }' },
      ]);
    }
    expect(issuesOf(body({ compensation: { voucher: 1 } }))).toEqual([
      { field: 'compensation', reason: 'must be { coupon }, { refundBps } or { tiers }' },
    ]);
    const both = issuesOf(body({ deadline: { afterSeconds: 60, field: 'paidAt' } }));
    expect(both).toHaveLength(1);
    expect(both[0]!.field).toBe('deadline');
    expect(both[0]!.reason).toContain('"field"');
    expect(issuesOf(body({ compensation: { coupon: yuan(1), refundBps: 10 } }))[0]!.reason).toContain(
      '"refundBps"',
    );
  });
});
