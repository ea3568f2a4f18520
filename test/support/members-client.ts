import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Body } from './api-body.ts';
import { orderPaidPayload, slaClient } from './sla-client.ts';

/** Starts a fresh data directory's virtual clock at `at` (the runtime reads clock.json when it starts). */
export function startClockAt(dataDir: string, at: string) {
  writeFileSync(join(dataDir, 'clock.json'), JSON.stringify({ now: at }));
}

/** A deterministic coin: true about `p` of the time (a linear congruential generator from `seed`). */
export function coin(seed: number, p: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32 < p;
  };
}

/**
 * Drives members and referrals on a running local runtime as the platforms and an operator do:
 * signed storeflow `customer.registered`, signed Shopify orders and refunds (with duplicate
 * deliveries), the members operations API and the virtual clock.
 */
export function membersClient(url: string, dataDir: string, duplicate: () => boolean = () => false) {
  const sf = slaClient(url, dataDir);
  let envelopes = 0;
  let deliveries = 0;
  const expect200 = async (res: Response, what: string) => {
    if (res.status !== 200) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  };
  const client = {
    ...sf,
    /** `customer.registered`, delivered again (same id) when the coin says so. */
    async register(data: Record<string, unknown>) {
      const id = `reg-${++envelopes}`;
      const at = await sf.now();
      await expect200(await sf.storeflow('customer.registered', data, at, id), `register ${data.customerId}`);
      let again = 0;
      while (duplicate()) {
        again++;
        await expect200(
          await sf.storeflow('customer.registered', data, at, id),
          `register again ${data.customerId}`,
        );
      }
      return again;
    },
    /**
     * A paid order (Shopify orders/paid) for a customer; duplicates: the same delivery again, or the
     * same signed body under a new webhook id (the same fact).
     */
    async pay(
      orderId: number,
      customerId: number,
      total: string,
      options: { paidAt?: number; lines?: Record<string, number>; discountCodes?: string[] } = {},
    ) {
      const paidAt = options.paidAt ?? (await sf.now());
      const payload = {
        ...orderPaidPayload(orderId, paidAt, { lines: options.lines ?? { GIFT: 1 }, total, customerId }),
        discount_codes: (options.discountCodes ?? []).map((code) => ({
          code,
          amount: '0.00',
          type: 'fixed_amount',
        })),
      };
      const webhookId = `mem-${++deliveries}`;
      await expect200(await sf.shopifyAs('orders/paid', payload, webhookId), `orders/paid ${orderId}`);
      let again = 0;
      while (duplicate()) {
        again++;
        const id = again % 2 === 0 ? webhookId : `mem-${++deliveries}`;
        await expect200(await sf.shopifyAs('orders/paid', payload, id), `orders/paid again ${orderId}`);
      }
      return again;
    },
    async refund(orderId: number, refundId: number, amount: string, at?: number) {
      const refundedAt = at ?? (await sf.now());
      await expect200(
        await sf.shopifyAs(
          'refunds/create',
          {
            id: refundId,
            order_id: orderId,
            created_at: new Date(refundedAt).toISOString(),
            transactions: [{ amount, currency: 'CNY', kind: 'refund', status: 'success' }],
            refund_line_items: [],
          },
          `mem-${++deliveries}`,
        ),
        `refunds/create ${orderId}`,
      );
    },
    async customer(id: string | number): Promise<Body> {
      return sf.ok('GET', `/api/customers/${id}`);
    },
    async coupons(id: string | number): Promise<Body> {
      return sf.ok('GET', `/api/customers/${id}/coupons`);
    },
    async code(id: string | number): Promise<string> {
      return (await sf.ok('POST', `/api/customers/${id}/referral-code`)).code;
    },
    async customerTimeline(id: string | number): Promise<Body[]> {
      return (await sf.ok('GET', `/api/customers/${id}/timeline?limit=1000`)).items;
    },
    async lines(id: string | number, name: string): Promise<Body[]> {
      return (await client.customerTimeline(id)).filter((l: Body) => l.name === name);
    },
  };
  return client;
}
export type MembersClient = ReturnType<typeof membersClient>;
