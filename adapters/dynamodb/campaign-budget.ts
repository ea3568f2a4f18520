import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { CampaignBudgetStore, Reservation } from '#domain/campaigns/store';
import { counterEntry, countOnce, settle } from './budget-counter.ts';
import { conditionalWrite, type DocumentClient, getItem } from './client.ts';
import { keys } from './schema.ts';

type Item = Record<string, unknown>;

/** A reservation as the quote answers it (its release bookkeeping left out; `releases` has the receipts). */
const toReservation = (item: Item): Reservation => {
  const { pk: _pk, sk: _sk, entity: _e, state: _s, causes: _c, pending: _p, ...rest } = item;
  return rest as unknown as Reservation;
};

/**
 * A campaign's budget: its counter (budget-counter.ts) and the reservation of each order the
 * quote makes (decision 34). The releases of cancelled and refunded orders: budget-releases.ts.
 */
export class DynamoCampaignBudget implements CampaignBudgetStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async granted(campaignId: string): Promise<number> {
    // The count only: the counter also keeps the entries it counted (decision 34), which a busy
    // campaign makes long, and every quote reads this.
    const { Item: item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.campaignBudget(campaignId),
        ConsistentRead: true,
        ProjectionExpression: '#g',
        ExpressionAttributeNames: { '#g': 'granted' },
      }),
    );
    return Number(item?.granted ?? 0);
  }

  async reserve(
    campaignId: string,
    orderId: string,
    amount: number,
    budget: number,
    at: string,
    orderTotal: number,
  ): Promise<Reservation> {
    const key = keys.campaignReservation(campaignId, orderId);
    const pending = { campaignId, orderId, amount, granted: false, reason: 'pending', at, orderTotal };
    const created = await conditionalWrite(
      this.db,
      new PutCommand({
        TableName: this.tableName,
        Item: { ...key, entity: 'BudgetReservation', ...pending, state: 'PENDING' },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (created === null) {
      const existing = (await getItem(this.db, this.tableName, key)) as Item;
      // A reservation another call already settled: the same answer (a retried checkout).
      if (existing.state !== 'PENDING') return toReservation(existing);
      // PENDING: a call that stopped between its writes; the counter says whether it counted.
    }
    // The order's pointer to this reservation: a cancellation or a refund of the order finds it.
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.orderReservation(orderId, campaignId),
          entity: 'OrderReservation',
          campaignId,
          orderId,
        },
      }),
    );
    // Counted once, also when a retry comes after a crash between the counter and the record.
    const granted = await countOnce(
      this.db,
      this.tableName,
      campaignId,
      counterEntry.reserve(orderId),
      amount,
      budget,
    );
    const reservation: Reservation = {
      ...pending,
      granted,
      reason: granted
        ? `reserved ${amount} of the campaign's budget of ${budget}`
        : `the campaign's budget of ${budget} has less than ${amount} left`,
      ...(granted ? { released: 0, refunded: 0, releases: [] } : {}),
    };
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...key, entity: 'BudgetReservation', ...reservation, state: granted ? 'GRANTED' : 'REFUSED' },
      }),
    );
    if (granted) await settle(this.db, this.tableName, campaignId, counterEntry.reserve(orderId));
    return reservation;
  }
}
