import { BatchGetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '#domain/shared/errors';
import type { Money } from '#domain/shared/money';
import type { PromisePolicy, StoredPolicy } from '#domain/sla/policy';
import type {
  OrderFacts,
  Page,
  PromiseStatus,
  PromiseStore,
  PromiseSubject,
  SlaPromise,
} from '#domain/sla/store';
import { TableStore } from './client.ts';
import { keys } from './schema.ts';

/** Queries one ledger page may take when a kind filter leaves pages short. */
const LIST_ROUNDS = 20;

type Item = Record<string, unknown>;
const ATTEMPTS = 8;

const strip = (item: Item): Item => {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entity: _e, version: _v, ...rest } = item;
  return rest;
};

/** `order:450789469001:dispatch-24h` → the promise's key (ids may hold colons; policy ids do not). */
function promiseKey(promiseId: string) {
  const first = promiseId.indexOf(':');
  const last = promiseId.lastIndexOf(':');
  const type = promiseId.slice(0, first);
  if ((type !== 'order' && type !== 'ticket') || last <= first) {
    throw ValidationError.field('promiseId', `"${promiseId}" is not a promise id`);
  }
  return keys.promise(type, promiseId.slice(first + 1, last), promiseId.slice(last + 1));
}

const encodeCursor = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
function decodeCursor(cursor: string): Record<string, string> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (Object.values(value).every((v) => typeof v === 'string' && v.length <= 1024))
      return value as Record<string, string>;
  } catch {
    // the validation error below
  }
  throw ValidationError.field('cursor', 'is not a cursor this API handed out');
}

/** The SLA workflow's state on the single table (schema.ts lists the access patterns). */
export class DynamoPromiseStore extends TableStore implements PromiseStore {
  // --- policies ------------------------------------------------------------------------------------

  async listPolicies(): Promise<StoredPolicy[]> {
    const items = await this.items({
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': keys.promisePolicy('').pk },
      ConsistentRead: true,
    });
    return items.map((i) => ({ ...(strip(i) as unknown as StoredPolicy), version: Number(i.version) }));
  }

  async savePolicy(
    policy: PromisePolicy,
    expectedVersion: number | null,
    at: string,
  ): Promise<StoredPolicy | null> {
    const record: StoredPolicy = { ...policy, version: (expectedVersion ?? 0) + 1, updatedAt: at };
    const saved = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.promisePolicy(policy.policyId), entity: 'PromisePolicy', ...record },
        ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :v',
        ...(expectedVersion === null ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
      }),
    );
    return saved ? record : null;
  }

  // --- orders and fulfilments ---------------------------------------------------------------------

  async recordOrder(facts: OrderFacts): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.slaOrder(facts.orderId), entity: 'SlaOrder', ...facts },
      }),
    );
  }

  async getOrder(orderId: string): Promise<OrderFacts | null> {
    const item = await this.item(keys.slaOrder(orderId));
    return item ? (strip(item) as unknown as OrderFacts) : null;
  }

  async categoriesOf(skus: readonly string[]): Promise<string[]> {
    const categories = new Set<string>();
    const unique = [...new Set(skus)];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, { Keys: Item[]; ProjectionExpression?: string }> | undefined = {
        [this.tableName]: {
          Keys: unique.slice(i, i + 100).map((s) => keys.sku(s)),
          ProjectionExpression: 'category',
        },
      };
      for (let attempt = 0; request && Object.keys(request).length && attempt < ATTEMPTS; attempt++) {
        const result = await this.db.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of result.Responses?.[this.tableName] ?? []) {
          if (typeof item.category === 'string') categories.add(item.category);
        }
        request = result.UnprocessedKeys as typeof request;
      }
    }
    return [...categories];
  }

  async recordFulfilment(subject: PromiseSubject, detailType: string, at: string): Promise<string> {
    const key = keys.fulfilment(subject.type, subject.id, detailType);
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET #at = :at, entity = :e',
        ConditionExpression: 'attribute_not_exists(#at) OR #at > :at',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':at': at, ':e': 'Fulfilment' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (updated) return String(updated.at);
    return String((await this.item(key))?.at ?? at);
  }

  async fulfilment(subject: PromiseSubject, detailType: string): Promise<string | null> {
    const item = await this.item(keys.fulfilment(subject.type, subject.id, detailType));
    return typeof item?.at === 'string' ? item.at : null;
  }

  async fulfilmentsOf(subject: PromiseSubject): Promise<Record<string, string>> {
    const { pk, sk } = keys.fulfilment(subject.type, subject.id, '');
    const items = await this.items({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': pk, ':s': sk },
      ProjectionExpression: 'sk, #at',
      ExpressionAttributeNames: { '#at': 'at' },
      ConsistentRead: true,
    });
    const found: Record<string, string> = {};
    for (const item of items) {
      if (typeof item.at === 'string') found[String(item.sk).slice(sk.length)] = item.at;
    }
    return found;
  }

  // --- promises -------------------------------------------------------------------------------------

  async register(promise: SlaPromise): Promise<{ created: boolean; promise: SlaPromise }> {
    const created = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...promiseKey(promise.promiseId),
          entity: 'SlaPromise',
          version: 1,
          ...withoutNulls(promise),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (created) return { created: true, promise };
    const existing = await this.getPromise(promise.promiseId);
    if (!existing) throw new Error(`promise ${promise.promiseId} vanished between create and read`);
    return { created: false, promise: existing };
  }

  async getPromise(promiseId: string): Promise<SlaPromise | null> {
    const item = await this.item(promiseKey(promiseId));
    return item ? toPromise(item) : null;
  }

  async listPromises(subject: PromiseSubject): Promise<SlaPromise[]> {
    const prefix = keys.promise(subject.type, subject.id, '');
    const items = await this.items({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': prefix.pk, ':s': prefix.sk },
      ConsistentRead: true,
    });
    return items.map(toPromise);
  }

  async update(
    promiseId: string,
    from: readonly PromiseStatus[],
    changes: Partial<
      Pick<SlaPromise, 'status' | 'fulfilledAt' | 'lateSeconds' | 'breachedAt' | 'compensation'>
    >,
    at: string,
  ): Promise<{ moved: boolean; promise: SlaPromise | null }> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const item = await this.item(promiseKey(promiseId));
      if (!item) return { moved: false, promise: null };
      const current = toPromise(item);
      if (!from.includes(current.status)) return { moved: false, promise: current };
      if (changes.compensation && current.compensation) return { moved: false, promise: current };
      if (changes.fulfilledAt && current.fulfilledAt) return { moved: false, promise: current };
      const next = { ...current, ...changes, updatedAt: at };
      const breach = next.status === 'BREACHED' && next.deadline ? keys.breach(next.deadline, promiseId) : {};
      const saved = await this.conditional(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...promiseKey(promiseId),
            ...breach,
            entity: 'SlaPromise',
            version: Number(item.version) + 1,
            ...withoutNulls(next),
          },
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': item.version },
        }),
      );
      if (saved) return { moved: true, promise: next };
    }
    throw new Error(`promise ${promiseId} kept changing; retry`);
  }

  async reserve(capKey: string, promiseId: string, amount: Money, cap: Money): Promise<Money> {
    const key = keys.compensationCap(capKey);
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const item = await this.item(key);
      const grants = (item?.grants ?? {}) as Record<string, number>;
      const earlier = grants[promiseId];
      if (earlier !== undefined) return { amount: earlier, currency: cap.currency };
      const paid = Number(item?.paid ?? 0);
      const granted =
        amount.currency === cap.currency ? Math.max(0, Math.min(amount.amount, cap.amount - paid)) : 0;
      const saved = await this.conditional(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...key,
            entity: 'CompensationCap',
            paid: paid + granted,
            currency: cap.currency,
            grants: { ...grants, [promiseId]: granted },
          },
          // The order's total as read: a concurrent breach of the same order makes this one read again.
          ConditionExpression: item ? 'paid = :paid' : 'attribute_not_exists(pk)',
          ...(item ? { ExpressionAttributeValues: { ':paid': paid } } : {}),
        }),
      );
      if (saved) return { amount: granted, currency: cap.currency };
    }
    throw new Error(`compensation of ${capKey} kept changing; retry`);
  }

  // --- the SLA ledger -------------------------------------------------------------------------------

  async listBreaches(
    filter: { from: string; to: string; kind?: string },
    cursor: string | null,
    limit: number,
  ): Promise<Page<SlaPromise>> {
    // DynamoDB applies Limit before the filter: with a kind filter a page could come back short or
    // empty with more to read. Read on (at most LIST_ROUNDS queries, each no more than what is still
    // wanted, so no match is read past) until the page is full or the range ends.
    const items: SlaPromise[] = [];
    let start = cursor ? decodeCursor(cursor) : undefined;
    for (let round = 0; round < LIST_ROUNDS && items.length < limit; round++) {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':p': keys.breach('', '').gsi1pk,
            ':from': filter.from,
            ':to': `${filter.to}`,
            ...(filter.kind ? { ':kind': filter.kind } : {}),
          },
          ...(filter.kind ? { FilterExpression: 'kind = :kind' } : {}),
          Limit: limit - items.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of (result.Items ?? []) as Item[])
        if (String(item.gsi1sk) < filter.to) items.push(toPromise(item));
      start = result.LastEvaluatedKey;
      if (!start) break;
    }
    return { items, cursor: start ? encodeCursor(start) : null };
  }

  async breachTotals(filter: { from: string; to: string; kind?: string }) {
    const items = await this.items({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p AND gsi1sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':p': keys.breach('', '').gsi1pk,
        ':from': filter.from,
        ':to': filter.to,
        ...(filter.kind ? { ':kind': filter.kind } : {}),
      },
      ...(filter.kind ? { FilterExpression: 'kind = :kind' } : {}),
      ProjectionExpression: 'kind, compensation, gsi1sk',
    });
    const totals = new Map<string, { kind: string; count: number; amount: Money }>();
    for (const item of items.filter((i) => String(i.gsi1sk) < filter.to)) {
      const kind = String(item.kind);
      const paid = (item.compensation as { amount?: Money } | undefined)?.amount;
      const t = totals.get(kind) ?? {
        kind,
        count: 0,
        amount: { amount: 0, currency: paid?.currency ?? 'CNY' },
      };
      t.count++;
      if (paid) t.amount = { amount: t.amount.amount + paid.amount, currency: paid.currency };
      totals.set(kind, t);
    }
    return [...totals.values()].sort((a, b) => a.kind.localeCompare(b.kind));
  }
}

/** Nulls are left out of the item (removeUndefinedValues drops undefined, not null). */
function withoutNulls<T extends object>(value: T): Item {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

function toPromise(item: Item): SlaPromise {
  const p = strip(item) as Partial<SlaPromise>;
  return {
    ...(p as SlaPromise),
    orderId: p.orderId ?? null,
    ticketId: p.ticketId ?? null,
    customerId: p.customerId ?? null,
    reason: p.reason ?? null,
    deadline: p.deadline ?? null,
    fulfilledAt: p.fulfilledAt ?? null,
    lateSeconds: p.lateSeconds ?? null,
    breachedAt: p.breachedAt ?? null,
    compensation: p.compensation ?? null,
  };
}
