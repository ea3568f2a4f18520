import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BudgetReleaseStore } from '#domain/campaigns/budget';
import type { BudgetRelease, Reservation } from '#domain/campaigns/store';
import { counterEntry, countOnce, settle } from './budget-counter.ts';
import { conditionalWrite, type DocumentClient, getItem, queryAll } from './client.ts';
import { keys } from './schema.ts';

const ATTEMPTS = 8;

/**
 * Cancellations and refunds giving a campaign's budget back (decision 34), exactly once per cause
 * without a transaction (the local runtime's DynamoDB has none): the reservation first records the
 * release as pending (one conditional write: no pending release, the cause not applied yet); then
 * the budget counter takes it back once (budget-counter.ts: its entry for the cause); then the
 * reservation records it as applied. A crash anywhere in between leaves a pending release that the
 * next delivery (Lambda retries, a redelivery) finishes, and the counter's entry stops it from being
 * counted twice.
 */
export class DynamoBudgetReleases implements BudgetReleaseStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async reservationsOf(orderId: string): Promise<string[]> {
    const k = keys.orderReservations(orderId);
    const items = await queryAll(this.db, this.tableName, {
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': k.pk, ':s': k.skPrefix },
    });
    return items.map((i) => String(i.campaignId)).sort();
  }

  async release(
    campaignId: string,
    orderId: string,
    causeId: string,
    decide: (r: Reservation) => BudgetRelease | null,
  ) {
    const key = keys.campaignReservation(campaignId, orderId);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const item = await getItem(this.db, this.tableName, key);
      if (!item || (item.state !== 'GRANTED' && item.state !== 'RELEASED'))
        return { outcome: 'nothing' as const, release: null };
      const pending = item.pending as BudgetRelease | undefined;
      if (pending) {
        // A release that stopped part-way (this cause's or another's): finish it first.
        await this.#finish(campaignId, orderId, pending, Number(item.amount));
        if (pending.causeId === causeId) return { outcome: 'released' as const, release: pending };
        continue;
      }
      if (((item.causes as Set<string> | undefined) ?? new Set()).has(causeId))
        return { outcome: 'duplicate' as const, release: null };
      const line = decide(item as unknown as Reservation);
      if (!line) return { outcome: 'nothing' as const, release: null };
      const marked = await conditionalWrite(
        this.db,
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET pending = :l',
          ConditionExpression: 'attribute_not_exists(pending) AND NOT contains(causes, :c)',
          ExpressionAttributeValues: { ':l': line, ':c': causeId },
        }),
      );
      if (marked === null) continue; // another cause got there first: read again
      await this.#finish(campaignId, orderId, line, Number(item.amount));
      return { outcome: 'released' as const, release: line };
    }
    throw new Error(`budget release of ${campaignId}/${orderId} (${causeId}): too much contention`);
  }

  async #finish(campaignId: string, orderId: string, line: BudgetRelease, amount: number) {
    const entry = counterEntry.release(orderId, line.causeId);
    if (line.release > 0) await countOnce(this.db, this.tableName, campaignId, entry, -line.release);
    const done = await conditionalWrite(
      this.db,
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.campaignReservation(campaignId, orderId),
        UpdateExpression:
          'SET released = :d, refunded = :f, releases = list_append(if_not_exists(releases, :e), :l), #s = :st REMOVE pending ADD causes :c',
        ConditionExpression: 'pending.causeId = :id',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: {
          ':d': line.released,
          ':f': line.refunded,
          ':e': [],
          ':l': [line],
          ':st': line.released >= amount ? 'RELEASED' : 'GRANTED',
          ':c': new Set([line.causeId]),
          ':id': line.causeId,
        },
      }),
    );
    if (done !== null && line.release > 0) await settle(this.db, this.tableName, campaignId, entry);
  }
}
