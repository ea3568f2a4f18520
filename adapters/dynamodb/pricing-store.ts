import { createHash } from 'node:crypto';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { PricingRules, VersionedPricingRules } from '#domain/pricing/pricing-rules';
import type { SkuPricing } from '#domain/pricing/sku-pricing';
import { FACTS_REFRESH_MS, PRICING_BUCKETS } from '#domain/repricing/run';
import type {
  BundlePricing,
  ObservedPrice,
  Page,
  PriceChange,
  PricingStore,
  RecordedHistory,
  SaveResult,
  SettingsPoint,
  SkuFacts,
  StoredBundle,
  StoredSkuPricing,
} from '#domain/repricing/store';
import { ValidationError } from '#domain/shared/errors';
import { batchGet, batchPut } from './batch.ts';
import { isConditionalCheckFailed } from './client.ts';
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
const RETENTION_S = HISTORY_RETENTION_DAYS * 86_400;
/** Prefix of a latest-observation attribute on the `PCOMP` item: `c:<competitor>`. */
const COMPETITOR_ATTR = 'c:';

type Item = Record<string, unknown>;

const expiresAt = (at: string) => Math.floor(Date.parse(at) / 1000) + RETENTION_S;

function strip(item: Item): Item {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entity: _e, expiresAt: _x, ...rest } = item;
  return rest;
}

function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor<T>(cursor: string, valid: (value: unknown) => value is T): T {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (valid(value)) return value;
  } catch {
    // the validation error below
  }
  throw ValidationError.field('cursor', 'is not a cursor this API handed out');
}

const isKey = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  Object.values(v).every((x) => typeof x === 'string' && x.length <= 1024) &&
  Object.keys(v).every((k) => ['pk', 'sk', 'gsi1pk', 'gsi1sk'].includes(k));

function toPricing(item: Item): StoredSkuPricing {
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
    lastChange: (item.lastChange as PriceChange | undefined) ?? null,
    factsSeen: (item.factsSeen as SkuFacts | undefined) ?? null,
  };
}

const toChange = (item: Item) => strip(item) as unknown as PriceChange;
const changeRef = (c: Pick<PriceChange, 'runId' | 'version'>) => c.runId ?? `api-${c.version}`;

function toObservation(value: unknown): ObservedPrice | null {
  const o = value as Partial<ObservedPrice> | null;
  if (!o || typeof o.competitor !== 'string' || !o.price || typeof o.observedAt !== 'string') return null;
  return {
    competitor: o.competitor,
    price: o.price,
    observedAt: o.observedAt,
    recordedAt: o.recordedAt ?? o.observedAt,
    url: o.url ?? null,
  };
}

/** Repricing's state on the single table (schema.ts lists the access patterns). */
export class DynamoPricingStore implements PricingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async #get(key: Item, consistent = true): Promise<Item | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }),
    );
    return result.Item;
  }

  async #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; last?: Item }> {
    const result = await this.db.send(new QueryCommand({ TableName: this.tableName, ...input }));
    return {
      items: (result.Items ?? []) as Item[],
      ...(result.LastEvaluatedKey ? { last: result.LastEvaluatedKey } : {}),
    };
  }

  async #queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#query({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) });
      items.push(...page.items);
      start = page.last;
    } while (start);
    return items;
  }

  /** A conditional write: false when its condition failed. */
  async #conditional(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
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
    const item = await this.#get(keys.pricingRules());
    return item ? (strip(item) as unknown as VersionedPricingRules) : null;
  }

  async getRulesVersion(version: number): Promise<VersionedPricingRules | null> {
    const current = await this.getRules();
    if (current?.version === version) return current;
    const item = await this.#get(keys.pricingRulesVersion(version), false);
    return item ? (strip(item) as unknown as VersionedPricingRules) : null;
  }

  async saveRules(
    rules: PricingRules,
    expectedVersion: number,
    at: string,
  ): Promise<SaveResult<VersionedPricingRules>> {
    const current = await this.getRules();
    if ((current?.version ?? 0) !== expectedVersion) return { saved: false };
    // The version being replaced goes to the history first, so every version stays readable.
    if (current) {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...current, ...keys.pricingRulesVersion(current.version), entity: 'PricingRulesVersion' },
        }),
      );
    }
    const record: VersionedPricingRules = { ...rules, version: expectedVersion + 1, updatedAt: at };
    const saved = await this.#conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.pricingRules(), entity: 'PricingRules', ...record },
        ConditionExpression: current ? 'version = :v' : 'attribute_not_exists(pk)',
        ...(current ? { ExpressionAttributeValues: { ':v': expectedVersion } } : {}),
      }),
    );
    return saved ? { saved: true, created: !current, record } : { saved: false };
  }

  // --- SKU pricing ------------------------------------------------------------------------------------

  async getPricing(sku: string): Promise<StoredSkuPricing | null> {
    const item = await this.#get(keys.skuPricing(sku));
    return item ? toPricing(item) : null;
  }

  async getPricings(skus: readonly string[]): Promise<Map<string, StoredSkuPricing>> {
    const items = await batchGet(
      this.db,
      this.tableName,
      [...new Set(skus)].map((s) => keys.skuPricing(s)),
    );
    return new Map(items.map((i) => [i.sku as string, toPricing(i)]));
  }

  async savePricing(
    sku: string,
    pricing: SkuPricing,
    expectedVersion: number | null,
    at: string,
    change: Omit<PriceChange, 'version'> | null,
  ): Promise<SaveResult<StoredSkuPricing>> {
    const version = (expectedVersion ?? 0) + 1;
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
    if (expectedVersion === null) {
      // The buckets in use, so a run fans out over those only (SKUs are never removed).
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.pricingBuckets(),
          UpdateExpression: 'ADD buckets :b SET entity = :e',
          ExpressionAttributeValues: { ':b': new Set([pricingBucket(sku)]), ':e': 'PricingBuckets' },
        }),
      );
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

  async listBucket(bucket: number, cursor: string | null, limit: number): Promise<Page<StoredSkuPricing>> {
    const page = await this.#query({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': keys.pricingIndex(bucket, '').gsi1pk },
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, isKey) } : {}),
    });
    return { items: page.items.map(toPricing), cursor: page.last ? encodeCursor(page.last) : null };
  }

  async nonEmptyBuckets(): Promise<number[]> {
    const item = await this.#get(keys.pricingBuckets());
    return [...((item?.buckets as Set<number> | undefined) ?? [])].map(Number).sort((a, b) => a - b);
  }

  async listPricings(cursor: string | null, limit: number): Promise<Page<StoredSkuPricing>> {
    let at = cursor
      ? decodeCursor(cursor, (v): v is { b: number; k: Record<string, string> | null } => {
          const c = v as { b?: unknown; k?: unknown };
          return (
            Number.isInteger(c.b) &&
            (c.b as number) >= 0 &&
            (c.b as number) < PRICING_BUCKETS &&
            (c.k === null || isKey(c.k))
          );
        })
      : { b: 0, k: null };
    const items: StoredSkuPricing[] = [];
    while (items.length < limit && at.b < PRICING_BUCKETS) {
      const page = await this.#query({
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': keys.pricingIndex(at.b, '').gsi1pk },
        Limit: limit - items.length,
        ...(at.k ? { ExclusiveStartKey: at.k } : {}),
      });
      items.push(...page.items.map(toPricing));
      at = page.last ? { b: at.b, k: page.last as Record<string, string> } : { b: at.b + 1, k: null };
    }
    return { items, cursor: at.b < PRICING_BUCKETS ? encodeCursor(at) : null };
  }

  async applyRunChange(change: PriceChange, expectedVersion: number): Promise<'applied' | 'stale' | 'done'> {
    const applied = await this.#conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.skuPricing(change.sku),
        UpdateExpression:
          'SET price = :price, version = :next, lastRun = :run, lastRunAt = :at, lastChange = :change',
        // One change per run and SKU: from the version decided on, by no run at or after this one.
        ConditionExpression:
          'version = :v AND campaignLocked = :unlocked AND (attribute_not_exists(lastRunAt) OR lastRunAt < :at)',
        ExpressionAttributeValues: {
          ':price': change.newPrice,
          ':next': change.version,
          ':run': { runId: change.runId, at: change.at },
          ':at': change.at,
          ':change': change,
          ':v': expectedVersion,
          ':unlocked': false,
        },
      }),
    );
    if (applied) return 'applied';
    const current = await this.#get(keys.skuPricing(change.sku));
    const lastRunAt = current?.lastRunAt as string | undefined;
    return lastRunAt !== undefined && lastRunAt >= change.at ? 'done' : 'stale';
  }

  async recordPriceChange(change: PriceChange): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.priceChange(change.sku, change.at, changeRef(change)),
          entity: 'PriceChange',
          ...change,
        },
      }),
    );
  }

  async listPriceChanges(sku: string, cursor: string | null, limit: number): Promise<Page<PriceChange>> {
    const page = await this.#query({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': keys.skuPricing(sku).pk, ':s': 'PRICE#' },
      ScanIndexForward: false,
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, isKey) } : {}),
    });
    return { items: page.items.map(toChange), cursor: page.last ? encodeCursor(page.last) : null };
  }

  async claimFacts(sku: string, facts: SkuFacts): Promise<SkuFacts> {
    const kept = await this.#conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.skuPricing(sku),
        UpdateExpression: 'SET factsSeen = :f',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(factsSeen) OR factsSeen.#at < :at)',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':f': facts, ':at': facts.at },
      }),
    );
    if (kept) return facts;
    const seen = (await this.getPricing(sku))?.factsSeen;
    return seen?.at === facts.at ? seen : facts;
  }

  async recordFacts(
    points: ReadonlyArray<{ readonly sku: string; readonly facts: SkuFacts }>,
  ): Promise<void> {
    await batchPut(
      this.db,
      this.tableName,
      points.map(({ sku, facts }) => ({
        ...keys.pricingHistory(sku, facts.at, 'F', 'run'),
        entity: 'PricingFacts',
        sku,
        ...facts,
        expiresAt: expiresAt(facts.at),
      })),
    );
  }

  // --- competitors ------------------------------------------------------------------------------------

  async recordObservation(
    sku: string,
    observation: ObservedPrice,
    ref: string,
  ): Promise<{ latest: boolean }> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.pricingHistory(sku, observation.recordedAt, 'O', ref),
          entity: 'CompetitorObservation',
          sku,
          ...observation,
          expiresAt: expiresAt(observation.recordedAt),
        },
      }),
    );
    // The latest per competitor: an observation seen earlier than the one kept never replaces it.
    const latest = await this.#conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.competitorPrices(sku),
        UpdateExpression: 'SET #c = :o, entity = :e, sku = :sku',
        ConditionExpression: 'attribute_not_exists(#c) OR #c.observedAt < :at',
        ExpressionAttributeNames: { '#c': `${COMPETITOR_ATTR}${observation.competitor}` },
        ExpressionAttributeValues: {
          ':o': observation,
          ':e': 'CompetitorPrices',
          ':sku': sku,
          ':at': observation.observedAt,
        },
      }),
    );
    return { latest };
  }

  async latestObservations(skus: readonly string[]): Promise<Map<string, ObservedPrice[]>> {
    const items = await batchGet(
      this.db,
      this.tableName,
      [...new Set(skus)].map((s) => keys.competitorPrices(s)),
    );
    const latest = new Map<string, ObservedPrice[]>();
    for (const item of items) {
      const observations = Object.entries(item)
        .filter(([name]) => name.startsWith(COMPETITOR_ATTR))
        .map(([, value]) => toObservation(value))
        .filter((o): o is ObservedPrice => o !== null)
        .sort((a, b) => (a.competitor < b.competitor ? -1 : a.competitor > b.competitor ? 1 : 0));
      latest.set(item.sku as string, observations);
    }
    return latest;
  }

  async observationsRecorded(sku: string, from: string, to: string): Promise<ObservedPrice[]> {
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':p': keys.skuPricing(sku).pk,
        ':from': `PHIST#${from}`,
        ':to': `PHIST#${to}#\uffff`,
      },
      ConsistentRead: true,
    });
    return items
      .filter((i) => i.entity === 'CompetitorObservation')
      .map((i) => toObservation(i))
      .filter((o): o is ObservedPrice => o !== null);
  }

  // --- sales and history ------------------------------------------------------------------------------

  async recordSold(
    entries: ReadonlyArray<{
      readonly sku: string;
      readonly hour: string;
      readonly orderId: string;
      readonly units: number;
    }>,
  ): Promise<void> {
    await batchPut(
      this.db,
      this.tableName,
      entries.map((e) => ({
        ...keys.pricingHistory(e.sku, e.hour, 'S', e.orderId),
        entity: 'PricingSold',
        sku: e.sku,
        at: e.hour,
        units: e.units,
        expiresAt: expiresAt(e.hour),
      })),
    );
  }

  async history(sku: string, from: string, to: string, lookbackMs: number): Promise<RecordedHistory> {
    const pk = keys.skuPricing(sku).pk;
    const back = Math.max(lookbackMs, FACTS_REFRESH_MS + 3_600_000);
    const since = new Date(Date.parse(from) - back).toISOString();
    const [recorded, settings, changes] = await Promise.all([
      this.#queryAll({
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': pk, ':from': `PHIST#${since}`, ':to': `PHIST#${to}#\uffff` },
      }),
      this.#queryAll({
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': pk, ':from': 'PSET#', ':to': `PSET#${to}#\uffff` },
      }),
      this.#changesBack(pk, from, to),
    ]);
    return {
      sku,
      settings: settings.map((i) => strip(i) as unknown as SettingsPoint),
      facts: recorded
        .filter((i) => i.entity === 'PricingFacts')
        .map((i) => ({
          onHand: Number(i.onHand),
          cost: (i.cost as SkuFacts['cost']) ?? null,
          at: i.at as string,
        })),
      observations: recorded
        .filter((i) => i.entity === 'CompetitorObservation')
        .map((i) => toObservation(i))
        .filter((o): o is ObservedPrice => o !== null),
      sold: recorded
        .filter((i) => i.entity === 'PricingSold' && (i.at as string) >= from)
        .map((i) => ({ at: i.at as string, units: Number(i.units) })),
      changes,
    };
  }

  /** The price changes in [from, to] and the last one before `from`, newest first. */
  async #changesBack(pk: string, from: string, to: string): Promise<PriceChange[]> {
    const changes: PriceChange[] = [];
    let start: Item | undefined;
    do {
      const page = await this.#query({
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': pk, ':from': 'PRICE#', ':to': `PRICE#${to}#\uffff` },
        ScanIndexForward: false,
        Limit: 50,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const item of page.items) {
        const change = toChange(item);
        changes.push(change);
        if (change.at < from) return changes;
      }
      start = page.last;
    } while (start);
    return changes;
  }

  // --- bundles ----------------------------------------------------------------------------------------

  async getBundle(bundleId: string): Promise<StoredBundle | null> {
    const item = await this.#get(keys.bundle(bundleId));
    return item ? (strip(item) as unknown as StoredBundle) : null;
  }

  async saveBundle(
    bundle: Omit<StoredBundle, 'version' | 'createdAt' | 'updatedAt'>,
    expectedVersion: number | null,
    at: string,
    previousItems: readonly string[],
  ): Promise<SaveResult<StoredBundle>> {
    const existing = expectedVersion === null ? null : await this.getBundle(bundle.bundleId);
    const record: StoredBundle = {
      ...bundle,
      version: (expectedVersion ?? 0) + 1,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    };
    const saved = await this.#conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.bundle(bundle.bundleId), entity: 'Bundle', ...record },
        ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :v',
        ...(expectedVersion === null ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
      }),
    );
    if (!saved) return { saved: false };
    // Membership items: a price change finds its SKU's bundles with one Query.
    const skus = new Set(bundle.items.map((i) => i.sku));
    await Promise.all([
      ...[...skus].map((sku) =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              ...keys.bundleMember(sku, bundle.bundleId),
              entity: 'BundleMember',
              bundleId: bundle.bundleId,
            },
          }),
        ),
      ),
      ...previousItems
        .filter((sku) => !skus.has(sku))
        .map((sku) =>
          this.db.send(
            new DeleteCommand({ TableName: this.tableName, Key: keys.bundleMember(sku, bundle.bundleId) }),
          ),
        ),
    ]);
    return { saved: true, created: expectedVersion === null, record };
  }

  async saveBundlePricing(
    bundleId: string,
    pricing: BundlePricing,
    expectedVersion: number,
  ): Promise<boolean> {
    return this.#conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.bundle(bundleId),
        UpdateExpression: 'SET pricing = :p',
        // Never an older computation over a newer one (two price changes recomputing at once).
        ConditionExpression: 'version = :v AND (attribute_not_exists(pricing) OR pricing.computedAt <= :at)',
        ExpressionAttributeValues: { ':p': pricing, ':v': expectedVersion, ':at': pricing.computedAt },
      }),
    );
  }

  async bundlesOf(sku: string): Promise<string[]> {
    const items = await this.#queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': keys.skuPricing(sku).pk, ':s': 'BUNDLE#' },
      ProjectionExpression: 'bundleId',
    });
    return items.map((i) => i.bundleId as string);
  }
}
