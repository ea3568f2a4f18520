import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '#domain/shared/errors';
import { deterministicId } from '#domain/shared/ids';
import { DEFAULT_PROMISE_POLICIES } from '#domain/sla/policy';
import {
  ORDER_WAIT_SECONDS,
  OrderNotYetKnownError,
  SLA_GRACE_SECONDS,
  SLA_ORIGIN,
  timerName,
} from '#domain/sla/promises';
import { SLA_RULES_VERSION } from '#domain/sla/rules';
import type { SlaPromise } from '#domain/sla/store';
import { eventTimelineEntries } from '#domain/timeline/use-cases';
import { cny, DAY, HOUR, yuan } from './arbitraries.ts';
import {
  DAY1,
  delivered,
  dispatched,
  installed,
  orderPaid,
  plus,
  promiseId,
  shipByPromised,
  storeAt,
  ticketOpened,
  ticketPromiseId,
  ticketResolved,
  ticketResponded,
  type World,
  world,
} from './world.ts';

const SAME_DAY = promiseId('O-1', 'same-day-delivery');
const DISPATCH = promiseId('O-1', 'dispatch-24h');
const NEXT_DAY = promiseId('O-1', 'next-day-delivery');
/** 18:00 store time on DAY1. */
const DUE_1800 = storeAt('18:00');
const DAY_S = 86_400;

const defaultPolicy = (policyId: string) => {
  const found = DEFAULT_PROMISE_POLICIES.find((p) => p.policyId === policyId);
  if (!found) throw new Error(policyId);
  const { policyId: _id, ...body } = found;
  return body;
};

const idempotencyKeyOf = (orderOrCapKey: string, promise: string) =>
  deterministicId('sla-compensation', orderOrCapKey, promise);

function compensationOf(p: SlaPromise) {
  if (!p.compensation) throw new Error(`${p.promiseId} has no compensation (${p.status})`);
  return p.compensation;
}

describe('same-day delivery (SPEC §4: paid before 12:00, fresh food or medicine → delivered by 18:00)', () => {
  it('writes its registrations’ timeline lines itself, once, and publishes them marked as recorded', async () => {
    const w = world();
    const paid = orderPaid('O-TL', storeAt('11:30'), { skus: ['SKU-FISH'] });
    await w.emit('OrderPaid', paid, { arrivesAt: storeAt('11:30'), eventId: 'evt-tl' });
    const announced = w.publisher.events.filter((e) => e.detailType === 'PromiseRegistered');
    expect(announced.length).toBeGreaterThan(0);
    expect(announced.every((e) => e.detail.metadata.timeline === 'recorded')).toBe(true);
    // Exactly the lines the recorder would have written for these events (decision 33).
    const expected = announced.flatMap(eventTimelineEntries);
    const lines = async () =>
      (await w.timeline.list({ type: 'order', id: 'O-TL' }, { limit: 100, cursor: null })).items;
    expect(await lines()).toEqual(expected.filter((e) => e.key.type === 'order'));
    expect((await lines()).map((l) => [l.kind, l.name])).toEqual(
      announced.map(() => ['promise', 'PromiseRegistered']),
    );
    // The same event again (EventBridge redelivers): the same lines, no second one.
    await w.emit('OrderPaid', paid, { eventId: 'evt-tl' });
    expect(await lines()).toEqual(expected.filter((e) => e.key.type === 'order'));
  });

  it('paid 11:30, not delivered by 18:00 → the timer fires → BREACHED, one 20 CNY coupon', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:30'), { skus: ['SKU-FISH', 'SKU-TOY'] }), {
      arrivesAt: storeAt('11:30'),
    });
    const registered = w.promise(SAME_DAY);
    expect(registered).toMatchObject({
      status: 'OPEN',
      reason: null,
      startedAt: storeAt('11:30'),
      deadline: DUE_1800,
      orderId: 'O-1',
      ticketId: null,
      customerId: 'c-O-1',
      startEvent: { detailType: 'OrderPaid', eventId: 'evt-1' },
    });
    expect(w.published('PromiseRegistered', SAME_DAY)).toEqual([
      {
        eventId: deterministicId(SLA_ORIGIN, SAME_DAY, 'PromiseRegistered'),
        data: {
          promiseId: SAME_DAY,
          policyId: 'same-day-delivery',
          kind: 'delivery',
          orderId: 'O-1',
          ticketId: null,
          status: 'OPEN',
          deadline: DUE_1800,
          reason: null,
          registeredAt: storeAt('11:30'),
        },
      },
    ]);
    // the deadline timer: at 18:00 plus the grace for events still on their way
    const timer = timerName(SAME_DAY, 'deadline');
    expect(w.timers.pending.get(timer)).toEqual({
      at: plus(DUE_1800, SLA_GRACE_SECONDS),
      payload: { promiseId: SAME_DAY, timer: 'deadline' },
    });
    expect(timer).toMatch(/^[0-9a-zA-Z_.-]{1,64}$/);

    // dispatched in time for the 24 h promise, never delivered
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('14:00')), { arrivesAt: storeAt('14:00') });
    await w.runUntil(plus(DUE_1800, SLA_GRACE_SECONDS - 1));
    expect(w.promise(SAME_DAY).status).toBe('OPEN');
    await w.runUntil(storeAt('23:00'));

    const breached = w.promise(SAME_DAY);
    expect(breached).toMatchObject({ status: 'BREACHED', breachedAt: DUE_1800, fulfilledAt: null });
    expect(breached.compensation).toEqual({
      type: 'coupon',
      amount: yuan(20),
      requested: yuan(20),
      capped: false,
      basis: 'coupon 20.00 CNY',
      multiplierBps: 10_000,
      lateSeconds: 0,
      rule: SLA_RULES_VERSION,
      idempotencyKey: idempotencyKeyOf('O-1', SAME_DAY),
      issuedAt: plus(DUE_1800, SLA_GRACE_SECONDS),
    });
    expect(w.published('SlaBreached', SAME_DAY).map((e) => e.data)).toEqual([
      expect.objectContaining({ deadline: DUE_1800, breachedAt: DUE_1800 }),
    ]);
    const issued = w.published('CompensationIssued');
    expect(issued).toHaveLength(1);
    expect(issued[0]).toEqual({
      eventId: deterministicId(SLA_ORIGIN, SAME_DAY, 'CompensationIssued'),
      data: {
        promiseId: SAME_DAY,
        policyId: 'same-day-delivery',
        kind: 'delivery',
        orderId: 'O-1',
        ticketId: null,
        customerId: 'c-O-1',
        type: 'coupon',
        amount: yuan(20),
        requested: yuan(20),
        capped: false,
        lateSeconds: 0,
        idempotencyKey: idempotencyKeyOf('O-1', SAME_DAY),
        rule: 'sla/1',
        issuedAt: plus(DUE_1800, SLA_GRACE_SECONDS),
      },
    });
    // the order's cap recorded the grant
    expect(w.store.capOf('order:O-1')).toEqual({
      paid: 2_000,
      currency: 'CNY',
      grants: { [SAME_DAY]: 2_000 },
    });
    // the 24 h dispatch promise was kept; the region is not served next-day
    expect(w.promise(DISPATCH).status).toBe('KEPT');
    expect(w.promise(NEXT_DAY).status).toBe('NOT_ELIGIBLE');
    expect(w.timers.pending.size).toBe(0);
  });

  it('the idempotency key follows order + promise: another order or policy gets another key', async () => {
    const w = world();
    for (const id of ['O-1', 'O-2']) {
      await w.emit('OrderPaid', orderPaid(id, storeAt('09:00'), { skus: ['SKU-PILLS'] }), {
        arrivesAt: storeAt('09:00'),
      });
    }
    await w.runUntil(storeAt('12:00', '2026-11-26'));
    const keys = w.published('CompensationIssued').map((e) => e.data.idempotencyKey);
    // same-day and dispatch-24h for each order
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(4);
    expect(keys).toContain(idempotencyKeyOf('O-2', promiseId('O-2', 'same-day-delivery')));
  });

  it('paid 12:01 → NOT_ELIGIBLE with the reason, no timer, nothing paid', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('12:01')), { arrivesAt: storeAt('12:01') });
    const p = w.promise(SAME_DAY);
    expect(p.status).toBe('NOT_ELIGIBLE');
    expect(p.deadline).toBeNull();
    expect(p.reason).toBe(
      `started at 12:01:00 store time (${storeAt('12:01')}), at or after the 12:00 cutoff (Asia/Shanghai)`,
    );
    expect(w.published('PromiseRegistered', SAME_DAY).map((e) => e.data)).toEqual([
      expect.objectContaining({ status: 'NOT_ELIGIBLE', deadline: null, reason: p.reason }),
    ]);
    expect(w.timers.log.filter((t) => t.name === timerName(SAME_DAY, 'deadline'))).toEqual([]);
    await w.runUntil(storeAt('23:00'));
    expect(w.promise(SAME_DAY).status).toBe('NOT_ELIGIBLE');
    expect(w.published('CompensationIssued', SAME_DAY)).toEqual([]);
    expect(w.published('SlaBreached', SAME_DAY)).toEqual([]);
  });

  it('paid at 11:59:59 → OPEN; paid at 12:00:00 → NOT_ELIGIBLE', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:59:59')), { arrivesAt: storeAt('12:00') });
    await w.emit('OrderPaid', orderPaid('O-2', storeAt('12:00:00')), { arrivesAt: storeAt('12:00') });
    expect(w.promise(SAME_DAY)).toMatchObject({ status: 'OPEN', deadline: DUE_1800 });
    expect(w.promise(promiseId('O-2', 'same-day-delivery')).status).toBe('NOT_ELIGIBLE');
  });

  it('no line in fresh food or medicine (categories from the store catalog) → NOT_ELIGIBLE', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('09:00'), { skus: ['SKU-TOY', 'SKU-SOFA'] }));
    await w.emit('OrderPaid', orderPaid('O-2', storeAt('09:00'), { skus: ['SKU-NOT-IN-CATALOG'] }));
    expect(w.promise(SAME_DAY)).toMatchObject({
      status: 'NOT_ELIGIBLE',
      reason: 'no line of the order is in fresh-food, medicine (its categories: toys, furniture)',
    });
    expect(w.promise(promiseId('O-2', 'same-day-delivery')).reason).toBe(
      'no line of the order is in fresh-food, medicine (its categories: none known)',
    );
  });

  it('next-day delivery: a region in the list, in any case → OPEN, due 23:59 the next store day', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('20:00'), { region: 'shanghai' }));
    await w.emit('OrderPaid', orderPaid('O-2', storeAt('20:00'), { region: null }));
    expect(w.promise(NEXT_DAY)).toMatchObject({ status: 'OPEN', deadline: storeAt('23:59', '2026-11-25') });
    expect(w.promise(promiseId('O-2', 'next-day-delivery'))).toMatchObject({
      status: 'NOT_ELIGIBLE',
      reason: 'ships to an unknown region, outside Shanghai, Jiangsu, Zhejiang, Beijing, Guangdong',
    });
  });

  it('delivered in time → KEPT, the deadline timer cancelled, nothing paid', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('10:00')), { arrivesAt: storeAt('10:00') });
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('11:00')), { arrivesAt: storeAt('11:00') });
    await w.emit('OrderDelivered', delivered('O-1', storeAt('17:59:59')), { arrivesAt: storeAt('18:01') });
    expect(w.promise(SAME_DAY)).toMatchObject({
      status: 'KEPT',
      fulfilledAt: storeAt('17:59:59'),
      lateSeconds: null,
      compensation: null,
    });
    expect(w.promise(DISPATCH)).toMatchObject({ status: 'KEPT', fulfilledAt: storeAt('11:00') });
    expect(w.timers.log).toContainEqual({ op: 'cancel', name: timerName(SAME_DAY, 'deadline') });
    expect(w.timers.log).toContainEqual({ op: 'cancel', name: timerName(DISPATCH, 'deadline') });
    expect(w.timers.pending.size).toBe(0);
    expect(w.published('PromiseKept', SAME_DAY).map((e) => e.data)).toEqual([
      expect.objectContaining({ deadline: DUE_1800, fulfilledAt: storeAt('17:59:59') }),
    ]);
    await w.runUntil(storeAt('12:00', '2026-11-27'));
    expect(w.published('SlaBreached')).toEqual([]);
    expect(w.published('CompensationIssued')).toEqual([]);
    expect(w.store.capOf('order:O-1')).toBeNull();
  });

  it('delivered exactly at 18:00:00.000 → KEPT (the deadline itself is in time)', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('10:00')));
    await w.emit('OrderDelivered', delivered('O-1', DUE_1800), { arrivesAt: storeAt('18:02') });
    expect(w.promise(SAME_DAY).status).toBe('KEPT');
  });

  it('delivered late, before the timer fired → one compensation; fulfilledAt and lateSeconds recorded', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:30')), { arrivesAt: storeAt('11:30') });
    // 18:02: after the deadline, inside the grace period (the timer fires at 18:05)
    await w.emit('OrderDelivered', delivered('O-1', storeAt('18:02')), { arrivesAt: storeAt('18:02') });
    const p = w.promise(SAME_DAY);
    expect(p).toMatchObject({
      status: 'BREACHED',
      breachedAt: DUE_1800,
      fulfilledAt: storeAt('18:02'),
      lateSeconds: 120,
    });
    expect(compensationOf(p).amount).toEqual(yuan(20));
    await w.runUntil(storeAt('23:00'));
    // settled by the delivery: the deadline timer is cancelled, and nothing more happens
    expect(w.timers.log).toContainEqual({ op: 'cancel', name: timerName(SAME_DAY, 'deadline') });
    expect(w.fired.map((f) => f.promiseId)).not.toContain(SAME_DAY);
    expect(w.promise(SAME_DAY)).toEqual(p);
    expect(w.published('CompensationIssued', SAME_DAY)).toHaveLength(1);
    expect(w.published('SlaBreached', SAME_DAY)).toHaveLength(1);
    expect(w.published('PromiseKept', SAME_DAY)).toEqual([]);
  });

  it('delivered late, after the timer fired → the breach stands; the late delivery is recorded, nothing more paid', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:30')), { arrivesAt: storeAt('11:30') });
    await w.runUntil(storeAt('19:00'));
    const breached = w.promise(SAME_DAY);
    expect(breached.status).toBe('BREACHED');
    await w.emit('OrderDelivered', delivered('O-1', storeAt('20:00')), { arrivesAt: storeAt('20:00') });
    // a duplicate of the delivery, and a later second delivery event of the same order
    await w.emit('OrderDelivered', delivered('O-1', storeAt('20:00')), { arrivesAt: storeAt('20:30') });
    await w.emit('OrderDelivered', delivered('O-1', storeAt('21:00')), { arrivesAt: storeAt('21:00') });
    expect(w.promise(SAME_DAY)).toMatchObject({
      status: 'BREACHED',
      breachedAt: DUE_1800,
      fulfilledAt: storeAt('20:00'),
      lateSeconds: 2 * 3_600,
      compensation: breached.compensation,
    });
    expect(w.published('CompensationIssued', SAME_DAY)).toHaveLength(1);
    expect(w.published('PromiseKept', SAME_DAY)).toEqual([]);
    const view = (await w.sla.promisesOf('order', 'O-1')).find((v) => v.promiseId === SAME_DAY);
    expect(view).toMatchObject({
      status: 'BREACHED',
      fulfilledAt: storeAt('20:00'),
      lateSeconds: 7_200,
      compensation: { amount: yuan(20) },
    });
  });

  it('the member multiplier scales the coupon (×1.5 → 30 CNY), and is recorded', async () => {
    const asked: Array<string | null> = [];
    const w = world({
      multiplierBps: async (customerId) => {
        asked.push(customerId);
        return 15_000;
      },
    });
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:30'), { customerId: 'gold-1' }));
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('12:00')));
    await w.runUntil(storeAt('23:00'));
    expect(compensationOf(w.promise(SAME_DAY))).toMatchObject({
      amount: yuan(30),
      requested: yuan(30),
      multiplierBps: 15_000,
      basis: 'coupon 20.00 CNY × 1.5',
    });
    expect(asked).toEqual(['gold-1']);
  });

  it('a refund share of the order total, half-up to the fen', async () => {
    const w = world();
    await w.sla.putPolicy('same-day-delivery', {
      ...defaultPolicy('same-day-delivery'),
      compensation: { refundBps: 1_000 },
    });
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:30'), { total: 12_345 }));
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('12:00')));
    await w.runUntil(storeAt('23:00'));
    expect(compensationOf(w.promise(SAME_DAY))).toMatchObject({
      type: 'refund',
      amount: cny(1_235),
      basis: '10% of 123.45 CNY',
    });
    expect(w.published('CompensationIssued', SAME_DAY)[0]!.data).toMatchObject({
      type: 'refund',
      amount: cny(1_235),
    });
  });
});

describe('installation within 48 h of delivery (furniture and appliances)', () => {
  it('delivered, installed 50 h later → 30 CNY; a toy order gets no installation promise', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('13:00'), { skus: ['SKU-SOFA'] }));
    await w.emit('OrderPaid', orderPaid('O-2', storeAt('13:00'), { skus: ['SKU-TOY'] }));
    await w.emit('OrderDelivered', delivered('O-1', storeAt('15:00')), { arrivesAt: storeAt('15:00') });
    await w.emit('OrderDelivered', delivered('O-2', storeAt('15:00')));
    const install = promiseId('O-1', 'installation-48h');
    expect(w.promise(install)).toMatchObject({
      status: 'OPEN',
      deadline: plus(storeAt('15:00'), 48 * 3_600),
    });
    expect(w.promise(promiseId('O-2', 'installation-48h'))).toMatchObject({
      status: 'NOT_ELIGIBLE',
      reason: 'no line of the order is in furniture, appliances (its categories: toys)',
    });
    const at = plus(storeAt('15:00'), 50 * 3_600);
    await w.emit('InstallationCompleted', installed('O-1', at), { arrivesAt: at });
    expect(w.promise(install)).toMatchObject({ status: 'BREACHED', fulfilledAt: at, lateSeconds: 7_200 });
    expect(compensationOf(w.promise(install)).amount).toEqual(yuan(30));
  });
});

describe('duplicates: every event and timer delivered 1–3 times, in any order (property)', () => {
  const region = fc.constantFrom('Shanghai', 'shanghai', 'Xinjiang', null);
  const skus = fc.subarray(['SKU-FISH', 'SKU-PILLS', 'SKU-TOY', 'SKU-NONE'], { minLength: 1 });
  /** Copies of one delivery: the first within 4 minutes of the fact (inside the grace), the rest any time in 3 days. */
  const copies = fc.tuple(
    fc.integer({ min: 0, max: 240 }),
    fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3 * DAY_S })), { maxLength: 2 }),
  );
  const scenario = fc.record({
    paidSecond: fc.integer({ min: 0, max: DAY_S - 1 }),
    skus,
    region,
    dispatchAfter: fc.option(fc.integer({ min: 0, max: 48 * 3_600 }), { nil: null }),
    deliverAfter: fc.option(fc.integer({ min: 0, max: 72 * 3_600 }), { nil: null }),
    paidCopies: copies,
    dispatchCopies: copies,
    deliverCopies: copies,
    /** Extra firings of each timer: 0 = at the same instant (concurrently), else that many seconds later. */
    timerCopies: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: DAY_S })), { maxLength: 2 }),
  });

  type Item =
    | { at: number; kind: 'event'; run: (w: World) => Promise<unknown> }
    | { at: number; kind: 'timer'; payload: { promiseId: string; timer: 'deadline' | 'final-tier' } };

  it('per promise: the oracle outcome, one compensation, one CompensationIssued id', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const w = world();
        const dayStart = Date.parse(storeAt('00:00'));
        const paidAt = dayStart + s.paidSecond * 1000;
        const iso = (ms: number) => new Date(ms).toISOString();
        const items: Item[] = [];
        const deliver = (
          occurred: number,
          [first, rest]: [number, number[]],
          run: (w: World) => Promise<unknown>,
        ) => {
          const arrival = occurred + first * 1000;
          items.push({ at: arrival, kind: 'event', run });
          for (const extra of rest) items.push({ at: arrival + extra * 1000, kind: 'event', run });
        };
        deliver(paidAt, s.paidCopies, (w) =>
          w.emit('OrderPaid', orderPaid('O-1', iso(paidAt), { skus: s.skus, region: s.region })),
        );
        const dispatchAt = s.dispatchAfter === null ? null : paidAt + s.dispatchAfter * 1000;
        const deliverAt = s.deliverAfter === null ? null : paidAt + s.deliverAfter * 1000;
        if (dispatchAt !== null)
          deliver(dispatchAt, s.dispatchCopies, (w) =>
            w.emit('ShipmentDispatched', dispatched('O-1', iso(dispatchAt))),
          );
        if (deliverAt !== null)
          deliver(deliverAt, s.deliverCopies, (w) =>
            w.emit('OrderDelivered', delivered('O-1', iso(deliverAt))),
          );

        // Drive the world: the earliest of the next delivery and the next due timer; equal instants at once.
        const end = paidAt + 8 * DAY;
        for (;;) {
          const nextTimer = [...w.timers.pending.values()].reduce<number | null>(
            (min, t) => (min === null || Date.parse(t.at) < min ? Date.parse(t.at) : min),
            null,
          );
          const nextItem = items.length ? Math.min(...items.map((i) => i.at)) : null;
          const now = [nextTimer, nextItem]
            .filter((x): x is number => x !== null)
            .reduce((a, b) => Math.min(a, b), end);
          if (now >= end) break;
          w.clock.set(iso(Math.max(now, w.clock.now().getTime())));
          const batch: Item[] = items.filter((i) => i.at === now);
          for (const b of batch) items.splice(items.indexOf(b), 1);
          for (let t = w.timers.takeDue(iso(now)); t; t = w.timers.takeDue(iso(now))) {
            batch.push({ at: now, kind: 'timer', payload: t.payload });
            for (const extra of s.timerCopies) {
              const copy: Item = { at: now + extra * 1000, kind: 'timer', payload: t.payload };
              (extra === 0 ? batch : items).push(copy);
            }
          }
          await Promise.all(batch.map((b) => (b.kind === 'event' ? b.run(w) : w.sla.onTimer(b.payload))));
        }

        // The oracle, from SPEC §4's shipped catalogue.
        const storeSecond = s.paidSecond;
        const covered = s.skus.some((k) => k === 'SKU-FISH' || k === 'SKU-PILLS');
        const served = s.region !== null && s.region.toLowerCase() === 'shanghai';
        const expected = [
          {
            id: SAME_DAY,
            eligible: storeSecond < 12 * 3_600 && covered,
            deadline: dayStart + 18 * HOUR,
            fulfilled: deliverAt,
            coupon: 2_000,
          },
          {
            id: NEXT_DAY,
            eligible: storeSecond < 23 * 3_600 + 59 * 60 && served,
            deadline: dayStart + DAY + (23 * 3_600 + 59 * 60) * 1000,
            fulfilled: deliverAt,
            coupon: 1_000,
          },
          { id: DISPATCH, eligible: true, deadline: paidAt + DAY, fulfilled: dispatchAt, coupon: 500 },
        ];
        let paid = 0;
        for (const e of expected) {
          const p = w.promise(e.id);
          const issued = w.published('CompensationIssued', e.id);
          const breaches = w.published('SlaBreached', e.id);
          expect(new Set(w.published('PromiseRegistered', e.id).map((x) => x.eventId)).size).toBe(1);
          if (!e.eligible) {
            expect(p.status).toBe('NOT_ELIGIBLE');
            expect(p.reason).toBeTruthy();
            expect(issued).toEqual([]);
            continue;
          }
          expect(p.deadline).toBe(iso(e.deadline));
          if (e.fulfilled !== null && e.fulfilled <= e.deadline) {
            expect(p).toMatchObject({ status: 'KEPT', fulfilledAt: iso(e.fulfilled), compensation: null });
            expect(issued).toEqual([]);
            expect(breaches).toEqual([]);
            expect(new Set(w.published('PromiseKept', e.id).map((x) => x.eventId)).size).toBe(1);
            continue;
          }
          expect(p.status).toBe('BREACHED');
          expect(p.breachedAt).toBe(iso(e.deadline));
          if (e.fulfilled === null) expect(p.fulfilledAt).toBeNull();
          else {
            expect(p.fulfilledAt).toBe(iso(e.fulfilled));
            expect(p.lateSeconds).toBe(Math.round((e.fulfilled - e.deadline) / 1000));
          }
          const c = compensationOf(p);
          expect(c.amount).toEqual(cny(e.coupon));
          expect(c.idempotencyKey).toBe(idempotencyKeyOf('O-1', e.id));
          paid += c.amount.amount;
          // at least one CompensationIssued, every copy under the one deterministic id with the same data
          expect(issued.length).toBeGreaterThanOrEqual(1);
          expect(new Set(issued.map((x) => x.eventId))).toEqual(
            new Set([deterministicId(SLA_ORIGIN, e.id, 'CompensationIssued')]),
          );
          for (const copy of issued) {
            expect(copy.data).toEqual(issued[0]!.data);
            expect(copy.data).toMatchObject({ amount: c.amount, idempotencyKey: c.idempotencyKey });
          }
          expect(new Set(breaches.map((x) => x.eventId)).size).toBe(1);
          expect(w.store.capOf('order:O-1')?.grants[e.id]).toBe(c.amount.amount);
        }
        expect(w.store.capOf('order:O-1')?.paid ?? 0).toBe(paid);
        expect(w.timers.pending.size).toBe(0);
      }),
      { numRuns: 60 },
    );
  });
});

describe('the cap per order, across all its promises', () => {
  it('two breaches whose sum exceeds the cap → the cap is paid in all, the last one capped with requested vs granted', async () => {
    const w = world();
    // dispatch late pays 90 CNY: with the same-day 20 CNY the order asks 110 of a 100 CNY cap
    await w.sla.putPolicy('dispatch-24h', {
      ...defaultPolicy('dispatch-24h'),
      compensation: { coupon: yuan(90) },
    });
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:00'), { region: 'Shanghai' }));
    await w.runUntil(storeAt('12:00', '2026-11-27'));
    const sameDay = compensationOf(w.promise(SAME_DAY));
    const dispatch = compensationOf(w.promise(DISPATCH));
    const nextDay = compensationOf(w.promise(NEXT_DAY));
    expect(sameDay).toMatchObject({ amount: yuan(20), requested: yuan(20), capped: false });
    // due 11:00 the next day (before next-day's 23:59): granted what the cap leaves
    expect(dispatch).toMatchObject({ amount: yuan(80), requested: yuan(90), capped: true });
    expect(nextDay).toMatchObject({ amount: yuan(0), requested: yuan(10), capped: true });
    expect(w.store.capOf('order:O-1')?.paid).toBe(10_000);
    expect(w.published('CompensationIssued', DISPATCH)[0]!.data).toMatchObject({
      amount: yuan(80),
      requested: yuan(90),
      capped: true,
    });
    const total = w
      .published('CompensationIssued')
      .reduce((sum, e) => sum + (e.data.amount as { amount: number }).amount, 0);
    expect(total).toBe(10_000);
    // Capped to nothing: the receipt is kept, but there is no coupon to announce.
    expect(w.published('CompensationIssued', NEXT_DAY)).toEqual([]);
    expect(w.published('SlaBreached', NEXT_DAY)).toHaveLength(1);
  });

  it('property: concurrent breaches of one order (their reservations interleaved) still hold the cap', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 8_000 }), { minLength: 2, maxLength: 5 }),
        fc.integer({ min: 0, max: 20_000 }),
        async (coupons, cap) => {
          const w = world({ start: storeAt('08:00') });
          // every default is switched off so only these promises, due at the same instant, exist
          for (const p of DEFAULT_PROMISE_POLICIES) {
            await w.sla.putPolicy(p.policyId, { ...defaultPolicy(p.policyId), active: false });
          }
          for (const [i, amount] of coupons.entries()) {
            await w.sla.putPolicy(`p${i}`, {
              kind: `k${i}`,
              startsOn: 'OrderPaid',
              fulfilledBy: 'OrderDelivered',
              deadline: { afterSeconds: 3_600 },
              compensation: { coupon: cny(amount) },
              capPerOrder: cny(cap),
            });
          }
          await w.emit('OrderPaid', orderPaid('O-1', storeAt('08:00')));
          expect(w.timers.pending.size).toBe(coupons.length);
          w.clock.set(storeAt('10:00'));
          const due = [...w.timers.pending.values()];
          w.timers.pending.clear();
          // every timer fires at once, some twice
          await Promise.all([...due, ...due.slice(0, 1)].map((t) => w.sla.onTimer(t.payload)));
          const compensations = coupons.map((_, i) => compensationOf(w.promise(promiseId('O-1', `p${i}`))));
          const granted = compensations.reduce((sum, c) => sum + c.amount.amount, 0);
          const asked = coupons.reduce((a, b) => a + b, 0);
          expect(granted).toBe(Math.min(cap, asked));
          for (const [i, c] of compensations.entries()) {
            expect(c.requested).toEqual(cny(coupons[i]!));
            expect(c.amount.amount).toBeGreaterThanOrEqual(0);
            expect(c.amount.amount).toBeLessThanOrEqual(coupons[i]!);
            expect(c.capped).toBe(c.amount.amount < coupons[i]!);
          }
          expect(w.store.capOf('order:O-1')?.paid).toBe(granted);
          // what was published agrees with what was stored
          for (const [i, c] of compensations.entries()) {
            for (const e of w.published('CompensationIssued', promiseId('O-1', `p${i}`))) {
              expect(e.data.amount).toEqual(c.amount);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the concurrent breaches really raced (a reservation lost and read again)', async () => {
    const w = world({ start: storeAt('08:00') });
    for (const p of DEFAULT_PROMISE_POLICIES) {
      await w.sla.putPolicy(p.policyId, { ...defaultPolicy(p.policyId), active: false });
    }
    for (const i of [0, 1, 2]) {
      await w.sla.putPolicy(`p${i}`, {
        kind: 'k',
        startsOn: 'OrderPaid',
        fulfilledBy: 'OrderDelivered',
        deadline: { afterSeconds: 3_600 },
        compensation: { coupon: yuan(60) },
        capPerOrder: yuan(100),
      });
    }
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('08:00')));
    w.clock.set(storeAt('10:00'));
    await Promise.all([...w.timers.pending.values()].map((t) => w.sla.onTimer(t.payload)));
    expect(w.store.conflicts).toBeGreaterThan(0);
    const amounts = [0, 1, 2].map((i) => compensationOf(w.promise(promiseId('O-1', `p${i}`))).amount.amount);
    expect(amounts.sort((a, b) => a - b)).toEqual([0, 4_000, 6_000]);
  });
});

describe('presale ship-by (PresaleFulfilmentPromised.shipBy; tiers: 50 CNY, 100 CNY from 7 days late)', () => {
  const SHIP = promiseId('P-1', 'presale-ship-by');
  const PAID = storeAt('10:00');
  const SHIP_BY = plus(PAID, 30 * DAY_S);

  async function promised() {
    const w = world({ start: PAID });
    await w.emit('PresaleFulfilmentPromised', shipByPromised('P-1', PAID, SHIP_BY));
    expect(w.promise(SHIP)).toMatchObject({
      status: 'OPEN',
      startedAt: PAID,
      deadline: SHIP_BY,
      orderId: 'P-1',
    });
    // the deadline timer, and the last tier's timer: 7 days after the deadline
    expect(w.timers.pending.get(timerName(SHIP, 'deadline'))?.at).toBe(plus(SHIP_BY, SLA_GRACE_SECONDS));
    expect(w.timers.pending.get(timerName(SHIP, 'final-tier'))?.at).toBe(
      plus(SHIP_BY, 7 * DAY_S + SLA_GRACE_SECONDS),
    );
    return w;
  }

  it('shipped in time → KEPT, both timers cancelled', async () => {
    const w = await promised();
    await w.emit('ShipmentDispatched', dispatched('P-1', plus(SHIP_BY, -3_600)), {
      arrivesAt: plus(SHIP_BY, -3_600),
    });
    expect(w.promise(SHIP).status).toBe('KEPT');
    expect(w.timers.pending.size).toBe(0);
    expect(w.timers.log.filter((t) => t.op === 'cancel').map((t) => t.name)).toEqual(
      expect.arrayContaining([timerName(SHIP, 'deadline'), timerName(SHIP, 'final-tier')]),
    );
  });

  it('breached at the deadline, the compensation waits for the lateness; shipped 3 days late → tier 1 (50 CNY)', async () => {
    const w = await promised();
    await w.runUntil(plus(SHIP_BY, DAY_S));
    expect(w.promise(SHIP)).toMatchObject({ status: 'BREACHED', breachedAt: SHIP_BY, compensation: null });
    expect(w.published('SlaBreached', SHIP)).toHaveLength(1);
    expect(w.published('CompensationIssued', SHIP)).toEqual([]);
    const shipped = plus(SHIP_BY, 3 * DAY_S);
    await w.emit('ShipmentDispatched', dispatched('P-1', shipped), { arrivesAt: shipped });
    expect(w.promise(SHIP)).toMatchObject({
      status: 'BREACHED',
      fulfilledAt: shipped,
      lateSeconds: 3 * DAY_S,
    });
    expect(compensationOf(w.promise(SHIP))).toMatchObject({ amount: yuan(50), lateSeconds: 3 * DAY_S });
    // the last tier's timer is cancelled: it never pays a second time
    expect(w.timers.pending.has(timerName(SHIP, 'final-tier'))).toBe(false);
    await w.runUntil(plus(SHIP_BY, 30 * DAY_S));
    expect(w.published('CompensationIssued', SHIP)).toHaveLength(1);
    expect(w.store.capOf('order:P-1')?.paid).toBe(5_000);
  });

  it('shipped 8 days late → tier 2 (100 CNY), paid when the last tier is reached', async () => {
    const w = await promised();
    await w.runUntil(plus(SHIP_BY, 7 * DAY_S + SLA_GRACE_SECONDS));
    expect(compensationOf(w.promise(SHIP))).toMatchObject({ amount: yuan(100), lateSeconds: 7 * DAY_S });
    const shipped = plus(SHIP_BY, 8 * DAY_S);
    await w.emit('ShipmentDispatched', dispatched('P-1', shipped), { arrivesAt: shipped });
    expect(w.promise(SHIP)).toMatchObject({ fulfilledAt: shipped, lateSeconds: 8 * DAY_S });
    expect(compensationOf(w.promise(SHIP)).amount).toEqual(yuan(100));
    expect(w.published('CompensationIssued', SHIP)).toHaveLength(1);
  });

  it('never shipped → the final-tier timer pays the last tier', async () => {
    const w = await promised();
    await w.runUntil(plus(SHIP_BY, 60 * DAY_S));
    expect(w.fired.map((f) => f.timer)).toEqual(['deadline', 'final-tier']);
    expect(w.promise(SHIP)).toMatchObject({ status: 'BREACHED', fulfilledAt: null });
    expect(compensationOf(w.promise(SHIP))).toMatchObject({ amount: yuan(100), requested: yuan(100) });
    expect(w.published('CompensationIssued', SHIP)).toHaveLength(1);
  });
});

describe('after-sales tickets', () => {
  const FIRST = ticketPromiseId('T-1', 'ticket-first-response');
  const RESOLVE = ticketPromiseId('T-1', 'ticket-resolution');
  const OPENED = storeAt('09:00');

  it("first response 3 h after opening → 5 CNY under the ticket's order cap; resolved in time → KEPT", async () => {
    const w = world({ start: OPENED });
    await w.emit('TicketOpened', ticketOpened('T-1', 'O-9', OPENED));
    expect(w.promise(FIRST)).toMatchObject({
      status: 'OPEN',
      subject: { type: 'ticket', id: 'T-1' },
      ticketId: 'T-1',
      orderId: 'O-9',
      customerId: 'c-t',
      deadline: plus(OPENED, 7_200),
    });
    expect(w.promise(RESOLVE).deadline).toBe(plus(OPENED, DAY_S));
    const responded = plus(OPENED, 3 * 3_600);
    await w.emit('TicketResponded', ticketResponded('T-1', 'O-9', responded), { arrivesAt: responded });
    await w.emit('TicketResolved', ticketResolved('T-1', 'O-9', plus(OPENED, 20 * 3_600)), {
      arrivesAt: plus(OPENED, 20 * 3_600),
    });
    expect(w.promise(FIRST)).toMatchObject({
      status: 'BREACHED',
      fulfilledAt: responded,
      lateSeconds: 3_600,
    });
    expect(compensationOf(w.promise(FIRST))).toMatchObject({
      amount: yuan(5),
      idempotencyKey: idempotencyKeyOf('O-9', FIRST),
    });
    expect(w.store.capOf('order:O-9')).toEqual({ paid: 500, currency: 'CNY', grants: { [FIRST]: 500 } });
    expect(w.promise(RESOLVE).status).toBe('KEPT');
    expect(w.published('CompensationIssued', FIRST)[0]!.data).toMatchObject({
      ticketId: 'T-1',
      orderId: 'O-9',
    });
    // the ticket's promises are listed under the ticket, not under the order
    expect((await w.sla.promisesOf('ticket', 'T-1')).map((p) => p.promiseId).sort()).toEqual([
      FIRST,
      RESOLVE,
    ]);
    expect(await w.sla.promisesOf('order', 'O-9')).toEqual([]);
  });

  it("a ticket's compensation shares its order's cap with the order's own promises", async () => {
    const w = world();
    await w.sla.putPolicy('same-day-delivery', {
      ...defaultPolicy('same-day-delivery'),
      compensation: { coupon: yuan(98) },
    });
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('09:00')));
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('10:00')));
    await w.runUntil(storeAt('19:00'));
    expect(compensationOf(w.promise(SAME_DAY)).amount).toEqual(yuan(98));
    await w.emit('TicketOpened', ticketOpened('T-1', 'O-1', storeAt('19:00')));
    await w.runUntil(storeAt('23:00'));
    expect(compensationOf(w.promise(FIRST))).toMatchObject({
      amount: yuan(2),
      requested: yuan(5),
      capped: true,
    });
  });

  it('a ticket with no order: its own cap, and its idempotency key from the ticket', async () => {
    const w = world({ start: OPENED });
    await w.emit('TicketOpened', ticketOpened('T-1', null, OPENED));
    await w.runUntil(plus(OPENED, 3 * 3_600));
    const c = compensationOf(w.promise(FIRST));
    expect(c.amount).toEqual(yuan(5));
    expect(c.idempotencyKey).toBe(idempotencyKeyOf('ticket:T-1', FIRST));
    expect(w.store.capOf('ticket:T-1')?.paid).toBe(500);
  });
});

describe('policies are snapshotted: editing one never changes promises in flight', () => {
  it('an open promise keeps its terms; a new one uses the new terms; policyVersion is shown', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('09:00')), { arrivesAt: storeAt('09:00') });
    const edit = await w.sla.putPolicy('same-day-delivery', {
      ...defaultPolicy('same-day-delivery'),
      deadline: { cutoff: '10:00', dueAt: '16:00' },
      compensation: { coupon: yuan(50) },
    });
    expect(edit).toMatchObject({ created: true, policy: { version: 1, updatedAt: storeAt('09:00') } });
    await w.emit('OrderPaid', orderPaid('O-2', storeAt('09:30')), { arrivesAt: storeAt('09:30') });
    await w.emit('OrderPaid', orderPaid('O-3', storeAt('10:30')), { arrivesAt: storeAt('10:30') });
    const O2 = promiseId('O-2', 'same-day-delivery');
    expect(w.promise(SAME_DAY)).toMatchObject({ deadline: DUE_1800, policy: { version: 0 } });
    expect(w.promise(O2)).toMatchObject({ deadline: storeAt('16:00'), policy: { version: 1 } });
    // 10:30 is past the new cutoff, though before the old one
    expect(w.promise(promiseId('O-3', 'same-day-delivery')).status).toBe('NOT_ELIGIBLE');
    // a second edit while both are open
    const again = await w.sla.putPolicy('same-day-delivery', {
      ...defaultPolicy('same-day-delivery'),
      compensation: { coupon: yuan(1) },
    });
    expect(again).toMatchObject({ created: false, policy: { version: 2 } });
    await w.runUntil(storeAt('23:00'));
    expect(compensationOf(w.promise(SAME_DAY)).amount).toEqual(yuan(20));
    expect(compensationOf(w.promise(O2)).amount).toEqual(yuan(50));
    expect(w.promise(O2).breachedAt).toBe(storeAt('16:00'));
    const views = await w.sla.promisesOf('order', 'O-1');
    expect(views.find((v) => v.promiseId === SAME_DAY)).toMatchObject({
      policyVersion: 0,
      policy: { compensation: { coupon: yuan(20) } },
    });
    expect((await w.sla.promisesOf('order', 'O-2')).find((v) => v.promiseId === O2)?.policyVersion).toBe(1);
    expect((await w.sla.policies()).find((p) => p.policyId === 'same-day-delivery')).toMatchObject({
      version: 2,
      compensation: { coupon: yuan(1) },
    });
  });

  it('a switched-off policy starts no new promises; the open ones still run', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('09:00')));
    await w.sla.putPolicy('same-day-delivery', { ...defaultPolicy('same-day-delivery'), active: false });
    await w.emit('OrderPaid', orderPaid('O-2', storeAt('09:00')));
    expect(w.store.promises.has(promiseId('O-2', 'same-day-delivery'))).toBe(false);
    await w.runUntil(storeAt('23:00'));
    expect(w.promise(SAME_DAY).status).toBe('BREACHED');
  });

  it('putPolicy: a bad body is a ValidationError; two concurrent first saves → one ConflictError', async () => {
    const w = world();
    await expect(
      w.sla.putPolicy('same-day-delivery', { ...defaultPolicy('same-day-delivery'), capPerOrder: null }),
    ).rejects.toBeInstanceOf(ValidationError);
    const results = await Promise.allSettled([
      w.sla.putPolicy('new-one', defaultPolicy('dispatch-24h')),
      w.sla.putPolicy('new-one', { ...defaultPolicy('dispatch-24h'), compensation: { coupon: yuan(6) } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConflictError);
  });
});

describe('events out of order', () => {
  it('delivered before the OrderPaid arrives → the same-day promise is KEPT at registration, no timer', async () => {
    const w = world();
    await w.emit('OrderDelivered', delivered('O-1', storeAt('15:00')), { arrivesAt: storeAt('15:00') });
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('14:00')), { arrivesAt: storeAt('15:01') });
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('10:00')), { arrivesAt: storeAt('15:02') });
    expect(w.promise(SAME_DAY)).toMatchObject({ status: 'KEPT', fulfilledAt: storeAt('15:00') });
    expect(w.promise(DISPATCH)).toMatchObject({ status: 'KEPT', fulfilledAt: storeAt('14:00') });
    expect(w.published('PromiseRegistered', SAME_DAY).map((e) => e.data.status)).toEqual(['OPEN']);
    expect(w.published('PromiseKept', SAME_DAY)).toHaveLength(1);
    expect(w.timers.log.filter((t) => t.op === 'set')).toEqual([]);
    await w.runUntil(storeAt('12:00', '2026-11-27'));
    expect(w.published('CompensationIssued')).toEqual([]);
  });

  it('delivered late, the delivery arriving before the OrderPaid → breached at registration, late recorded', async () => {
    const w = world();
    await w.emit('OrderDelivered', delivered('O-1', storeAt('19:00')), { arrivesAt: storeAt('19:00') });
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('10:00')), { arrivesAt: storeAt('19:01') });
    expect(w.promise(SAME_DAY)).toMatchObject({
      status: 'BREACHED',
      fulfilledAt: storeAt('19:00'),
      lateSeconds: 3_600,
      compensation: { amount: yuan(20) },
    });
  });

  it('an OrderDelivered handled before its OrderPaid fails to be retried, so the installation is not lost', async () => {
    const w = world();
    const sent = storeAt('15:00');
    const event = { eventId: 'evt-delivered', publishedAt: sent };
    await expect(
      w.emit('OrderDelivered', delivered('O-9', sent), { ...event, arrivesAt: sent }),
    ).rejects.toBeInstanceOf(OrderNotYetKnownError);
    expect(w.store.promises.has(promiseId('O-9', 'installation-48h'))).toBe(false);
    // The OrderPaid comes in; Lambda's retry a minute later finds the order.
    await w.emit('OrderPaid', orderPaid('O-9', storeAt('13:00'), { skus: ['SKU-SOFA'] }), {
      arrivesAt: plus(sent, 20),
    });
    await w.emit('OrderDelivered', delivered('O-9', sent), { ...event, arrivesAt: plus(sent, 60) });
    expect(w.promise(promiseId('O-9', 'installation-48h'))).toMatchObject({
      status: 'OPEN',
      deadline: plus(sent, 48 * 3_600),
    });
  });

  it('an order never seen: after the wait its installation is NOT_ELIGIBLE with the reason', async () => {
    const w = world();
    const sent = storeAt('15:00');
    const event = { eventId: 'evt-delivered', publishedAt: sent };
    await expect(
      w.emit('OrderDelivered', delivered('O-8', sent), { ...event, arrivesAt: plus(sent, 60) }),
    ).rejects.toThrow(/order O-8 is not known yet/);
    await w.emit('OrderDelivered', delivered('O-8', sent), {
      ...event,
      arrivesAt: plus(sent, ORDER_WAIT_SECONDS + 30),
    });
    expect(w.promise(promiseId('O-8', 'installation-48h'))).toMatchObject({
      status: 'NOT_ELIGIBLE',
      reason: "the order's lines are unknown; the promise needs one in furniture, appliances",
    });
    // A duplicate of the event later changes nothing and does not fail.
    await w.emit('OrderDelivered', delivered('O-8', sent), {
      eventId: 'evt-again',
      publishedAt: plus(sent, 1),
    });
    const announced = w.published('PromiseRegistered', promiseId('O-8', 'installation-48h'));
    expect(new Set(announced.map((e) => e.eventId)).size).toBe(1);
    expect(w.promise(promiseId('O-8', 'installation-48h')).status).toBe('NOT_ELIGIBLE');
  });

  it('an OrderPaid processed after its deadline (a replay) breaches at once; its duplicate changes nothing', async () => {
    const w = world({ start: storeAt('20:00') });
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('10:00')));
    expect(w.promise(SAME_DAY)).toMatchObject({ status: 'BREACHED', breachedAt: DUE_1800 });
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('10:00')));
    expect(w.published('CompensationIssued', SAME_DAY)).toHaveLength(1);
  });
});

describe('the SLA ledger: breaches in [from, to), totals per kind, paged', () => {
  /** Six breaches over two days: two orders (same-day, dispatch) and a ticket (first response, resolution). */
  async function ledgerWorld() {
    const w = world({ start: storeAt('08:00') });
    await w.emit('TicketOpened', ticketOpened('T-1', null, storeAt('08:00')));
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('09:00')));
    await w.emit('OrderPaid', orderPaid('O-2', storeAt('11:00')), { arrivesAt: storeAt('11:00') });
    await w.runUntil(storeAt('12:00', '2026-11-27'));
    return w;
  }
  const breachIds = [
    ticketPromiseId('T-1', 'ticket-first-response'), // 2026-11-24T02:00Z
    promiseId('O-1', 'same-day-delivery'), // 2026-11-24T10:00Z
    promiseId('O-2', 'same-day-delivery'), // 2026-11-24T10:00Z
    ticketPromiseId('T-1', 'ticket-resolution'), // 2026-11-25T00:00Z
    promiseId('O-1', 'dispatch-24h'), // 2026-11-25T01:00Z
    promiseId('O-2', 'dispatch-24h'), // 2026-11-25T03:00Z
  ];

  it('a deadline at `from` is in, one at `to` is out; oldest first; totals per kind', async () => {
    const w = await ledgerWorld();
    const ledger = await w.sla.ledger({ from: '2026-11-24T10:00:00+08:00', to: '2026-11-25T01:00:00Z' });
    expect(ledger.from).toBe('2026-11-24T02:00:00.000Z');
    expect(ledger.to).toBe('2026-11-25T01:00:00.000Z');
    expect(ledger.items.map((i) => i.promiseId)).toEqual(breachIds.slice(0, 4));
    expect(ledger.items[1]).toEqual({
      promiseId: breachIds[1],
      policyId: 'same-day-delivery',
      kind: 'delivery',
      orderId: 'O-1',
      ticketId: null,
      deadline: DUE_1800,
      breachedAt: DUE_1800,
      fulfilledAt: null,
      lateSeconds: null,
      compensation: expect.objectContaining({
        amount: yuan(20),
        idempotencyKey: idempotencyKeyOf('O-1', breachIds[1]!),
      }),
    });
    expect(ledger.totals).toEqual([
      { kind: 'delivery', count: 2, amount: yuan(40) },
      { kind: 'first-response', count: 1, amount: yuan(5) },
      { kind: 'resolution', count: 1, amount: yuan(10) },
    ]);
    expect(ledger.nextCursor).toBeNull();
  });

  it('a late fulfilment shows in the ledger with its delay', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('09:00')));
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('09:30')));
    await w.emit('OrderDelivered', delivered('O-1', storeAt('19:30')), { arrivesAt: storeAt('19:30') });
    const { items } = await w.sla.ledger({ from: `${DAY1}T00:00:00Z`, to: '2026-11-26T00:00:00Z' });
    expect(items).toEqual([
      expect.objectContaining({ promiseId: SAME_DAY, fulfilledAt: storeAt('19:30'), lateSeconds: 5_400 }),
    ]);
  });

  it('one kind only', async () => {
    const w = await ledgerWorld();
    const ledger = await w.sla.ledger({
      from: '2026-11-20T00:00:00Z',
      to: '2026-11-30T00:00:00Z',
      kind: 'dispatch',
    });
    expect(ledger.items.map((i) => i.promiseId)).toEqual(breachIds.slice(4));
    expect(ledger.totals).toEqual([{ kind: 'dispatch', count: 2, amount: yuan(10) }]);
  });

  it('paging: following nextCursor visits every breach once, in order', async () => {
    const w = await ledgerWorld();
    for (const [limit, kind] of [
      [1, undefined],
      [2, undefined],
      [4, undefined],
      [2, 'delivery'],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await w.sla.ledger({
          from: '2026-11-20T00:00:00Z',
          to: '2026-11-30T00:00:00Z',
          limit: String(limit),
          ...(kind ? { kind } : {}),
          ...(cursor ? { cursor } : {}),
        });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        expect(page.totals.reduce((n, t) => n + t.count, 0)).toBe(kind ? 2 : 6);
        seen.push(...page.items.map((i) => i.promiseId));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor && pages < 20);
      expect(seen).toEqual(kind ? breachIds.slice(1, 3) : breachIds);
    }
  });

  it('validation errors name the field', async () => {
    const w = world();
    const fieldsOf = async (query: unknown) => {
      try {
        await w.sla.ledger(query);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        return (error as ValidationError).issues.map((i) => i.field);
      }
      throw new Error(`accepted ${JSON.stringify(query)}`);
    };
    const range = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
    expect((await fieldsOf({})).sort()).toEqual(['from', 'to']);
    expect(await fieldsOf(undefined)).toEqual(expect.arrayContaining(['from', 'to']));
    expect(await fieldsOf({ ...range, from: 'yesterday' })).toEqual(['from']);
    expect(await fieldsOf({ ...range, to: '2026-13-01T00:00:00Z' })).toEqual(['to']);
    expect(await fieldsOf({ ...range, from: '1999-01-01T00:00:00Z' })).toEqual(['from']);
    for (const limit of ['0', '501', 'abc', '1.5', '-1']) {
      expect(await fieldsOf({ ...range, limit })).toEqual(['limit']);
    }
    for (const cursor of ['', 'not-a-cursor', Buffer.from('{"gsi1sk":3}').toString('base64url')]) {
      expect(await fieldsOf({ ...range, cursor })).toEqual(['cursor']);
    }
    expect(await fieldsOf({ ...range, kind: '' })).toEqual(['kind']);
    try {
      await w.sla.ledger({ from: range.to, to: range.to });
      throw new Error('accepted an empty range');
    } catch (error) {
      expect((error as ValidationError).issues).toEqual([
        { field: 'to', reason: 'must be after from (2026-12-01T00:00:00.000Z)' },
      ]);
    }
    // limits 1 and 500 are fine, and an empty range of time has no breaches
    for (const limit of ['1', '500', 500]) {
      expect((await w.sla.ledger({ ...range, limit })).items).toEqual([]);
    }
  });
});

describe('retries and restarts: a failed step, delivered again, finishes what it started', () => {
  /** The next publish of an event of this detail type fails (the bus is down), once. */
  function failPublishOnce(w: World, detailType: string) {
    const publish = w.publisher.publish.bind(w.publisher);
    let armed = true;
    w.publisher.publish = async (events) => {
      if (armed && events.some((e) => e.detailType === detailType)) {
        armed = false;
        throw new Error('bus unavailable');
      }
      return publish(events);
    };
  }
  /** Fires the named due timer by hand (Scheduler), returning its payload for a retry. */
  function dueTimer(w: World, at: string) {
    const t = w.timers.takeDue(at);
    if (!t) throw new Error(`no timer due at ${at}`);
    w.clock.set(t.at);
    return t.payload;
  }

  it('the timer could not be set: the redelivered start event sets it', async () => {
    const w = world();
    w.timers.failSets = 1;
    const paid = orderPaid('O-1', storeAt('11:30'));
    await expect(w.emit('OrderPaid', paid, { eventId: 'evt-paid' })).rejects.toThrow('scheduler unavailable');
    expect(w.promise(SAME_DAY).status).toBe('OPEN');
    await w.emit('OrderPaid', paid, { eventId: 'evt-paid' });
    expect(w.timers.pending.get(timerName(SAME_DAY, 'deadline'))?.at).toBe(plus(DUE_1800, SLA_GRACE_SECONDS));
    await w.runUntil(storeAt('23:00'));
    expect(compensationOf(w.promise(SAME_DAY)).amount).toEqual(yuan(20));
  });

  it('PromiseRegistered could not be published: the redelivered start event publishes it', async () => {
    const w = world();
    failPublishOnce(w, 'PromiseRegistered');
    const paid = orderPaid('O-1', storeAt('11:30'));
    await expect(w.emit('OrderPaid', paid)).rejects.toThrow('bus unavailable');
    await w.emit('OrderPaid', paid);
    expect(w.published('PromiseRegistered', SAME_DAY)).toHaveLength(1);
    expect(w.timers.pending.has(timerName(SAME_DAY, 'deadline'))).toBe(true);
  });

  it('the breach failed before its compensation: the retried timer issues it, once', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:30')));
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('12:00')));
    const timer = dueTimer(w, storeAt('19:00'));
    w.store.failNext.reserve = 1;
    await expect(w.sla.onTimer(timer)).rejects.toThrow('store unavailable');
    expect(w.promise(SAME_DAY)).toMatchObject({ status: 'BREACHED', compensation: null });
    await w.sla.onTimer(timer);
    expect(compensationOf(w.promise(SAME_DAY)).amount).toEqual(yuan(20));
    await w.sla.onTimer(timer);
    const issued = w.published('CompensationIssued', SAME_DAY);
    expect(new Set(issued.map((e) => e.eventId)).size).toBe(1);
    expect(issued.length).toBeGreaterThanOrEqual(1);
    expect(w.store.reservations.filter((r) => r.promiseId === SAME_DAY)).toHaveLength(1);
  });

  it('CompensationIssued could not be published: the retried timer announces the stored compensation', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:30')));
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('12:00')));
    const timer = dueTimer(w, storeAt('19:00'));
    failPublishOnce(w, 'CompensationIssued');
    await expect(w.sla.onTimer(timer)).rejects.toThrow('bus unavailable');
    const stored = compensationOf(w.promise(SAME_DAY));
    expect(w.published('CompensationIssued', SAME_DAY)).toEqual([]);
    w.clock.advance(60); // Scheduler retries a minute later
    await w.sla.onTimer(timer);
    expect(w.published('CompensationIssued', SAME_DAY).map((e) => e.data)).toEqual([
      expect.objectContaining({
        amount: yuan(20),
        idempotencyKey: stored.idempotencyKey,
        issuedAt: stored.issuedAt,
      }),
    ]);
    expect(compensationOf(w.promise(SAME_DAY))).toEqual(stored);
  });

  it("the last tier's CompensationIssued could not be published: the retried final-tier timer announces it", async () => {
    const SHIP = promiseId('P-1', 'presale-ship-by');
    const w = world();
    const shipBy = plus(storeAt('10:00'), 30 * DAY_S);
    await w.emit('PresaleFulfilmentPromised', shipByPromised('P-1', storeAt('10:00'), shipBy));
    await w.runUntil(plus(shipBy, DAY_S));
    const timer = dueTimer(w, plus(shipBy, 8 * DAY_S));
    expect(timer.timer).toBe('final-tier');
    failPublishOnce(w, 'CompensationIssued');
    await expect(w.sla.onTimer(timer)).rejects.toThrow('bus unavailable');
    await w.sla.onTimer(timer);
    expect(w.published('CompensationIssued', SHIP).map((e) => e.data.amount)).toEqual([yuan(100)]);
  });

  it('a late shipment failed before its tiered compensation: the redelivered event issues it', async () => {
    const SHIP = promiseId('P-1', 'presale-ship-by');
    const w = world();
    const shipBy = plus(storeAt('10:00'), 30 * DAY_S);
    await w.emit('PresaleFulfilmentPromised', shipByPromised('P-1', storeAt('10:00'), shipBy));
    await w.runUntil(plus(shipBy, DAY_S));
    const shipped = dispatched('P-1', plus(shipBy, 2 * DAY_S));
    await w.runUntil(plus(shipBy, 2 * DAY_S));
    w.store.failNext.reserve = 1;
    await expect(w.emit('ShipmentDispatched', shipped)).rejects.toThrow('store unavailable');
    expect(w.promise(SHIP)).toMatchObject({ fulfilledAt: shipped.dispatchedAt, compensation: null });
    await w.emit('ShipmentDispatched', shipped);
    expect(compensationOf(w.promise(SHIP))).toMatchObject({ amount: yuan(50), lateSeconds: 2 * DAY_S });
    await w.runUntil(plus(shipBy, 30 * DAY_S));
    expect(new Set(w.published('CompensationIssued', SHIP).map((e) => e.eventId)).size).toBe(1);
    expect(w.store.capOf('order:P-1')?.paid).toBe(5_000);
  });

  it('a late delivery inside the grace period: announced once, the deadline timer has nothing left to do', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('11:30')));
    await w.emit('ShipmentDispatched', dispatched('O-1', storeAt('12:00')));
    await w.emit('OrderDelivered', delivered('O-1', storeAt('18:01')), { arrivesAt: storeAt('18:01') });
    await w.runUntil(storeAt('23:00'));
    expect(w.published('CompensationIssued', SAME_DAY)).toHaveLength(1);
    expect(w.published('SlaBreached', SAME_DAY)).toHaveLength(1);
  });
});

describe('instants are compared as instants, however the event wrote them (SPEC §0: stored as UTC)', () => {
  it('delivered at exactly 18:00 written without milliseconds → KEPT', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', '2026-11-24T03:30:00Z'));
    await w.emit('OrderDelivered', delivered('O-1', '2026-11-24T10:00:00Z'), { arrivesAt: storeAt('18:01') });
    expect(w.promise(SAME_DAY)).toMatchObject({ status: 'KEPT', fulfilledAt: DUE_1800 });
    expect(w.promise(SAME_DAY).startedAt).toBe(storeAt('11:30'));
  });

  it('delivered at 17:30 store time written with its +08:00 offset → KEPT, stored in UTC', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', '2026-11-24T11:30:00+08:00'));
    expect(w.promise(SAME_DAY)).toMatchObject({
      status: 'OPEN',
      startedAt: storeAt('11:30'),
      deadline: DUE_1800,
    });
    await w.emit('OrderDelivered', delivered('O-1', '2026-11-24T17:30:00+08:00'), {
      arrivesAt: storeAt('17:31'),
    });
    expect(w.promise(SAME_DAY)).toMatchObject({ status: 'KEPT', fulfilledAt: storeAt('17:30') });
    await w.runUntil(storeAt('23:00'));
    expect(w.published('CompensationIssued', SAME_DAY)).toEqual([]);
  });

  it('dispatched (UTC) before the OrderPaid (with an offset) arrives → KEPT, not breached', async () => {
    const w = world();
    await w.emit('ShipmentDispatched', dispatched('O-1', '2026-11-24T04:00:00Z'), {
      arrivesAt: storeAt('12:01'),
    });
    await w.emit('OrderPaid', orderPaid('O-1', '2026-11-24T11:30:00+08:00'), { arrivesAt: storeAt('12:02') });
    await w.runUntil(storeAt('12:00', '2026-11-26'));
    expect(w.promise(DISPATCH)).toMatchObject({ status: 'KEPT', fulfilledAt: storeAt('12:00') });
  });

  it('the earliest of two fulfilments is kept, whichever way each was written', async () => {
    const w = world();
    await w.emit('OrderPaid', orderPaid('O-1', storeAt('09:00')));
    await w.emit('OrderDelivered', delivered('O-1', '2026-11-24T19:30:00+08:00'), {
      arrivesAt: storeAt('19:31'),
    });
    await w.emit('OrderDelivered', delivered('O-1', '2026-11-24T11:45:00Z'), { arrivesAt: storeAt('19:50') });
    expect(w.promise(SAME_DAY)).toMatchObject({ fulfilledAt: storeAt('19:30'), lateSeconds: 5_400 });
    expect(w.store.fulfilments.get('order#O-1#OrderDelivered')).toBe(storeAt('19:30'));
  });
});

describe('a tiered promise registered late (its start event processed after the deadline)', () => {
  const SHIP = promiseId('P-1', 'presale-ship-by');
  const PAID = storeAt('10:00');
  const SHIP_BY = plus(PAID, 30 * DAY_S);

  it('past the deadline, before the last tier: breached now, the last tier pays when it comes', async () => {
    const w = world({ start: plus(SHIP_BY, DAY_S) });
    await w.emit('PresaleFulfilmentPromised', shipByPromised('P-1', PAID, SHIP_BY));
    expect(w.promise(SHIP)).toMatchObject({ status: 'BREACHED', compensation: null });
    await w.runUntil(plus(SHIP_BY, 30 * DAY_S));
    expect(compensationOf(w.promise(SHIP)).amount).toEqual(yuan(100));
  });

  it('past the last tier too: breached and the last tier paid at once', async () => {
    const w = world({ start: plus(SHIP_BY, 10 * DAY_S) });
    await w.emit('PresaleFulfilmentPromised', shipByPromised('P-1', PAID, SHIP_BY));
    expect(w.promise(SHIP)).toMatchObject({ status: 'BREACHED', breachedAt: SHIP_BY });
    expect(compensationOf(w.promise(SHIP))).toMatchObject({ amount: yuan(100), lateSeconds: 7 * DAY_S });
    expect(w.published('CompensationIssued', SHIP)).toHaveLength(1);
    expect(w.timers.pending.size).toBe(0);
  });
});
