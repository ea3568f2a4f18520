import { describe, expect, it } from 'vitest';
import { eventSchemas, eventSources, keysOf } from '#domain/events/catalog';
import {
  balanceDueEvent,
  depositRejectedEvent,
  eventForStatus,
  forfeitedEvent,
  fulfilmentPromisedEvent,
} from '#domain/presale/events';
import {
  acceptDeposit,
  cancel,
  decideDeposit,
  forfeit,
  openBalance,
  type PresaleOrder,
  payBalance,
  rejectDeposit,
  rejection,
} from '#domain/presale/order';
import { termsOf } from '#domain/presale/terms';
import { deposit, sofa } from './arbitraries.ts';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const accepted = () => acceptDeposit(deposit(), termsOf(sofa()));
const due = () => openBalance(accepted(), '2026-11-01T00:00:00Z');
const paid = (): PresaleOrder => {
  const result = payBalance(due(), { amount: cny(200_000), paidAt: '2026-11-02T10:00:00Z' });
  if (!result.ok) throw new Error(result.message);
  return result.order;
};
const orderKeys = [
  { type: 'order', id: 'PO-1' },
  { type: 'presale', id: 'SOFA-2026' },
  { type: 'sku', id: 'SOFA-GREY' },
];

describe('presale events', () => {
  it('PresaleBalanceDue: the balance and when it is due by', () => {
    const event = balanceDueEvent(due());
    expect(event).toEqual({
      detailType: 'PresaleBalanceDue',
      source: 'storeflow.presale',
      data: {
        orderId: 'PO-1',
        presaleId: 'SOFA-2026',
        customerId: 'C-42',
        sku: 'SOFA-GREY',
        balanceDue: cny(200_000),
        dueBy: '2026-11-04T00:00:00.000Z',
        openedAt: '2026-11-01T00:00:00.000Z',
      },
    });
    expect(keysOf(event)).toEqual(orderKeys);
  });

  it('PresaleFulfilmentPromised: the ship-by date of the paid order', () => {
    const event = fulfilmentPromisedEvent(paid());
    expect(event.data).toEqual({
      orderId: 'PO-1',
      presaleId: 'SOFA-2026',
      customerId: 'C-42',
      sku: 'SOFA-GREY',
      shipBy: '2026-12-02T10:00:00.000Z',
      paidAt: '2026-11-02T10:00:00.000Z',
    });
    expect(keysOf(event)).toEqual(orderKeys);
  });

  it('PresaleForfeited: the deposit and what happens to it', () => {
    const order = forfeit(
      openBalance(
        acceptDeposit(deposit(), termsOf(sofa({ forfeitPolicy: 'refund' }))),
        '2026-11-01T00:00:00Z',
      ),
      '2026-11-04T00:00:00Z',
    );
    const event = forfeitedEvent(order);
    expect(event.data).toEqual({
      orderId: 'PO-1',
      presaleId: 'SOFA-2026',
      customerId: 'C-42',
      sku: 'SOFA-GREY',
      deposit: cny(50_000),
      depositOutcome: 'refunded',
      forfeitedAt: '2026-11-04T00:00:00.000Z',
    });
    expect(keysOf(event)).toEqual(orderKeys);
  });

  it('PresaleDepositRejected: reason and message; an unknown presale has no SKU', () => {
    const soldOut = rejectDeposit(deposit(), rejection('PresaleSoldOut', sofa()), '2026-10-25T02:00:01Z');
    expect(depositRejectedEvent(soldOut).data).toEqual({
      orderId: 'PO-1',
      presaleId: 'SOFA-2026',
      customerId: 'C-42',
      sku: 'SOFA-GREY',
      amount: cny(50_000),
      reason: 'PresaleSoldOut',
      message: 'presale SOFA-2026 is sold out (quota 100)',
      rejectedAt: '2026-10-25T02:00:01.000Z',
    });
    const decision = decideDeposit(undefined, '2026-10-25T02:00:00Z', 0, cny(50_000));
    if (decision.kind !== 'reject') throw new Error('expected a rejection');
    const unknown = depositRejectedEvent(rejectDeposit(deposit(), decision, '2026-10-25T02:00:01Z'));
    expect(unknown.data).toMatchObject({ sku: null, reason: 'PresaleNotFound' });
    expect(keysOf(unknown)).toEqual(orderKeys.slice(0, 2));
  });

  it('is built only from the status that announces it', () => {
    expect(() => balanceDueEvent(accepted())).toThrow(
      /PresaleBalanceDue is published for a BALANCE_DUE order/,
    );
    expect(() => fulfilmentPromisedEvent(due())).toThrow(/BALANCE_PAID/);
    expect(() => forfeitedEvent(due())).toThrow(/FORFEITED/);
    expect(() => depositRejectedEvent(accepted())).toThrow(/REJECTED/);
  });

  it('eventForStatus picks the event of the current status', () => {
    expect(eventForStatus(accepted())).toBeNull();
    expect(eventForStatus(cancel(due(), 'x', '2026-11-02T00:00:00Z'))).toBeNull();
    expect(eventForStatus(due())?.detailType).toBe('PresaleBalanceDue');
    expect(eventForStatus(paid())?.detailType).toBe('PresaleFulfilmentPromised');
    expect(eventForStatus(forfeit(due(), '2026-11-04T00:00:00Z'))?.detailType).toBe('PresaleForfeited');
  });

  it('every presale event in the catalog has a schema and is published under storeflow.presale', () => {
    const presaleTypes = Object.keys(eventSchemas).filter((t) => t.startsWith('Presale'));
    expect(presaleTypes.sort()).toEqual(
      [
        'PresaleBalanceDue',
        'PresaleBalancePaid',
        'PresaleBalanceRefused',
        'PresaleOrderCancelled',
        'PresaleCancelled',
        'PresaleDepositPaid',
        'PresaleDepositRejected',
        'PresaleForfeited',
        'PresaleFulfilmentPromised',
      ].sort(),
    );
    for (const type of presaleTypes)
      expect(eventSources[type as keyof typeof eventSources]).toBe('storeflow.presale');
  });

  it('the catalog refuses a malformed presale event', () => {
    expect(
      eventSchemas.PresaleForfeited.safeParse({
        ...forfeitedEvent(forfeit(due(), '2026-11-04T00:00:00Z')).data,
        depositOutcome: 'lost',
      }).success,
    ).toBe(false);
  });
});
