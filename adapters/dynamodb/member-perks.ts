import { couponViewOf, perksOf } from '#domain/members/perks';
import { DEFAULT_MEMBER_POLICY } from '#domain/members/policy';
import type { Clock } from '#domain/shared/clock';
import type {
  CouponLookup,
  CouponView,
  CustomerPerks,
  CustomerPerksSource,
} from '#domain/shared/customer-perks';
import { type DocumentClient, getItem } from './client.ts';
import { toCoupon, toMember, toPolicy } from './member-items.ts';
import { keys } from './schema.ts';

/**
 * The members' side of the seams in domain/shared/customer-perks.ts: the checkout quote (issue #17)
 * and SLA compensation read a customer's tier and new-user status and the coupon ledger through
 * these, never through the members feature. Reads only (GetItem), on the members' items directly
 * (member-items.ts) so these functions do not bundle the members store.
 */
export class DynamoCustomerPerks implements CustomerPerksSource, CouponLookup {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {}

  async perksOf(customerId: string): Promise<CustomerPerks> {
    const [member, policy] = await Promise.all([
      getItem(this.db, this.tableName, keys.member(customerId)),
      getItem(this.db, this.tableName, keys.memberPolicy()),
    ]);
    return perksOf(member ? toMember(member) : null, policy ? toPolicy(policy) : DEFAULT_MEMBER_POLICY);
  }

  async findCoupon(code: string): Promise<CouponView | undefined> {
    const coupon = await getItem(this.db, this.tableName, keys.coupon(code));
    return coupon ? couponViewOf(toCoupon(coupon), this.clock.now()) : undefined;
  }
}
