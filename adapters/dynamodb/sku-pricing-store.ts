import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { VersionedPricingRules } from '#domain/pricing/pricing-rules';
import type { PriceDecision } from '#domain/pricing/reprice';
import type { SkuPricing } from '#domain/pricing/sku-pricing';
import { PRICING_BUCKETS } from '#domain/repricing/limits';
import type {
  PriceChange,
  SaveResult,
  SettingsPoint,
  SkuFacts,
  StoredSkuPricing,
} from '#domain/repricing/store';
import { type DocumentClient, isConditionalCheckFailed } from './client.ts';
import { keys } from './schema.ts';

/** A priced SKU's bucket: a stable hash of its id, so runs fan out evenly. */
export function pricingBucket(sku: string): number {
  return createHash('sha256').update(sku).digest().readUInt16BE(0) % PRICING_BUCKETS;
}

/**
 * How long the what-if history (facts, observations, units sold) is kept: a replay reaches back at
 * most 31 days, plus the competitor rule's look-back (at most 90 days). DynamoDB's TTL deletes
 * expired items (within days; reads do not filter them, the ranges they read are bounded).
 */
export const HISTORY_RETENTION_DAYS = 130;
export const RETENTION_S = HISTORY_RETENTION_DAYS * 86_400;
/** Prefix of a latest-observation attribute on the `PCOMP` item: `c:<competitor>`. */
const _COMPETITOR_ATTR = 'c:';

export type Item = Record<string, unknown>;

export const expiresAt = (at: string) => Math.floor(Date.parse(at) / 1000) + RETENTION_S;

export function strip(item: Item): Item {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entity: _e, expiresAt: _x, ...rest } = item;
  return rest;
}

export function toPricing(item: Item): StoredSkuPricing {
  return {
    sku: item.sku as string,
    listPrice: (item.listPrice as StoredSkuPricing['listPrice']) ?? null,
    price: (item.price as StoredSkuPricing['price']) ?? null,
    minMarginBps: (item.minMarginBps as number | undefined) ?? null,
    maxMarkupBps: (item.maxMarkupBps as number | undefined) ?? null,
    campaignLocked: item.campaignLocked === true,
    version: Number(item.version ?? 0),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    lastRun: (item.lastRun as StoredSkuPricing['lastRun']) ?? null,
    lastChange: item.lastChange ? toStoredChange(item.lastChange as Item) : null,
    factsSeen: (item.factsSeen as SkuFacts | undefined) ?? null,
    bundles: [...((item.bundles as Set<string> | undefined) ?? [])].sort(),
  };
}

/**
 * A change's decision as stored (decision 41): its JSON, gzipped, in one binary attribute. The
 * decision (inputs, trail, guardrails, limits, with their notes) is ~2 KB of JSON and ~150
 * attribute values as a map; it is written twice per change (on the SKU's item and in its price
 * history) and read with every page of a run, and only the price history's readers look inside it.
 * As one gzipped value it is ~0.6 KB: fewer write and read units on AWS, and one value instead of
 * ~150 for the SDK to marshal and the table to validate and size. Encoded once per decision (the
 * same bytes go to both items).
 */
const encoded = new WeakMap<PriceDecision, Uint8Array>();
/**
 * A 2 KB window and little memory: a decision is ~2 KB, so the output is as small as with zlib's
 * defaults, at less than half the CPU (most of a small gzip's cost is setting up the default 32 KB
 * window and 256 KB of state). Any gunzip reads it.
 */
const GZIP = { windowBits: 11, memLevel: 4 } as const;
export function encodeDecision(decision: PriceDecision | null): Uint8Array | null {
  if (decision === null) return null;
  let bytes = encoded.get(decision);
  if (!bytes) {
    bytes = gzipSync(JSON.stringify(decision), GZIP);
    encoded.set(decision, bytes);
  }
  return bytes;
}

/** A stored decision: gzipped JSON, or a map as items written before decision 41 hold it. */
export function decodeDecision(value: unknown): PriceDecision | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Uint8Array) {
    const decision = JSON.parse(gunzipSync(value).toString('utf8')) as PriceDecision;
    encoded.set(decision, value);
    return decision;
  }
  return value as PriceDecision;
}

/** A change as stored (on the SKU's item as `lastChange`, and as its price-history record). */
export const changeAttributes = (change: PriceChange): Item => ({
  ...change,
  decision: encodeDecision(change.decision),
});

/**
 * A stored change, its decision decoded when first read: a run reads every SKU's last change with
 * its page and looks inside one only when finishing a retried step.
 */
function toStoredChange(value: Item): PriceChange {
  const { decision: stored, ...change } = value;
  let decision: PriceDecision | null | undefined;
  return Object.defineProperty(change, 'decision', {
    enumerable: true,
    get: () => {
      if (decision === undefined) decision = decodeDecision(stored);
      return decision;
    },
  }) as unknown as PriceChange;
}

export const toChange = (item: Item) => toStoredChange(strip(item));
export const changeRef = (c: Pick<PriceChange, 'runId' | 'version'>) => c.runId ?? `api-${c.version}`;

/** A change's price-history record (`PRICE#<at>#<run id or api-version>`: a retry puts the same). */
export const priceChangeItem = (change: PriceChange): Item => ({
  ...keys.priceChange(change.sku, change.at, changeRef(change)),
  entity: 'PriceChange',
  ...changeAttributes(change),
});

/**
 * A SKU's pricing fields and the rules on the single table: what the SKU routes of the restock API
 * need (functions/_shared/sku-api.ts), apart so that function's bundle carries no more of pricing.
 */
export class DynamoSkuPricingStore {
  constructor(
    protected readonly db: DocumentClient,
    protected readonly tableName: string,
  ) {}

  protected async getItem(key: Item, consistent = true): Promise<Item | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }),
    );
    return result.Item;
  }

  /** A conditional write: false when its condition failed. */
  protected async conditional(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await this.db.send(command as PutCommand);
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  // --- rules ----------------------------------------------------------------------------------------

  async getRules(): Promise<VersionedPricingRules | null> {
    const item = await this.getItem(keys.pricingRules());
    return item ? (strip(item) as unknown as VersionedPricingRules) : null;
  }

  // --- SKU pricing ------------------------------------------------------------------------------------

  async getPricing(sku: string): Promise<StoredSkuPricing | null> {
    const item = await this.getItem(keys.skuPricing(sku));
    return item ? toPricing(item) : null;
  }

  async savePricing(
    sku: string,
    pricing: SkuPricing,
    expectedVersion: number | null,
    at: string,
    change: Omit<PriceChange, 'version'> | null,
  ): Promise<SaveResult<StoredSkuPricing>> {
    const version = (expectedVersion ?? 0) + 1;
    if (expectedVersion === null) {
      // The buckets in use, so a run fans out over those only (SKUs are never removed). Added
      // first (ADD is idempotent): a crash after it leaves at worst a bucket with nothing new in
      // it, never a priced SKU in a bucket no run visits.
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.pricingBuckets(),
          UpdateExpression: 'ADD buckets :b SET entity = :e',
          ExpressionAttributeValues: { ':b': new Set([pricingBucket(sku)]), ':e': 'PricingBuckets' },
        }),
      );
    }
    let attributes: Item;
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.skuPricing(sku),
          // The runs' attributes (lastRun, lastChange, factsSeen) stay as they are.
          UpdateExpression:
            'SET entity = :e, sku = :sku, gsi1pk = :g1, gsi1sk = :g2, listPrice = :list, price = :price, ' +
            'minMarginBps = :min, maxMarkupBps = :max, campaignLocked = :locked, version = :next, ' +
            'createdAt = if_not_exists(createdAt, :at), updatedAt = :at',
          ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :v',
          ExpressionAttributeValues: {
            ':e': 'SkuPricing',
            ':sku': sku,
            ':g1': keys.pricingIndex(pricingBucket(sku), sku).gsi1pk,
            ':g2': sku,
            ':list': pricing.listPrice,
            ':price': pricing.price,
            ':min': pricing.minMarginBps,
            ':max': pricing.maxMarkupBps,
            ':locked': pricing.campaignLocked,
            ':next': version,
            ':at': at,
            ...(expectedVersion === null ? {} : { ':v': expectedVersion }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      attributes = (result.Attributes ?? {}) as Item;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { saved: false };
      throw error;
    }
    const point: SettingsPoint = { ...pricing, at, version, priceSet: change !== null };
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.pricingSettings(sku, at, version), entity: 'PricingSettings', sku, ...point },
      }),
    );
    if (change) await this.recordPriceChange({ ...change, version });
    return { saved: true, created: expectedVersion === null, record: toPricing(attributes) };
  }

  async recordPriceChange(change: PriceChange): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: priceChangeItem(change) }));
  }
}
