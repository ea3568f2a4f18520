import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { bucketOf } from '#domain/members/buckets';
import type { Coupon } from '#domain/members/coupons';
import type { LeaderboardEntry } from '#domain/members/leaderboard';
import type { MemberPolicy, StoredMemberPolicy } from '#domain/members/policy';
import type { AnnualGrant, MemberRecord, MemberStore, Page } from '#domain/members/store';
import { TableStore } from './client.ts';
import { decodeCursor, encodeCursor, isTableKey } from './cursor.ts';
import { type Item, memberAttributes, strip, toCoupon, toMember, toPolicy } from './member-items.ts';
import { keys } from './schema.ts';

/** The member ledger and the coupon ledger on the single table (schema.ts lists the access patterns). */
export class DynamoMemberStore extends TableStore implements MemberStore {
  // --- the policy ------------------------------------------------------------------------------

  async getPolicy(): Promise<StoredMemberPolicy | null> {
    const item = await this.item(keys.memberPolicy());
    return item ? toPolicy(item) : null;
  }

  async savePolicy(
    policy: MemberPolicy,
    expectedVersion: number | null,
    at: string,
  ): Promise<StoredMemberPolicy | null> {
    const record: StoredMemberPolicy = { ...policy, version: (expectedVersion ?? 0) + 1, updatedAt: at };
    const saved = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.memberPolicy(), entity: 'MemberPolicy', ...record },
        ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :v',
        ...(expectedVersion === null ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
      }),
    );
    if (!saved) return null;
    // The version history (each version as it was put), beside the current one.
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.memberPolicyVersion(record.version), entity: 'MemberPolicyVersion', ...record },
      }),
    );
    return record;
  }

  // --- members ---------------------------------------------------------------------------------

  async getMember(customerId: string): Promise<MemberRecord | null> {
    const item = await this.item(keys.member(customerId));
    return item ? toMember(item) : null;
  }

  async putMember(record: MemberRecord): Promise<boolean> {
    const expected = record.version;
    if (expected === 0) {
      // A new customer: their bucket is in use from now on, marked before the record exists (a
      // set: idempotent; a put that then loses its race leaves a mark that costs one empty page).
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.memberBuckets(),
          UpdateExpression: 'ADD buckets :b SET entity = :e',
          ExpressionAttributeValues: { ':b': new Set([bucketOf(record.customerId)]), ':e': 'MemberBuckets' },
        }),
      );
    }
    const saved = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.member(record.customerId),
          ...keys.memberIndex(bucketOf(record.customerId), record.customerId),
          entity: 'Member',
          ...memberAttributes(record),
          version: expected + 1,
        },
        ConditionExpression: expected === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
        ...(expected === 0 ? {} : { ExpressionAttributeValues: { ':v': expected } }),
      }),
    );
    return saved !== null;
  }

  async bucketsInUse(): Promise<number[]> {
    const item = await this.item(keys.memberBuckets());
    const buckets = item?.buckets;
    return buckets instanceof Set ? [...(buckets as Set<number>)].map(Number).sort((a, b) => a - b) : [];
  }

  async listBucket(bucket: number, cursor: string | null, limit: number): Promise<Page<MemberRecord>> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': keys.memberIndex(bucket, '').gsi1pk },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, isTableKey) } : {}),
      }),
    );
    return {
      items: ((result.Items ?? []) as Item[]).map(toMember),
      cursor: result.LastEvaluatedKey ? encodeCursor(result.LastEvaluatedKey) : null,
    };
  }

  async orderCustomer(orderId: string): Promise<string | null> {
    const item = await this.item(keys.memberOrder(orderId));
    return typeof item?.customerId === 'string' ? item.customerId : null;
  }

  async linkOrder(orderId: string, customerId: string): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.memberOrder(orderId), entity: 'MemberOrder', orderId, customerId },
      }),
    );
  }

  // --- referral codes --------------------------------------------------------------------------

  async codeOwner(code: string): Promise<string | null> {
    const item = await this.item(keys.referralCode(code));
    return typeof item?.customerId === 'string' ? item.customerId : null;
  }

  async claimCode(code: string, customerId: string): Promise<string> {
    const made = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.referralCode(code), entity: 'ReferralCode', code, customerId },
        ConditionExpression: 'attribute_not_exists(pk) OR customerId = :c',
        ExpressionAttributeValues: { ':c': customerId },
      }),
    );
    return made ? customerId : ((await this.codeOwner(code)) ?? customerId);
  }

  // --- coupons ---------------------------------------------------------------------------------

  async createCoupon(coupon: Coupon): Promise<boolean> {
    const made = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.coupon(coupon.code),
          ...keys.customerCoupons(coupon.customerId, coupon.issuedAt, coupon.code),
          entity: 'Coupon',
          ...coupon,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return made !== null;
  }

  async getCoupon(code: string): Promise<Coupon | null> {
    const item = await this.item(keys.coupon(code));
    return item ? toCoupon(item) : null;
  }

  async listCoupons(customerId: string): Promise<Coupon[]> {
    const items = await this.items({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': keys.customerCoupons(customerId, '', '').gsi1pk },
    });
    return items.map(toCoupon);
  }

  async redeemCoupon(
    code: string,
    orderId: string,
    at: string,
    via: 'api' | 'shopify',
  ): Promise<Coupon | null> {
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.coupon(code),
        UpdateExpression: 'SET #s = :redeemed, orderId = :o, redeemedAt = :at, redeemedVia = :via',
        ConditionExpression:
          'attribute_exists(pk) AND #s = :open AND (attribute_type(expiresAt, :null) OR expiresAt > :at)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':redeemed': 'redeemed',
          ':open': 'open',
          ':o': orderId,
          ':at': at,
          ':via': via,
          ':null': 'NULL',
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return updated ? toCoupon(updated) : null;
  }

  async cancelCoupon(code: string, at: string, reason: string): Promise<Coupon | null> {
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.coupon(code),
        UpdateExpression: 'SET #s = :cancelled, cancelledAt = :at, cancelReason = :r',
        ConditionExpression: 'attribute_exists(pk) AND #s = :open',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':cancelled': 'cancelled', ':open': 'open', ':at': at, ':r': reason },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return updated ? toCoupon(updated) : null;
  }

  // --- referral counters -----------------------------------------------------------------------

  async countIpReferral(ip: string, week: string, inviteeId: string, max: number): Promise<boolean> {
    const counted = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.ipReferrals(ip, week),
        UpdateExpression: 'ADD invitees :i SET entity = :e',
        ConditionExpression:
          'attribute_not_exists(invitees) OR size(invitees) < :max OR contains(invitees, :id)',
        ExpressionAttributeValues: {
          ':i': new Set([inviteeId]),
          ':max': max,
          ':id': inviteeId,
          ':e': 'ReferralIpWeek',
        },
      }),
    );
    return counted !== null;
  }

  async addToLeaderboard(period: string, inviterId: string, inviteeId: string, at: string): Promise<void> {
    // Counted once per invitee; `reachedAt` moves only when the count does.
    await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.leaderboard(period, inviterId),
        UpdateExpression: 'ADD invitees :i SET entity = :e, reachedAt = :at, customerId = :c',
        ConditionExpression: 'attribute_not_exists(invitees) OR NOT contains(invitees, :id)',
        ExpressionAttributeValues: {
          ':i': new Set([inviteeId]),
          ':id': inviteeId,
          ':at': at,
          ':c': inviterId,
          ':e': 'Leaderboard',
        },
      }),
    );
  }

  async removeFromLeaderboard(period: string, inviterId: string, inviteeId: string): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.leaderboard(period, inviterId),
        UpdateExpression: 'DELETE invitees :i',
        ConditionExpression: 'contains(invitees, :id)',
        ExpressionAttributeValues: { ':i': new Set([inviteeId]), ':id': inviteeId },
      }),
    );
  }

  async leaderboard(period: string): Promise<LeaderboardEntry[]> {
    const items = await this.items({
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': keys.leaderboard(period, '').pk },
      ConsistentRead: true,
    });
    return items.map((i) => ({
      customerId: String(i.customerId ?? i.sk),
      rewarded: i.invitees instanceof Set ? i.invitees.size : 0,
      reachedAt: String(i.reachedAt),
    }));
  }

  async getAnnualGrant(year: string): Promise<AnnualGrant | null> {
    const item = await this.item(keys.annualGrant(year));
    return item ? (strip(item) as unknown as AnnualGrant) : null;
  }

  async decideAnnualGrant(grant: AnnualGrant): Promise<AnnualGrant> {
    const made = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.annualGrant(grant.year), entity: 'AnnualGrant', ...grant },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return made ? grant : ((await this.getAnnualGrant(grant.year)) ?? grant);
  }
}
