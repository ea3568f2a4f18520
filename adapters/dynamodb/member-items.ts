import type { Coupon } from '#domain/members/coupons';
import type { StoredMemberPolicy } from '#domain/members/policy';
import type { MemberRecord } from '#domain/members/store';

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

export const toMember = (item: Item): MemberRecord => ({
  ...(strip(item) as unknown as MemberRecord),
  version: Number(item.version),
});
export const toCoupon = (item: Item): Coupon => strip(item) as unknown as Coupon;
export const toPolicy = (item: Item): StoredMemberPolicy =>
  ({
    ...(strip(item) as unknown as StoredMemberPolicy),
    version: Number(item.version),
  }) as StoredMemberPolicy;
