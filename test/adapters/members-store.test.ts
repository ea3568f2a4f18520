import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MEMBER_ITEM_BYTES } from '#adapters/dynamodb/member-items';
import { DynamoCustomerPerks } from '#adapters/dynamodb/member-perks';
import { DynamoMemberStore } from '#adapters/dynamodb/members-store';
import { keys } from '#adapters/dynamodb/schema';
import type { EventData } from '#domain/events/catalog';
import type { PublishableEvent } from '#domain/events/publisher';
import { couponCode } from '#domain/members/coupons';
import { emptyMember } from '#domain/members/ledger';
import { bucketOf, members } from '#domain/members/members';
import type { MemberOrder } from '#domain/members/store';
import { ManualClock } from '#domain/shared/clock';
import { ConflictError, NotFoundError, ValidationError } from '#domain/shared/errors';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * The member and coupon ledgers on DynamoDB's wire protocol (dynalite): the conditional writes
 * the exactly-once guarantees rest on (coupon redemption under 20 concurrent checkouts, coupons
 * made once per cause, referral rewards once), tiers up and down, the nightly page, the annual
 * grant, and the perks adapter the quote and SLA compensation read.
 */
let dynamo: LocalDynamo;
let store: DynamoMemberStore;
const clock = new ManualClock('2026-12-02T02:00:00.000Z');
const published: PublishableEvent[] = [];
const ledger = () =>
  members({ store, clock, publisher: { publish: async (e) => void published.push(...e) } });
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const named = (type: string) => published.filter((e) => e.detailType === type);

beforeAll(async () => {
  dynamo = await startLocalDynamo('members-store-test');
  store = new DynamoMemberStore(dynamo.doc, dynamo.tableName);
});
afterAll(async () => {
  await dynamo.stop();
});

let seq = 0;
function paid(
  customerId: string,
  amount: number,
  paidAt = clock.now().toISOString(),
  over: Partial<EventData<'OrderPaid'>> = {},
) {
  const orderId = `o-${++seq}`;
  const data: EventData<'OrderPaid'> = {
    orderId,
    orderName: null,
    shopDomain: null,
    customerId,
    total: cny(amount),
    subtotal: cny(amount),
    lines: [],
    shippingRegion: null,
    placedAt: paidAt,
    paidAt,
    ...over,
  };
  return data;
}
const registered = (
  customerId: string,
  over: Partial<EventData<'CustomerRegistered'>> = {},
): EventData<'CustomerRegistered'> => ({
  customerId,
  email: null,
  phone: null,
  referralCode: null,
  ip: null,
  registeredAt: clock.now().toISOString(),
  ...over,
});

describe('tiers on the store', () => {
  it('climbs to gold on the order that crosses the threshold and falls back to silver on a refund', async () => {
    const m = ledger();
    for (const amount of [100_000, 100_000, 100_000, 100_000]) await m.onOrderPaid(paid('T1', amount), 'e');
    expect((await m.customer('T1')).tier).toBe('silver');
    const crossing = paid('T1', 100_000);
    const result = await m.onOrderPaid(crossing, 'e');
    expect(result.member).toMatchObject({ tier: 'gold', recorded: true });
    // Delivered again: no second order, no second change.
    await m.onOrderPaid(crossing, 'e');
    const gold = await m.customer('T1');
    expect(gold).toMatchObject({ tier: 'gold', window: { spend: cny(500_000), orders: 5 } });
    expect(gold.tierHistory.map((c) => [c.from, c.to, c.direction])).toEqual([
      ['none', 'silver', 'up'],
      ['silver', 'gold', 'up'],
    ]);
    expect(gold.tierHistory[1]!.reason).toMatch(`order ${crossing.orderId} paid`);
    await m.onRefundIssued(
      {
        orderId: crossing.orderId,
        refundId: 'r1',
        amount: cny(1),
        lines: [],
        refundedAt: clock.now().toISOString(),
      },
      'e',
    );
    const silver = await m.customer('T1');
    expect(silver.tier).toBe('silver');
    expect(silver.tierHistory.at(-1)).toMatchObject({
      from: 'gold',
      to: 'silver',
      direction: 'down',
      cause: { type: 'RefundIssued', orderId: crossing.orderId, refundId: 'r1' },
      spend: cny(499_999),
      orders: 5,
      policyVersion: 0,
      rule: 'members/1',
    });
    expect(silver.nextTier).toEqual({ name: 'gold', spend: cny(1), orders: 0 });
    // A refund before its order is known: retried while fresh, then taken as a guest order's.
    const early = {
      orderId: 'o-unknown',
      refundId: 'r0',
      amount: cny(1),
      lines: [],
      refundedAt: clock.now().toISOString(),
    };
    await expect(m.onRefundIssued(early, 'e', clock.now().toISOString())).rejects.toThrow(/not known/);
    expect(
      await m.onRefundIssued(early, 'e', new Date(clock.now().getTime() - 200_000).toISOString()),
    ).toEqual({ member: null });
    const changes = named('MemberTierChanged').filter(
      (e) => (e.detail.data as { customerId: string }).customerId === 'T1',
    );
    expect(new Set(changes.map((e) => e.detail.metadata.eventId)).size).toBe(3);
  });

  it('the nightly page downgrades a member whose order left the window, once', async () => {
    const m = ledger();
    clock.set('2025-06-01T02:00:00.000Z');
    await m.onOrderPaid(paid('N1', 2_000_000), 'e');
    for (let i = 0; i < 11; i++) await m.onOrderPaid(paid('N1', 100), 'e');
    clock.set('2026-05-01T02:00:00.000Z');
    for (let i = 0; i < 12; i++) await m.onOrderPaid(paid('N1', 10_000), 'e');
    expect((await m.customer('N1')).tier).toBe('diamond');
    clock.set('2026-06-02T19:00:00.000Z');
    const context = { run: 'members-nightly-2026-06-03', at: clock.now().toISOString() };
    let changed = 0;
    for (const run of [1, 2]) {
      let cursor: string | null = null;
      do {
        const page = await m.nightlyPage({ context, bucket: bucketOf('N1'), cursor });
        if (run === 1) changed += page.changed;
        cursor = page.cursor;
      } while (cursor);
    }
    const after = await m.customer('N1');
    expect(after.tier).toBe('silver');
    // The run fans out over the buckets that hold customers only.
    const started = await m.nightlyStart({ date: '2026-06-03' }, { name: 'members-nightly-2026-06-03' });
    expect(started.buckets).toContain(bucketOf('N1'));
    expect(started.buckets).toEqual([...new Set(['T1', 'N1'].map(bucketOf))].sort((a, b) => a - b));
    expect(after.tierHistory.at(-1)).toMatchObject({
      from: 'diamond',
      to: 'silver',
      cause: { type: 'nightly' },
    });
    expect(changed).toBeGreaterThanOrEqual(1);
    clock.set('2026-12-02T02:00:00.000Z');
  });
});

describe('the coupon ledger on the store', () => {
  it('20 concurrent redemptions of one coupon: exactly one succeeds', async () => {
    const m = ledger();
    const compensation: EventData<'CompensationIssued'> = {
      promiseId: 'order:9:dispatch-24h',
      policyId: 'dispatch-24h',
      kind: 'dispatch',
      orderId: '9',
      ticketId: null,
      customerId: 'R1',
      type: 'coupon',
      amount: cny(500),
      requested: cny(500),
      capped: false,
      lateSeconds: 0,
      idempotencyKey: 'idem-9',
      rule: 'sla/1',
      issuedAt: clock.now().toISOString(),
    };
    // The SLA coupon enters the ledger once, however often its event comes.
    await Promise.all([
      m.onCompensationIssued(compensation, 'e1'),
      m.onCompensationIssued(compensation, 'e1'),
    ]);
    const coupons = await m.coupons('R1');
    expect(coupons.open).toHaveLength(1);
    const code = couponCode('sla-compensation', 'idem-9');
    expect(coupons.open[0]).toMatchObject({
      code,
      source: 'sla-compensation',
      amount: cny(500),
      ref: { type: 'promise' },
    });

    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => m.redeem(code, { orderId: `checkout-${i}` })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    }
    const winner = (ok[0] as PromiseFulfilledResult<{ coupon: { orderId: string } }>).value.coupon.orderId;
    // The winner asking again: the same redemption.
    expect(await m.redeem(code, { orderId: winner })).toMatchObject({
      redeemed: false,
      coupon: { status: 'redeemed' },
    });
    expect((await m.coupons('R1')).used[0]).toMatchObject({
      code,
      status: 'redeemed',
      orderId: winner,
      redeemedVia: 'api',
    });
    await expect(m.redeem('SLA-000000000000', { orderId: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(m.redeem(code, {})).rejects.toBeInstanceOf(ValidationError);
  });

  it('a paid order carrying the code in its discount codes redeems it (the customer’s own only)', async () => {
    const m = ledger();
    await m.onCompensationIssued(
      {
        promiseId: 'order:10:dispatch-24h',
        policyId: 'dispatch-24h',
        kind: 'dispatch',
        orderId: '10',
        ticketId: null,
        customerId: 'S1',
        type: 'coupon',
        amount: cny(500),
        requested: cny(500),
        capped: false,
        lateSeconds: 0,
        idempotencyKey: 'idem-10',
        rule: 'sla/1',
        issuedAt: clock.now().toISOString(),
      },
      'e',
    );
    const code = couponCode('sla-compensation', 'idem-10');
    const stranger = await m.onOrderPaid(paid('S2', 1000, undefined, { discountCodes: [code] }), 'e');
    expect(stranger.redeemed).toEqual([
      { code, redeemed: false, reason: expect.stringMatching(/another customer/) },
    ]);
    const own = paid('S1', 1000, undefined, { discountCodes: [code] });
    expect((await m.onOrderPaid(own, 'e')).redeemed).toEqual([{ code, redeemed: true, reason: null }]);
    expect((await m.coupons('S1')).used[0]).toMatchObject({ orderId: own.orderId, redeemedVia: 'shopify' });
  });
});

describe('referrals on the store', () => {
  it('rewards inviter and invitee once under duplicate deliveries; a refund in the window cancels unused coupons', async () => {
    const m = ledger();
    const { code } = await m.referralCode('A1');
    expect((await m.referralCode('A1')).code).toBe(code);
    await m.onCustomerRegistered(registered('A1', { email: 'a1@example.com' }), 'e');
    await m.onCustomerRegistered(
      registered('B1', { email: 'b1@example.com', referralCode: code, ip: '198.51.100.1' }),
      'e',
    );
    expect((await m.customer('B1')).invitedBy).toMatchObject({ customerId: 'A1', status: 'pending' });
    const first = paid('B1', 5000);
    await Promise.all([m.onOrderPaid(first, 'e'), m.onOrderPaid(first, 'e'), m.onOrderPaid(first, 'e')]);
    await m.onOrderPaid(paid('B1', 5000), 'e');
    expect((await m.customer('B1')).invitedBy).toMatchObject({ status: 'rewarded', orderId: first.orderId });
    expect((await m.coupons('A1')).open.map((c) => [c.source, c.amount.amount])).toEqual([
      ['referral', 2000],
    ]);
    expect((await m.coupons('B1')).open).toHaveLength(1);
    expect(new Set(named('ReferralRewarded').map((e) => e.detail.metadata.eventId)).size).toBe(1);
    const board = await m.leaderboard({ period: 'month' });
    expect(board.items).toEqual([{ rank: 1, customerId: 'A1', rewarded: 1, reachedAt: first.paidAt }]);

    // The invitee uses theirs; then returns the first order inside 7 days: the inviter's is cancelled.
    const inviteeCode = (await m.coupons('B1')).open[0]!.code;
    await m.redeem(inviteeCode, { orderId: 'later' });
    clock.advance(3 * 86_400);
    await m.onRefundIssued(
      {
        orderId: first.orderId,
        refundId: 'rf-1',
        amount: cny(5000),
        lines: [],
        refundedAt: clock.now().toISOString(),
      },
      'e',
    );
    expect((await m.coupons('A1')).used[0]).toMatchObject({
      status: 'cancelled',
      cancelReason: expect.stringMatching(/no-reason-return/),
    });
    expect((await m.coupons('B1')).used[0]).toMatchObject({ status: 'redeemed' });
    expect((await m.customer('B1')).invitedBy?.status).toBe('cancelled');
    expect((await m.leaderboard({ period: 'month' })).items).toEqual([]);
  });

  it('refuses self-referral (same customer, same email, same phone) with the reason', async () => {
    const m = ledger();
    const { code } = await m.referralCode('C1');
    await m.onCustomerRegistered(registered('C1', { referralCode: code }), 'e');
    expect((await m.customer('C1')).invitedBy).toMatchObject({
      status: 'refused',
      reason: expect.stringMatching(/same customer/),
    });
    await m.onCustomerRegistered(
      registered('C2', { email: 'Same@Example.com', phone: '+86 139 0000 0002' }),
      'e',
    );
    const c2 = await m.referralCode('C2');
    await m.onCustomerRegistered(registered('C3', { email: 'same@example.com', referralCode: c2.code }), 'e');
    await m.onCustomerRegistered(registered('C4', { phone: '8613900000002', referralCode: c2.code }), 'e');
    expect((await m.customer('C3')).invitedBy?.reason).toMatch(/same email/);
    expect((await m.customer('C4')).invitedBy?.reason).toMatch(/same phone/);
    await m.onOrderPaid(paid('C3', 5000), 'e');
    expect(await m.coupons('C2')).toMatchObject({ open: [], used: [] });
    expect(named('ReferralRefused').length).toBeGreaterThanOrEqual(3);
  });

  it('holds the 11th rewarded referral of a week from one IP for review', async () => {
    const m = ledger();
    const { code } = await m.referralCode('IPX');
    for (let i = 0; i < 11; i++) {
      await m.onCustomerRegistered(registered(`ip-${i}`, { referralCode: code, ip: '203.0.113.9' }), 'e');
      await m.onOrderPaid(paid(`ip-${i}`, 1000), 'e');
    }
    const statuses = await Promise.all(
      Array.from({ length: 11 }, async (_, i) => (await m.customer(`ip-${i}`)).invitedBy),
    );
    expect(statuses.filter((s) => s?.status === 'rewarded')).toHaveLength(10);
    expect(statuses[10]).toMatchObject({
      status: 'held',
      reason: expect.stringMatching(/more than 10 .* held for review/),
    });
  });
});

describe('the annual free order and the perks adapter', () => {
  it('grants last year’s top inviters once, whatever the repeats', async () => {
    const m = ledger();
    clock.set('2026-12-31T16:05:00.000Z'); // 00:05 on 1 January 2027, Shanghai
    const first = await m.grantAnnual();
    expect(first.year).toBe('2026');
    expect(first.winners).toBeGreaterThan(0);
    expect(first.created).toBe(first.winners);
    clock.advance(60);
    expect(await m.grantAnnual()).toMatchObject({ year: '2026', created: 0, winners: first.winners });
    const free = (await m.coupons('IPX')).open.filter((c) => c.source === 'annual-free-order');
    expect(free).toHaveLength(1);
    expect(free[0]!.expiresAt).toBe('2027-12-31T16:00:00.000Z');
    clock.set('2026-12-02T02:00:00.000Z');
  });

  it('perks and coupons through the ports the quote and SLA compensation use', async () => {
    const perks = new DynamoCustomerPerks(dynamo.doc, dynamo.tableName, clock);
    expect(await perks.perksOf('T1')).toEqual({
      tier: 'silver',
      discountBps: 200,
      slaMultiplierBps: 12_000,
      newUser: false,
    });
    expect(await perks.perksOf('never-seen')).toEqual({
      tier: 'none',
      discountBps: 0,
      slaMultiplierBps: 10_000,
      newUser: true,
    });
    const code = couponCode('sla-compensation', 'idem-9');
    expect(await perks.findCoupon(code)).toMatchObject({
      code,
      customerId: 'R1',
      status: 'redeemed',
      source: 'sla-compensation',
    });
    expect(await perks.findCoupon('NOPE')).toBeUndefined();
  });
});

describe('the member policy on the store', () => {
  it('is versioned: the defaults at version 0, each PUT a new version; a bad one stores nothing', async () => {
    const m = ledger();
    expect(await m.policy()).toMatchObject({ version: 0, updatedAt: null, windowMonths: 12 });
    const first = await m.putPolicy({ referral: { reward: cny(3_000) } });
    expect(first).toMatchObject({
      created: true,
      policy: { version: 1, referral: { reward: cny(3_000), leaderboardTop: 10 } },
    });
    expect((await m.putPolicy({})).policy.version).toBe(2);
    await expect(m.putPolicy({ windowMonths: 'twelve' })).rejects.toBeInstanceOf(ValidationError);
    expect(await m.policy()).toMatchObject({ version: 2, referral: { reward: cny(2_000) } });
  });
});

describe('a member record’s orders on the store', () => {
  const orders = (n: number, id: (i: number) => string): MemberOrder[] =>
    Array.from({ length: n }, (_, i) => ({
      orderId: id(i),
      paidAt: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 60_000).toISOString(),
      paid: 12_900 + i,
      refunded: 0,
      currency: 'CNY',
      refunds: [],
    }));
  const raw = async (customerId: string) =>
    (await dynamo.doc.send(new GetCommand({ TableName: dynamo.tableName, Key: keys.member(customerId) })))
      .Item!;

  it('are one gzipped value, read back whole; a customer with 5,000 orders in the window fits', async () => {
    // ~95 bytes an order as a list of maps: 5,000 orders were ~475 KB, over DynamoDB's 400 KB.
    const record = {
      ...emptyMember('BIG-BUYER'),
      orders: orders(5_000, (i) => String(6_000_000_000_000 + i)),
    };
    expect(await store.putMember(record)).toBe(true);
    const item = await raw('BIG-BUYER');
    expect(item.orders).toBeUndefined();
    expect(item.ordersZ).toBeInstanceOf(Uint8Array);
    expect((item.ordersZ as Uint8Array).byteLength).toBeLessThan(100_000);
    const back = await store.getMember('BIG-BUYER');
    expect(back).toEqual({ ...record, version: 1 });
    // A paid order on top of them: counted once, the record rewritten with 5,001.
    const m = ledger();
    const order = paid('BIG-BUYER', 10_000);
    await m.onOrderPaid(order, 'evt-big-1');
    await m.onOrderPaid(order, 'evt-big-1');
    const after = await store.getMember('BIG-BUYER');
    expect(after?.orders).toHaveLength(5_001);
    expect(after?.orders.at(-1)).toMatchObject({ orderId: order.orderId, paid: 10_000 });
  });

  it('reads a record written before, its orders a list', async () => {
    const [order] = orders(1, () => 'o-old-1');
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: {
          ...keys.member('OLD-FORMAT'),
          entity: 'Member',
          ...emptyMember('OLD-FORMAT'),
          orders: [order],
          version: 3,
        },
      }),
    );
    expect(await store.getMember('OLD-FORMAT')).toMatchObject({ orders: [order], version: 3 });
  });

  it('refuses a record over the item limit with a message naming the customer, storing nothing', async () => {
    // Random ids do not compress: ~20,000 of them are over the limit even gzipped.
    const record = {
      ...emptyMember('HUGE-BUYER'),
      orders: orders(20_000, () => randomBytes(16).toString('hex')),
    };
    await expect(store.putMember(record)).rejects.toThrow(
      new RegExp(
        `customer HUGE-BUYER would be \\d+ KB \\(20000 orders in the window.*over the ${MAX_MEMBER_ITEM_BYTES / 1000} KB`,
      ),
    );
    expect(await store.getMember('HUGE-BUYER')).toBeNull();
  });
});
