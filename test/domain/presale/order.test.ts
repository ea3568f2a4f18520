import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_TRANSITIONS,
  acceptDeposit,
  cancel,
  canTransition,
  decideDeposit,
  decideDepositFor,
  depositOutcome,
  depositRefund,
  forfeit,
  holdsUnit,
  INITIAL_STATUSES,
  isBalanceWindowOpen,
  isDepositWindowOpen,
  isTerminal,
  openBalance,
  PRESALE_ORDER_STATUSES,
  type PresaleOrder,
  PresaleOrderSchema,
  type PresaleOrderStatus,
  PresaleTransitionError,
  payBalance,
  rejectDeposit,
  rejection,
} from '#domain/presale/order';
import { quotaLeft, returnUnit, takeUnit } from '#domain/presale/presale';
import { termsOf } from '#domain/presale/terms';
import { ConflictError } from '#domain/shared/errors';
import { deposit, sofa } from './arbitraries.ts';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const inDepositWindow = '2026-10-25T02:00:00.000Z';
const inBalanceWindow = '2026-11-02T10:00:00.000Z';
const afterBalanceWindow = '2026-11-04T00:00:00.000Z';

function accepted(presale = sofa()): PresaleOrder {
  const decision = decideDeposit(presale, inDepositWindow, quotaLeft(presale, 0), cny(50_000));
  if (decision.kind !== 'accept') throw new Error(decision.message);
  return acceptDeposit(deposit(), decision.terms);
}
const balanceDue = (presale = sofa()) => openBalance(accepted(presale), '2026-11-01T00:00:00Z');

describe('windows', () => {
  const presale = sofa();
  it.each([
    ['2026-10-19T23:59:59.999Z', false],
    ['2026-10-20T00:00:00.000Z', true],
    ['2026-10-31T23:59:59.999Z', true],
    ['2026-11-01T00:00:00.000Z', false],
  ])('deposit window at %s open: %s', (at, open) => {
    expect(isDepositWindowOpen(presale, at)).toBe(open);
  });

  it.each([
    ['2026-10-31T23:59:59.999Z', false],
    ['2026-11-01T00:00:00.000Z', true],
    ['2026-11-04T00:00:00.000Z', false],
  ])('balance window at %s open: %s', (at, open) => {
    expect(isBalanceWindowOpen(termsOf(presale), at)).toBe(open);
  });
});

describe('decideDeposit', () => {
  const presale = sofa();
  it.each([
    ['an unknown presale', undefined, inDepositWindow, 10, cny(50_000), 'PresaleNotFound'],
    ['before the deposit window', presale, '2026-10-19T00:00:00Z', 10, cny(50_000), 'PresaleClosed'],
    ['when the deposit window closes', presale, '2026-11-01T00:00:00Z', 10, cny(50_000), 'PresaleClosed'],
    ['in the balance window', presale, inBalanceWindow, 10, cny(50_000), 'PresaleClosed'],
    ['closed and sold out: closed first', presale, inBalanceWindow, 0, cny(50_000), 'PresaleClosed'],
    ['no quota left', presale, inDepositWindow, 0, cny(50_000), 'PresaleSoldOut'],
    ['a deposit of another amount', presale, inDepositWindow, 10, cny(40_000), 'PresaleDepositMismatch'],
    [
      'a deposit in another currency',
      presale,
      inDepositWindow,
      10,
      { amount: 50_000, currency: 'USD' },
      'PresaleDepositMismatch',
    ],
  ] as const)('rejects %s with %s', (_name, p, at, left, amount, reason) => {
    expect(decideDeposit(p, at, left, amount)).toMatchObject({ kind: 'reject', reason });
  });

  it('accepts the presale deposit inside the window with quota left, snapshotting the terms', () => {
    expect(decideDeposit(presale, '2026-10-20T00:00:00Z', 1, cny(50_000))).toEqual({
      kind: 'accept',
      terms: termsOf(presale),
    });
  });

  it('explains the rejection', () => {
    expect(decideDeposit(presale, '2026-11-01T00:00:00Z', 1, cny(50_000))).toMatchObject({
      message:
        'presale SOFA-2026 is not taking deposits: the deposit window closed at 2026-11-01T00:00:00.000Z; deposit paid at 2026-11-01T00:00:00.000Z',
      terms: termsOf(presale),
    });
    expect(decideDeposit(presale, inDepositWindow, 1, cny(40_000))).toMatchObject({
      message: 'the deposit does not match presale SOFA-2026: the deposit is 500.00 CNY; got 400.00 CNY',
    });
    expect(decideDepositFor(deposit({ presaleId: 'NOPE' }), undefined, 0)).toEqual({
      kind: 'reject',
      reason: 'PresaleNotFound',
      message: 'presale NOPE does not exist',
      terms: null,
    });
    expect(rejection('PresaleSoldOut', presale).message).toBe('presale SOFA-2026 is sold out (quota 100)');
  });

  it('decides from the deposit event: its paidAt and amount', () => {
    expect(decideDepositFor(deposit(), presale, 1).kind).toBe('accept');
    expect(decideDepositFor(deposit({ paidAt: '2026-11-01T00:00:00Z' }), presale, 1)).toMatchObject({
      reason: 'PresaleClosed',
    });
    expect(() => decideDepositFor(deposit({ presaleId: 'OTHER' }), presale, 1)).toThrow(/not the deposit's/);
  });
});

describe('the order life cycle', () => {
  it('records an accepted deposit as DEPOSIT_PAID with its terms and balance due', () => {
    const order = accepted();
    expect(order).toEqual({
      orderId: 'PO-1',
      presaleId: 'SOFA-2026',
      customerId: 'C-42',
      status: 'DEPOSIT_PAID',
      deposit: cny(50_000),
      depositPaidAt: inDepositWindow,
      terms: termsOf(sofa()),
      balanceDue: cny(200_000),
      shipBy: null,
      balancePaidAt: null,
      reason: null,
      message: null,
      cancelReason: null,
      depositOutcome: null,
      statusChangedAt: inDepositWindow,
    });
    expect(PresaleOrderSchema.parse(order)).toEqual(order);
  });

  it('keeps its terms when the presale is edited later', () => {
    const order = accepted();
    sofa({ listPrice: cny(500_000), shipWithinDays: 90 }); // the edit creates a new presale
    const paid = payBalance(openBalance(order, '2026-11-01T00:00:00Z'), {
      amount: cny(200_000),
      paidAt: inBalanceWindow,
    });
    expect(paid.ok && paid.order.shipBy).toBe('2026-12-02T10:00:00.000Z');
  });

  it('DEPOSIT_PAID → BALANCE_DUE → BALANCE_PAID with shipBy = payment + shipWithinDays', () => {
    const due = balanceDue();
    expect(due.status).toBe('BALANCE_DUE');
    expect(due.statusChangedAt).toBe('2026-11-01T00:00:00.000Z');
    const paid = payBalance(due, { amount: cny(200_000), paidAt: '2026-11-02T18:00:00+08:00' });
    expect(paid).toEqual({
      ok: true,
      order: {
        ...due,
        status: 'BALANCE_PAID',
        balancePaidAt: '2026-11-02T10:00:00.000Z',
        shipBy: '2026-12-02T10:00:00.000Z',
        statusChangedAt: '2026-11-02T10:00:00.000Z',
      },
    });
  });

  it('refuses a balance of the wrong amount and leaves the order waiting', () => {
    const due = balanceDue();
    const refused = payBalance(due, { amount: cny(150_000), paidAt: inBalanceWindow });
    expect(refused).toMatchObject({
      ok: false,
      reason: 'WrongAmount',
      message: 'balance due is 2000.00 CNY; got 1500.00 CNY',
    });
    expect(due.status).toBe('BALANCE_DUE');
    expect(payBalance(due, { amount: cny(200_000), paidAt: inBalanceWindow }).ok).toBe(true);
  });

  it('refuses a balance paid after the window closed', () => {
    expect(payBalance(balanceDue(), { amount: cny(200_000), paidAt: afterBalanceWindow })).toMatchObject({
      ok: false,
      reason: 'BalanceWindowClosed',
    });
  });

  it('refuses a balance for an order that is not awaiting one', () => {
    expect(() => payBalance(accepted(), { amount: cny(200_000), paidAt: inBalanceWindow })).toThrow(
      PresaleTransitionError,
    );
    const forfeited = forfeit(balanceDue(), afterBalanceWindow);
    expect(() => payBalance(forfeited, { amount: cny(200_000), paidAt: inBalanceWindow })).toThrow(
      'presale order PO-1 is FORFEITED and cannot become BALANCE_PAID (FORFEITED is final)',
    );
  });

  it.each([
    ['keep', 'kept', null],
    ['refund', 'refunded', cny(50_000)],
  ] as const)('forfeits unpaid at the window end, deposit %s → %s', (policy, outcome, refund) => {
    const order = forfeit(balanceDue(sofa({ forfeitPolicy: policy })), afterBalanceWindow);
    expect(order).toMatchObject({
      status: 'FORFEITED',
      depositOutcome: outcome,
      statusChangedAt: afterBalanceWindow,
    });
    expect(depositRefund(order)).toEqual(refund);
    expect(holdsUnit(order.status)).toBe(false);
  });

  it('cannot forfeit before the balance was announced', () => {
    expect(() => forfeit(accepted(), afterBalanceWindow)).toThrow(PresaleTransitionError);
  });

  it.each([
    ['DEPOSIT_PAID', accepted],
    ['BALANCE_DUE', () => balanceDue()],
  ])('cancels from %s: unit back, deposit per policy', (_status, make) => {
    const order = cancel(make(), 'customer changed their mind', inBalanceWindow);
    expect(order).toMatchObject({
      status: 'CANCELLED',
      cancelReason: 'customer changed their mind',
      depositOutcome: 'kept',
    });
    expect(holdsUnit(order.status)).toBe(false);
  });

  it('refuses to cancel once the balance is paid, as a conflict', () => {
    const paid = payBalance(balanceDue(), { amount: cny(200_000), paidAt: inBalanceWindow });
    if (!paid.ok) throw new Error(paid.message);
    const attempt = () => cancel(paid.order, 'too late', '2026-11-03T00:00:00Z');
    expect(attempt).toThrow(PresaleTransitionError);
    expect(attempt).toThrow(ConflictError);
  });

  it('records a rejected deposit as REJECTED, final, with its reason and the deposit refunded', () => {
    const presale = sofa({ quota: 0 });
    const decision = decideDeposit(presale, inDepositWindow, 0, cny(50_000));
    if (decision.kind !== 'reject') throw new Error('expected a rejection');
    const order = rejectDeposit(deposit(), decision, '2026-10-25T02:00:01Z');
    expect(order).toMatchObject({
      status: 'REJECTED',
      reason: 'PresaleSoldOut',
      message: 'presale SOFA-2026 is sold out (quota 0)',
      balanceDue: null,
      depositOutcome: 'refunded',
      statusChangedAt: '2026-10-25T02:00:01.000Z',
    });
    expect(depositRefund(order)).toEqual(cny(50_000));
    expect(isTerminal('REJECTED')).toBe(true);
    expect(() => openBalance(order, inBalanceWindow)).toThrow(PresaleTransitionError);
    expect(() => cancel(order, 'x', inBalanceWindow)).toThrow(PresaleTransitionError);
    expect(PresaleOrderSchema.parse(order)).toEqual(order);
  });

  it.each([
    ['keep', { outcome: 'kept', refund: null }],
    ['refund', { outcome: 'refunded', refund: cny(50_000) }],
  ] as const)('depositOutcome(%s)', (policy, expected) => {
    expect(depositOutcome(policy, cny(50_000))).toEqual(expected);
  });

  it('has exactly the allowed edges of the issue', () => {
    const edges = PRESALE_ORDER_STATUSES.flatMap((from) =>
      PRESALE_ORDER_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`),
    );
    expect(edges.sort()).toEqual(
      [
        'DEPOSIT_PAID→BALANCE_DUE',
        'DEPOSIT_PAID→CANCELLED',
        'BALANCE_DUE→BALANCE_PAID',
        'BALANCE_DUE→FORFEITED',
        'BALANCE_DUE→CANCELLED',
      ].sort(),
    );
    expect(PRESALE_ORDER_STATUSES.filter(isTerminal)).toEqual([
      'BALANCE_PAID',
      'FORFEITED',
      'CANCELLED',
      'REJECTED',
    ]);
  });
});

// ---- Properties --------------------------------------------------------------------------------

type Action =
  | { readonly kind: 'open' }
  | { readonly kind: 'pay'; readonly amount: number }
  | { readonly kind: 'forfeit' }
  | { readonly kind: 'cancel' };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constant({ kind: 'open' } as const),
  fc.record({ kind: fc.constant('pay' as const), amount: fc.constantFrom(200_000, 199_999, 0) }),
  fc.constant({ kind: 'forfeit' } as const),
  fc.constant({ kind: 'cancel' } as const),
);

const targetOf: Record<Action['kind'], PresaleOrderStatus> = {
  open: 'BALANCE_DUE',
  pay: 'BALANCE_PAID',
  forfeit: 'FORFEITED',
  cancel: 'CANCELLED',
};

/** Applies an action; returns the next order, or the same order when a payment is refused. */
function apply(order: PresaleOrder, a: Action): PresaleOrder {
  switch (a.kind) {
    case 'open':
      return openBalance(order, '2026-11-01T00:00:00Z');
    case 'pay': {
      const result = payBalance(order, { amount: cny(a.amount), paidAt: inBalanceWindow });
      return result.ok ? result.order : order;
    }
    case 'forfeit':
      return forfeit(order, afterBalanceWindow);
    case 'cancel':
      return cancel(order, 'changed mind', inBalanceWindow);
  }
}

describe('properties', () => {
  it('an order only ever moves along allowed edges; anything else is refused and changes nothing', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(action, { maxLength: 12 }), (rejected, actions) => {
        let order = rejected
          ? rejectDeposit(deposit(), rejection('PresaleClosed', sofa()), inDepositWindow)
          : accepted();
        expect(INITIAL_STATUSES).toContain(order.status);
        for (const a of actions) {
          const from = order.status;
          const to = targetOf[a.kind];
          if (!canTransition(from, to)) {
            expect(() => apply(order, a)).toThrow(PresaleTransitionError);
            continue;
          }
          const next = apply(order, a);
          expect(next.status === from || ALLOWED_TRANSITIONS[from].includes(next.status)).toBe(true);
          if (next.status === from) expect(a).toMatchObject({ kind: 'pay' }); // a refused payment
          if (next.status === 'BALANCE_PAID') expect(next.shipBy).not.toBeNull();
          if (next.status === 'FORFEITED' || next.status === 'CANCELLED') {
            expect(next.depositOutcome).toBe('kept');
          }
          expect(PresaleOrderSchema.parse(next)).toEqual(next);
          order = next;
        }
      }),
    );
  });

  it('the quota is never oversold and never below zero across any interleaving of orders', () => {
    const presale = sofa();
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 }),
        fc.array(fc.tuple(fc.nat({ max: 9 }), fc.oneof(fc.constant('deposit' as const), action)), {
          maxLength: 80,
        }),
        (quota, steps) => {
          let count = { quota, taken: 0 };
          const orders = new Map<number, PresaleOrder>();
          for (const [n, step] of steps) {
            const current = orders.get(n);
            if (step === 'deposit') {
              if (current) continue; // the run is named by the order id: a duplicate start is a no-op
              const d = deposit({ orderId: `PO-${n}` });
              const decision = decideDeposit(
                { ...presale, quota },
                d.paidAt,
                quotaLeft({ quota }, count.taken),
                d.amount,
              );
              const taken = decision.kind === 'accept' ? takeUnit(count) : undefined;
              if (decision.kind === 'accept' && taken?.ok) {
                count = taken.count;
                orders.set(n, acceptDeposit(d, decision.terms));
              } else {
                const reason = decision.kind === 'reject' ? decision : rejection('PresaleSoldOut', presale);
                orders.set(n, rejectDeposit(d, reason, d.paidAt));
              }
            } else if (current && canTransition(current.status, targetOf[step.kind])) {
              const next = apply(current, step);
              if (holdsUnit(current.status) && !holdsUnit(next.status)) count = returnUnit(count);
              orders.set(n, next);
            }
            const holding = [...orders.values()].filter((o) => holdsUnit(o.status)).length;
            expect(count.taken).toBe(holding);
            expect(count.taken).toBeGreaterThanOrEqual(0);
            expect(count.taken).toBeLessThanOrEqual(quota);
            expect(quotaLeft({ quota }, count.taken)).toBe(quota - holding);
          }
        },
      ),
    );
  });
});
