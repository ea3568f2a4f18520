import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { couponViewOf, perksOf } from '#domain/members/perks';
import { DEFAULT_MEMBER_POLICY } from '#domain/members/policy';
import type { Clock } from '#domain/shared/clock';
import type {
  CouponLookup,
  CouponView,
  CustomerPerks,
  CustomerPerksSource,
} from '#domain/shared/customer-perks';
import { DynamoMemberStore } from './members-store.ts';

/**
 * The members' side of the seams in domain/shared/customer-perks.ts: the checkout quote (issue #17)
 * and SLA compensation read a customer's tier and new-user status and the coupon ledger through
 * these, never through the members feature. Reads only (GetItem).
 */
export class DynamoCustomerPerks implements CustomerPerksSource, CouponLookup {
  readonly #store: DynamoMemberStore;
  constructor(
    db: DynamoDBDocumentClient,
    tableName: string,
    private readonly clock: Clock,
  ) {
    this.#store = new DynamoMemberStore(db, tableName);
  }

  async perksOf(customerId: string): Promise<CustomerPerks> {
    const [member, policy] = await Promise.all([this.#store.getMember(customerId), this.#store.getPolicy()]);
    return perksOf(member, policy ?? DEFAULT_MEMBER_POLICY);
  }

  async findCoupon(code: string): Promise<CouponView | undefined> {
    const coupon = await this.#store.getCoupon(code);
    return coupon ? couponViewOf(coupon, this.clock.now()) : undefined;
  }
}
