import { gunzipSync, gzipSync } from 'node:zlib';
import type { Coupon } from '#domain/members/coupons';
import type { StoredMemberPolicy } from '#domain/members/policy';
import type { MemberOrder, MemberRecord } from '#domain/members/store';

/**
 * The members' items as records: shared by the members store and the read-only perks adapter
 * (member-perks.ts), so the checkout quote reads a customer, the policy and a coupon without
 * bundling the whole members store and the members' use cases.
 */
export type Item = Record<string, unknown>;

export const strip = (item: Item): Item => {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entity: _e, ...rest } = item;
  return rest;
};

/**
 * DynamoDB's item size limit, less room for the keys and the index entry: a member record that
 * would pass it is refused with a message naming the customer, never sent to fail as a
 * ValidationException.
 */
export const MAX_MEMBER_ITEM_BYTES = 380_000;

/**
 * A member's window of paid orders, as one gzipped JSON value (`ordersZ`). As a list of maps it
 * was ~95 bytes an order and thousands of values for the SDK to marshal and the table to check on
 * every write of the record: a customer with ~4,000 orders in 12 months reached the 400 KB item
 * limit, and each order rewrote all of them. Gzipped, an order is ~15–25 bytes, one value.
 */
export function encodeOrders(orders: readonly MemberOrder[]): Uint8Array {
  return gzipSync(JSON.stringify(orders));
}

export const toMember = (item: Item): MemberRecord => {
  const { ordersZ, orders, ...rest } = strip(item);
  return {
    ...(rest as unknown as MemberRecord),
    // Records written before the orders were gzipped hold them as a list.
    orders:
      ordersZ instanceof Uint8Array
        ? (JSON.parse(gunzipSync(ordersZ).toString('utf8')) as MemberOrder[])
        : ((orders as MemberOrder[] | undefined) ?? []),
    version: Number(item.version),
  };
};

/** A member record as stored: its orders gzipped (see {@link encodeOrders}). */
export function memberAttributes(record: MemberRecord): Item {
  const { orders, ...rest } = record;
  const ordersZ = encodeOrders(orders);
  const bytes = ordersZ.byteLength + Buffer.byteLength(JSON.stringify(rest));
  if (bytes > MAX_MEMBER_ITEM_BYTES) {
    throw new Error(
      `member record of customer ${record.customerId} would be ${Math.ceil(bytes / 1024)} KB (${orders.length} orders in the window, ${record.tierHistory.length} tier changes), over the ${MAX_MEMBER_ITEM_BYTES / 1000} KB a DynamoDB item can hold`,
    );
  }
  return { ...rest, ordersZ };
}
export const toCoupon = (item: Item): Coupon => strip(item) as unknown as Coupon;
export const toPolicy = (item: Item): StoredMemberPolicy =>
  ({
    ...(strip(item) as unknown as StoredMemberPolicy),
    version: Number(item.version),
  }) as StoredMemberPolicy;
