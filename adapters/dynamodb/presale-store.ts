import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type PresaleOrder, PresaleOrderSchema, type PresaleOrderStatus } from '#domain/presale/order';
import { type Presale, PresaleSchema } from '#domain/presale/presale';
import type {
  AwaitPhase,
  BalanceRefusalRecord,
  ParkOutcome,
  PresaleRecord,
  PresaleStore,
  SavePresaleResult,
  StoredPresaleOrder,
  TakeUnitOutcome,
} from '#domain/presale/store';
import { BALANCE_REFUSAL_REASONS } from '#domain/presale/terms';
import { MoneySchema } from '#domain/shared/money';
import { toFieldIssues } from '#domain/shared/validation';
import * as z from '#domain/shared/zod';
import { type DocumentClient, isConditionalCheckFailed } from './client.ts';
import { keys } from './schema.ts';

/**
 * The order's token in its presale's `holders` string set: base64url of the first 12 bytes of
 * SHA-256(orderId). Short and fixed-length whatever the order id, so a presale item with many
 * holders stays far below the 400 KB item limit; 96 bits make a collision negligible.
 */
export function holderToken(orderId: string): string {
  return createHash('sha256').update(orderId, 'utf8').digest().subarray(0, 12).toString('base64url');
}

/** The presale fields an update rewrites (the id is the key and never changes). */
const PRESALE_FIELDS = Object.keys({
  sku: true,
  listPrice: true,
  deposit: true,
  depositValue: true,
  depositWindow: true,
  balanceWindow: true,
  shipWithinDays: true,
  quota: true,
  forfeitPolicy: true,
} satisfies Record<Exclude<keyof Presale, 'presaleId'>, true>) as Exclude<keyof Presale, 'presaleId'>[];

/** The order fields a transition rewrites (the id is the key and never changes). */
const ORDER_FIELDS = Object.keys({
  presaleId: true,
  customerId: true,
  status: true,
  deposit: true,
  depositPaidAt: true,
  terms: true,
  balanceDue: true,
  shipBy: true,
  balancePaidAt: true,
  reason: true,
  message: true,
  cancelReason: true,
  depositOutcome: true,
  statusChangedAt: true,
} satisfies Record<Exclude<keyof PresaleOrder, 'orderId'>, true>) as Exclude<keyof PresaleOrder, 'orderId'>[];

/** The statuses in which a cancellation can be requested (the order still waits on its run). */
const CANCELLABLE: readonly PresaleOrderStatus[] = ['DEPOSIT_PAID', 'BALANCE_DUE'];

/** `SET #a = :a, #b = :b, …` over `fields`, with its names and values. */
function setFields<T extends object, K extends keyof T & string>(source: T, fields: readonly K[]) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    names[`#${field}`] = field;
    values[`:${field}`] = source[field];
  }
  return { clauses: fields.map((f) => `#${f} = :${f}`), names, values };
}

/**
 * Presales and presale orders on the single table. Every operation is one single-item write with
 * a condition, or a consistent read: no transactions (the local runtime's dynalite has none, and
 * none is needed). The presale item carries `taken`, `version` and `holders`, a string set of
 * {@link holderToken}s of the orders holding a unit, which makes taking and returning a unit
 * idempotent per order in the same conditional write that keeps `taken ≤ quota`.
 *
 * Order items store the domain order's nulls as NULL; `taskToken`, `awaiting`, `cancelRequest`
 * and `lastBalanceRefusal` are absent while null.
 */
export class DynamoPresaleStore implements PresaleStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async getPresale(presaleId: string): Promise<PresaleRecord | undefined> {
    const item = await this.getItem(keys.presale(presaleId));
    return item ? toPresaleRecord(presaleId, item) : undefined;
  }

  async savePresale(
    presale: Presale,
    expectedVersion: number | null,
    at: string,
  ): Promise<SavePresaleResult> {
    try {
      if (expectedVersion === null) {
        const record: PresaleRecord = {
          presale: structuredClone(presale),
          taken: 0,
          version: 1,
          createdAt: at,
          updatedAt: at,
        };
        await this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keys.presale(presale.presaleId),
              entity: 'Presale',
              ...record.presale,
              taken: record.taken,
              version: record.version,
              createdAt: at,
              updatedAt: at,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        return { saved: true, record, created: true };
      }
      const set = setFields(presale, PRESALE_FIELDS);
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.presale(presale.presaleId),
          UpdateExpression: `SET ${set.clauses.join(', ')}, version = version + :one, updatedAt = :at`,
          // `version = :expected` fails on a missing item too (no attribute to compare).
          ConditionExpression: 'version = :expected AND taken <= :quota',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':one': 1, ':at': at, ':expected': expectedVersion },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { saved: true, record: toPresaleRecord(presale.presaleId, result.Attributes), created: false };
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { saved: false };
      throw error;
    }
  }

  async takeUnit(presaleId: string, orderId: string, expectedVersion: number): Promise<TakeUnitOutcome> {
    const token = holderToken(orderId);
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.presale(presaleId),
          UpdateExpression: 'SET taken = taken + :one ADD holders :tokens',
          // `holders` is absent until the first take (no empty sets): `contains` is then false.
          ConditionExpression:
            'attribute_exists(pk) AND version = :v AND taken < quota AND NOT contains(holders, :token)',
          ExpressionAttributeValues: {
            ':one': 1,
            ':tokens': new Set([token]),
            ':v': expectedVersion,
            ':token': token,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { outcome: 'taken', record: toPresaleRecord(presaleId, result.Attributes) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const item = await this.getItem(keys.presale(presaleId));
    if (!item) return { outcome: 'refused', record: undefined };
    const record = toPresaleRecord(presaleId, item);
    return holdersOf(item).has(token) ? { outcome: 'held', record } : { outcome: 'refused', record };
  }

  async returnUnit(presaleId: string, orderId: string): Promise<boolean> {
    const token = holderToken(orderId);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.presale(presaleId),
          // Deleting the last token removes the attribute, as DynamoDB allows no empty set.
          UpdateExpression: 'SET taken = taken - :one DELETE holders :tokens',
          ConditionExpression: 'contains(holders, :token)',
          ExpressionAttributeValues: { ':one': 1, ':tokens': new Set([token]), ':token': token },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async getOrder(orderId: string): Promise<StoredPresaleOrder | undefined> {
    const item = await this.getItem(keys.presaleOrder(orderId));
    return item ? toStoredOrder(orderId, item) : undefined;
  }

  async createOrder(
    order: PresaleOrder,
  ): Promise<{ created: true } | { created: false; existing: StoredPresaleOrder }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.presaleOrder(order.orderId), entity: 'PresaleOrder', ...order },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const existing = await this.getOrder(order.orderId);
    if (!existing) throw new Error(`presale order ${order.orderId} vanished between create and read`);
    return { created: false, existing };
  }

  async transition(
    next: PresaleOrder,
    from: PresaleOrderStatus,
  ): Promise<{ ok: true } | { ok: false; existing: StoredPresaleOrder | undefined }> {
    const set = setFields(next, ORDER_FIELDS);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.presaleOrder(next.orderId),
          UpdateExpression: `SET ${set.clauses.join(', ')} REMOVE taskToken, awaiting`,
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: set.names,
          ExpressionAttributeValues: { ...set.values, ':from': from },
        }),
      );
      return { ok: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    return { ok: false, existing: await this.getOrder(next.orderId) };
  }

  async park(
    orderId: string,
    status: PresaleOrderStatus,
    phase: AwaitPhase,
    taskToken: string,
  ): Promise<ParkOutcome> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.presaleOrder(orderId),
          UpdateExpression: 'SET taskToken = :token, awaiting = :phase',
          ConditionExpression:
            'attribute_exists(pk) AND #status = :status AND attribute_not_exists(cancelRequest)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':token': taskToken, ':phase': phase, ':status': status },
        }),
      );
      return { outcome: 'parked' };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const stored = await this.getOrder(orderId);
    if (stored?.cancelRequest && CANCELLABLE.includes(stored.order.status)) {
      return { outcome: 'cancel-requested', stored };
    }
    return { outcome: 'wrong-status', stored };
  }

  async requestCancel(
    orderId: string,
    reason: string,
    at: string,
  ): Promise<
    | { requested: true; stored: StoredPresaleOrder }
    | { requested: false; stored: StoredPresaleOrder | undefined }
  > {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.presaleOrder(orderId),
          UpdateExpression: 'SET cancelRequest = :request',
          ConditionExpression:
            '#status IN (:depositPaid, :balanceDue) AND attribute_not_exists(cancelRequest)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':request': { reason, at },
            ':depositPaid': 'DEPOSIT_PAID',
            ':balanceDue': 'BALANCE_DUE',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { requested: true, stored: toStoredOrder(orderId, result.Attributes) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const stored = await this.getOrder(orderId);
    // A repeated request (a redelivered event): the first one stands, and the caller sends the
    // cancellation to whatever token the run waits on now.
    if (stored?.cancelRequest && CANCELLABLE.includes(stored.order.status)) {
      return { requested: true, stored };
    }
    return { requested: false, stored };
  }

  async recordBalanceRefusal(orderId: string, refusal: BalanceRefusalRecord): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.presaleOrder(orderId),
          UpdateExpression: 'SET lastBalanceRefusal = :refusal',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':refusal': refusal },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new Error(`presale order ${orderId} does not exist`);
      throw error;
    }
  }

  private async getItem(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return result.Item;
  }
}

// ---- Reading items back: stored data that breaks the schema is a bug, not input -----------------

const describeIssues = (error: z.core.$ZodError) =>
  toFieldIssues(error)
    .map((i) => `${i.field}: ${i.reason}`)
    .join('; ');

const PresaleCountersSchema = z.object({
  taken: z.int().check(z.nonnegative()),
  version: z.int().check(z.minimum(1)),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function toPresaleRecord(presaleId: string, item: Record<string, unknown> | undefined): PresaleRecord {
  if (!item) throw new Error(`presale ${presaleId}: the write returned no item`);
  const presale = PresaleSchema.safeParse(item);
  if (!presale.success) {
    throw new Error(`stored presale ${presaleId} is corrupt: ${describeIssues(presale.error)}`);
  }
  const counters = PresaleCountersSchema.safeParse(item);
  if (!counters.success) {
    throw new Error(`stored presale ${presaleId} is corrupt: ${describeIssues(counters.error)}`);
  }
  return { presale: presale.data, ...counters.data };
}

function holdersOf(item: Record<string, unknown>): ReadonlySet<string> {
  const holders = item.holders;
  return holders instanceof Set ? (holders as Set<string>) : new Set();
}

const StoredOrderExtrasSchema = z.object({
  taskToken: z.nullish(z.string()),
  awaiting: z.nullish(z.enum(['BALANCE_WINDOW', 'BALANCE'])),
  cancelRequest: z.nullish(z.object({ reason: z.string(), at: z.string() })),
  lastBalanceRefusal: z.nullish(
    z.object({
      reason: z.enum([...BALANCE_REFUSAL_REASONS, 'OrderNotAwaitingBalance']),
      message: z.string(),
      amount: MoneySchema,
      paidAt: z.string(),
      refusedAt: z.string(),
    }),
  ),
});

function toStoredOrder(orderId: string, item: Record<string, unknown> | undefined): StoredPresaleOrder {
  if (!item) throw new Error(`presale order ${orderId}: the write returned no item`);
  const order = PresaleOrderSchema.safeParse(item);
  if (!order.success) {
    throw new Error(`stored presale order ${orderId} is corrupt: ${describeIssues(order.error)}`);
  }
  const extras = StoredOrderExtrasSchema.safeParse(item);
  if (!extras.success) {
    throw new Error(`stored presale order ${orderId} is corrupt: ${describeIssues(extras.error)}`);
  }
  const { taskToken, awaiting, cancelRequest, lastBalanceRefusal } = extras.data;
  return {
    order: order.data,
    taskToken: taskToken ?? null,
    awaiting: awaiting ?? null,
    cancelRequest: cancelRequest ?? null,
    lastBalanceRefusal: lastBalanceRefusal ?? null,
  };
}
