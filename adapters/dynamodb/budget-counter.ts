import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionalWrite, type DocumentClient, getItem } from './client.ts';
import { keys } from './schema.ts';

/**
 * A campaign's budget counter (`CAMPAIGN#<id>` / `BUDGET`): `granted` and, in the `counted` map,
 * one entry per write in flight (`r:<order>` a reservation, `x:<order>:<cause>` a release), so a
 * write is counted exactly once without a transaction (the local runtime's DynamoDB has none):
 *
 * 1. the counter moves and the entry is added in one conditional write (`attribute_not_exists`);
 *    a retry that finds the entry knows it was counted (a crash before the record was written);
 * 2. the caller records the outcome on its own item (the reservation);
 * 3. the entry is marked settled with the instant; settled entries older than {@link SETTLED_TTL_MS}
 *    are dropped by later settles. An entry is never dropped while a finisher may still hold a
 *    stale read of the record (an invocation lasts seconds), and a retry after a drop finds the
 *    record settled and never reaches the counter.
 */
export const SETTLED_TTL_MS = 15 * 60_000;

export const counterEntry = {
  reserve: (orderId: string) => `r:${orderId}`,
  release: (orderId: string, causeId: string) => `x:${orderId}:${causeId}`,
};

/** The initial counter (created with the campaign). */
export const newCounter = (campaignId: string) => ({
  ...keys.campaignBudget(campaignId),
  entity: 'CampaignBudget',
  granted: 0,
  released: 0,
  counted: {},
});

/**
 * Moves the counter by `delta` once for `entry` (step 1). `max`: the counter must stay at or below
 * it (a reservation's budget). True when counted, now or by an earlier attempt.
 */
export async function countOnce(
  db: DocumentClient,
  tableName: string,
  campaignId: string,
  entry: string,
  delta: number,
  max?: number,
): Promise<boolean> {
  const moved = await conditionalWrite(
    db,
    new UpdateCommand({
      TableName: tableName,
      Key: keys.campaignBudget(campaignId),
      UpdateExpression: `SET #c.#e = :zero ADD granted :d${delta < 0 ? ', released :r' : ''}`,
      ConditionExpression: `attribute_not_exists(#c.#e)${max === undefined ? '' : ' AND granted <= :max'}`,
      ExpressionAttributeNames: { '#c': 'counted', '#e': entry },
      ExpressionAttributeValues: {
        ':zero': 0,
        ':d': delta,
        ...(delta < 0 ? { ':r': -delta } : {}),
        ...(max === undefined ? {} : { ':max': max - delta }),
      },
    }),
  );
  if (moved !== null) return true;
  const counter = await getItem(db, tableName, keys.campaignBudget(campaignId));
  return entry in ((counter?.counted as Record<string, number> | undefined) ?? {});
}

/** Step 3: the entry settled; settled entries past {@link SETTLED_TTL_MS} dropped (up to 50 at once). */
export async function settle(
  db: DocumentClient,
  tableName: string,
  campaignId: string,
  entry: string,
  now = Date.now(),
): Promise<void> {
  const after = await db.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.campaignBudget(campaignId),
      UpdateExpression: 'SET #c.#e = :now',
      ExpressionAttributeNames: { '#c': 'counted', '#e': entry },
      ExpressionAttributeValues: { ':now': now },
      ReturnValues: 'ALL_NEW',
    }),
  );
  const counted = (after.Attributes?.counted as Record<string, number> | undefined) ?? {};
  const old = Object.entries(counted)
    .filter(([, at]) => at > 0 && at < now - SETTLED_TTL_MS)
    .slice(0, 50)
    .map(([e]) => e);
  if (!old.length) return;
  await db.send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.campaignBudget(campaignId),
      UpdateExpression: `REMOVE ${old.map((_, i) => `#c.#o${i}`).join(', ')}`,
      ExpressionAttributeNames: { '#c': 'counted', ...Object.fromEntries(old.map((e, i) => [`#o${i}`, e])) },
    }),
  );
}
