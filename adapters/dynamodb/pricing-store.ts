import { setTimeout as delay } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { PricingRules, VersionedPricingRules } from '#domain/pricing/pricing-rules';
import { FACTS_REFRESH_MS, PRICING_BUCKETS } from '#domain/repricing/limits';
import type {
  BundlePricing,
  ObservedPrice,
  Page,
  PriceChange,
  PricingStore,
  RecordedHistory,
  RunChangeGuard,
  RunWrite,
  RunWriteOutcome,
  SaveResult,
  SettingsPoint,
  SkuFacts,
  StoredBundle,
  StoredSkuPricing,
  WhatIfJob,
} from '#domain/repricing/store';
import { batchGet, batchPut } from './batch.ts';
import type { DocumentClient } from './client.ts';
import { decodeCursor, encodeCursor, isTableKey, pageAcrossBuckets } from './cursor.ts';
import { keys } from './schema.ts';
import {
  changeAttributes,
  DynamoSkuPricingStore,
  expiresAt,
  type Item,
  priceChangeItem,
  strip,
  toChange,
  toPricing,
} from './sku-pricing-store.ts';

export { HISTORY_RETENTION_DAYS, pricingBucket } from './sku-pricing-store.ts';

/** Prefix of a latest-observation attribute on the `PCOMP` item: `c:<competitor>`. */
const COMPETITOR_ATTR = 'c:';

/** What a replay reads of a `PHIST` item (facts, observation, units sold). */
const HISTORY_NAMES = {
  '#e': 'entity',
  '#at': 'at',
  '#oh': 'onHand',
  '#cost': 'cost',
  '#c': 'competitor',
  '#p': 'price',
  '#o': 'observedAt',
  '#r': 'recordedAt',
  '#u': 'url',
  '#n': 'units',
};
const HISTORY_PROJECTION = Object.keys(HISTORY_NAMES).join(', ');

/** DynamoDB's most actions in one TransactWriteItems. */
export const TRANSACT_MAX_ITEMS = 100;
/** Transactions cancelled by conflicts alone (no condition failed) before the step gives up and retries. */
const TRANSACT_CONFLICT_ROUNDS = 5;

/** A run's conditional update of one SKU (a single call, or an action of a transaction). */
type RunUpdate = UpdateCommandInput & { UpdateExpression: string; ConditionExpression: string };

/** A write's outcome when the store took it as asked. */
const applied = (write: RunWrite): RunWriteOutcome =>
  write.kind === 'change' ? 'applied' : { kept: write.facts };

/** A what-if job and its result are kept a week after the job started (TTL). */
export const WHAT_IF_JOB_RETENTION_S = 7 * 86_400;

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
export class DynamoPricingStore extends DynamoSkuPricingStore implements PricingStore {
  readonly #transactions: boolean;
  readonly #sleep: (ms: number) => Promise<unknown>;

  /**
   * `transactions: false` sends a run page's writes one call each (`-c repricingWrites=single`):
   * the standard write units, ~100 calls a page instead of ~1 (decision 50). `sleep` waits out
   * the backoff between transactions cancelled by conflicts alone (tests pass their own).
   */
  constructor(
    db: DocumentClient,
    tableName: string,
    options: { transactions?: boolean; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    super(db, tableName);
    this.#transactions = options.transactions ?? true;
    this.#sleep = options.sleep ?? delay;
  }

  async getPricings(skus: readonly string[]): Promise<Map<string, StoredSkuPricing>> {
    const items = await batchGet(
      this.db,
      this.tableName,
      [...new Set(skus)].map((s) => keys.skuPricing(s)),
    );
    return new Map(items.map((i) => [i.sku as string, toPricing(i)]));
  }

  protected async queryPage(
    input: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<{ items: Item[]; last?: Item }> {
    const result = await this.db.send(new QueryCommand({ TableName: this.tableName, ...input }));
    return {
      items: (result.Items ?? []) as Item[],
      ...(result.LastEvaluatedKey ? { last: result.LastEvaluatedKey } : {}),
    };
  }

  protected async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.queryPage({ ...input, ...(start ? { ExclusiveStartKey: start } : {}) });
      items.push(...page.items);
      start = page.last;
    } while (start);
    return items;
  }

  async getRulesVersion(version: number): Promise<VersionedPricingRules | null> {
    const current = await this.getRules();
    if (current?.version === version) return current;
    const item = await this.getItem(keys.pricingRulesVersion(version), false);
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
    const saved = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.pricingRules(), entity: 'PricingRules', ...record },
        ConditionExpression: current ? 'version = :v' : 'attribute_not_exists(pk)',
        ...(current ? { ExpressionAttributeValues: { ':v': expectedVersion } } : {}),
      }),
    );
    return saved ? { saved: true, created: !current, record } : { saved: false };
  }

  async listBucket(bucket: number, cursor: string | null, limit: number): Promise<Page<StoredSkuPricing>> {
    const page = await this.queryPage({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': keys.pricingIndex(bucket, '').gsi1pk },
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, isTableKey) } : {}),
    });
    return { items: page.items.map(toPricing), cursor: page.last ? encodeCursor(page.last) : null };
  }

  async nonEmptyBuckets(): Promise<number[]> {
    const item = await this.getItem(keys.pricingBuckets());
    return [...((item?.buckets as Set<number> | undefined) ?? [])].map(Number).sort((a, b) => a - b);
  }

  async listPricings(cursor: string | null, limit: number): Promise<Page<StoredSkuPricing>> {
    return pageAcrossBuckets(PRICING_BUCKETS, cursor, limit, async (bucket, start, max) => {
      const page = await this.queryPage({
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': keys.pricingIndex(bucket, '').gsi1pk },
        Limit: max,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      return { items: page.items.map(toPricing), ...(page.last ? { last: page.last } : {}) };
    });
  }

  async applyRunChange(
    change: PriceChange,
    expectedVersion: number,
    guard: RunChangeGuard = {},
  ): Promise<'applied' | 'stale' | 'done'> {
    if (await this.conditional(new UpdateCommand(this.#changeUpdate(change, expectedVersion, guard)))) {
      return 'applied';
    }
    return this.#changeRefused(change);
  }

  /**
   * Up to 100 SKUs' writes in one TransactWriteItems: the same conditional updates as
   * `applyRunChange` and `claimFacts`, all or nothing. A cancelled transaction says which conditions
   * failed: those are settled one by one as the single calls settle them (read back), and the rest
   * are sent again, until every write is applied or refused. One write alone is a single call (a
   * transaction costs twice the write units).
   */
  async applyRunWrites(writes: readonly RunWrite[]): Promise<RunWriteOutcome[]> {
    if (!this.#transactions) return Promise.all(writes.map((w) => this.#applyOne(w)));
    const outcomes: RunWriteOutcome[] = new Array(writes.length);
    const chunks: number[][] = [];
    for (let i = 0; i < writes.length; i += TRANSACT_MAX_ITEMS) {
      chunks.push(writes.slice(i, i + TRANSACT_MAX_ITEMS).map((_, j) => i + j));
    }
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending = chunk;
        for (let round = 1; pending.length > 0; round++) {
          if (pending.length === 1) {
            const i = pending[0]!;
            outcomes[i] = await this.#applyOne(writes[i]!);
            return;
          }
          const refused = await this.#transact(pending.map((i) => this.#update(writes[i]!)));
          if (refused === null) {
            for (const i of pending) outcomes[i] = applied(writes[i]!);
            return;
          }
          const failed = pending.filter((_, k) => refused[k] === 'ConditionalCheckFailed');
          const other = refused.find(
            (r) => r !== 'ConditionalCheckFailed' && r !== 'None' && r !== 'TransactionConflict',
          );
          if (other) throw new Error(`a repricing write was cancelled: ${other}`);
          if (failed.length === 0) {
            if (round >= TRANSACT_CONFLICT_ROUNDS) {
              throw new Error('repricing writes kept conflicting with other writes; retry');
            }
            // Conflicts alone (another writer on some of these items): back off, full jitter.
            await this.#sleep(Math.random() * 50 * 2 ** round);
          }
          await Promise.all(failed.map(async (i) => (outcomes[i] = await this.#refused(writes[i]!))));
          pending = pending.filter((_, k) => refused[k] !== 'ConditionalCheckFailed');
        }
      }),
    );
    return outcomes;
  }

  /** The codes of a cancelled transaction, one per action; null when it was applied. */
  async #transact(updates: RunUpdate[]): Promise<string[] | null> {
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: updates.map((Update) => ({ Update })) }));
      return null;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException) || !error.CancellationReasons) throw error;
      return error.CancellationReasons.map((r) => r.Code ?? 'None');
    }
  }

  #update(write: RunWrite): RunUpdate {
    return write.kind === 'change'
      ? this.#changeUpdate(write.change, write.expectedVersion, write.guard)
      : this.#factsUpdate(write.sku, write.facts);
  }

  async #applyOne(write: RunWrite): Promise<RunWriteOutcome> {
    return (await this.conditional(new UpdateCommand(this.#update(write))))
      ? applied(write)
      : this.#refused(write);
  }

  async #refused(write: RunWrite): Promise<RunWriteOutcome> {
    return write.kind === 'change'
      ? this.#changeRefused(write.change)
      : { kept: await this.#factsRefused(write.sku, write.facts) };
  }

  #changeUpdate(change: PriceChange, expectedVersion: number, guard: RunChangeGuard): RunUpdate {
    const keep = guard.factsKept ? null : (guard.keepFacts ?? null);
    return {
      TableName: this.tableName,
      Key: keys.skuPricing(change.sku),
      UpdateExpression: `SET price = :price, version = :next, lastRun = :run, lastRunAt = :at, lastChange = :change${keep ? ', factsSeen = :f' : ''}`,
      // One change per run and SKU: from the version decided on, by no run at or after this one;
      // on the facts of this instant no other attempt kept; in no bundle if it was in none.
      ConditionExpression: [
        'version = :v AND campaignLocked = :unlocked AND (attribute_not_exists(lastRunAt) OR lastRunAt < :at)',
        ...(guard.factsKept ? [] : ['(attribute_not_exists(factsSeen) OR factsSeen.#fat < :at)']),
        ...(guard.inNoBundle ? ['attribute_not_exists(bundles)'] : []),
      ].join(' AND '),
      ...(guard.factsKept ? {} : { ExpressionAttributeNames: { '#fat': 'at' } }),
      ExpressionAttributeValues: {
        ':price': change.newPrice,
        ':next': change.version,
        ':run': { runId: change.runId, at: change.at },
        ':at': change.at,
        ':change': changeAttributes(change),
        ':v': expectedVersion,
        ':unlocked': false,
        ...(keep ? { ':f': keep } : {}),
      },
    };
  }

  /** Why a change was refused: this run or a later one changed the SKU (`done`), or it changed (`stale`). */
  async #changeRefused(change: PriceChange): Promise<'stale' | 'done'> {
    const current = await this.getItem(keys.skuPricing(change.sku));
    const lastRunAt = current?.lastRunAt as string | undefined;
    return lastRunAt !== undefined && lastRunAt >= change.at ? 'done' : 'stale';
  }

  async recordPriceChanges(changes: readonly PriceChange[]): Promise<void> {
    await batchPut(this.db, this.tableName, changes.map(priceChangeItem));
  }

  async listPriceChanges(sku: string, cursor: string | null, limit: number): Promise<Page<PriceChange>> {
    const page = await this.queryPage({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': keys.skuPricing(sku).pk, ':s': 'PRICE#' },
      ScanIndexForward: false,
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, isTableKey) } : {}),
    });
    return { items: page.items.map(toChange), cursor: page.last ? encodeCursor(page.last) : null };
  }

  async claimFacts(sku: string, facts: SkuFacts): Promise<SkuFacts> {
    if (await this.conditional(new UpdateCommand(this.#factsUpdate(sku, facts)))) return facts;
    return this.#factsRefused(sku, facts);
  }

  #factsUpdate(sku: string, facts: SkuFacts): RunUpdate {
    return {
      TableName: this.tableName,
      Key: keys.skuPricing(sku),
      UpdateExpression: 'SET factsSeen = :f',
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(factsSeen) OR factsSeen.#at < :at)',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':f': facts, ':at': facts.at },
    };
  }

  /** The facts kept at `facts.at` when another attempt kept some first (the given ones otherwise). */
  async #factsRefused(sku: string, facts: SkuFacts): Promise<SkuFacts> {
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
    const latest = await this.conditional(
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
    const items = await this.queryAll({
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

  /**
   * Three Queries per SKU: the `PHIST` range (facts, observations, units sold) from the look-back
   * to `to`, projected to what a replay reads; the settings points up to `to`; the price changes in
   * [from, to] and the last one before `from`. (One walk down from `PSET#<to>` into `PRICE#` would
   * save a Query but read every change after `to`: unbounded for an old period.)
   */
  async history(sku: string, from: string, to: string, lookbackMs: number): Promise<RecordedHistory> {
    const pk = keys.skuPricing(sku).pk;
    const back = Math.max(lookbackMs, FACTS_REFRESH_MS + 3_600_000);
    const since = new Date(Date.parse(from) - back).toISOString();
    const [recorded, settings, changes] = await Promise.all([
      this.queryAll({
        KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':p': pk, ':from': `PHIST#${since}`, ':to': `PHIST#${to}#\uffff` },
        ProjectionExpression: HISTORY_PROJECTION,
        ExpressionAttributeNames: HISTORY_NAMES,
      }),
      this.queryAll({
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
      const page = await this.queryPage({
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
    const item = await this.getItem(keys.bundle(bundleId));
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
    const saved = await this.conditional(
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
        .flatMap((sku) => [
          this.db.send(
            new DeleteCommand({ TableName: this.tableName, Key: keys.bundleMember(sku, bundle.bundleId) }),
          ),
          // Its price changes no longer recompute this bundle.
          this.conditional(
            new UpdateCommand({
              TableName: this.tableName,
              Key: keys.skuPricing(sku),
              UpdateExpression: 'DELETE bundles :b',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeValues: { ':b': new Set([bundle.bundleId]) },
            }),
          ),
        ]),
    ]);
    return { saved: true, created: expectedVersion === null, record };
  }

  async saveBundlePricing(
    bundleId: string,
    pricing: BundlePricing,
    expectedVersion: number,
  ): Promise<boolean> {
    return this.conditional(
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

  async markBundleMembers(bundleId: string, skus: readonly string[]): Promise<void> {
    await Promise.all(
      [...new Set(skus)].map((sku) =>
        // Only a SKU with pricing (a bundle's items are priced): no pricing item is created here.
        this.conditional(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.skuPricing(sku),
            UpdateExpression: 'ADD bundles :b',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':b': new Set([bundleId]) },
          }),
        ),
      ),
    );
  }

  async bundlesOf(sku: string): Promise<string[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': keys.skuPricing(sku).pk, ':s': 'BUNDLE#' },
      ProjectionExpression: 'bundleId',
    });
    return items.map((i) => i.bundleId as string);
  }

  // --- what-if jobs -----------------------------------------------------------------------------------

  async createWhatIfJob(job: WhatIfJob): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.whatIfJob(job.jobId),
          entity: 'WhatIfJob',
          ...job,
          expiresAt: Math.floor(Date.parse(job.createdAt) / 1000) + WHAT_IF_JOB_RETENTION_S,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getWhatIfJob(jobId: string): Promise<WhatIfJob | null> {
    const item = await this.getItem(keys.whatIfJob(jobId));
    return item ? (strip(item) as unknown as WhatIfJob) : null;
  }

  async saveWhatIfPart(
    jobId: string,
    index: number,
    skus: readonly unknown[],
    progress: { readonly replayed: number; readonly last: boolean; readonly at: string },
  ): Promise<void> {
    // A part is its SKUs' JSON, gzipped (a 7-day chunk of 100 SKUs is ~0.6 MB of JSON, ~10× less
    // zipped: well under the 400 KB item limit).
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.whatIfPart(jobId, index),
          entity: 'WhatIfPart',
          data: gzipSync(JSON.stringify(skus)),
          expiresAt: Math.floor(Date.parse(progress.at) / 1000) + WHAT_IF_JOB_RETENTION_S,
        },
      }),
    );
    // Counted once, in order (a retried step finds it counted).
    await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.whatIfJob(jobId),
        UpdateExpression: 'SET parts = :next, replayed = :r, updatedAt = :at, #s = :s',
        ConditionExpression: 'parts = :index AND #s = :running',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':next': index + 1,
          ':index': index,
          ':r': progress.replayed,
          ':at': progress.at,
          ':s': progress.last ? 'succeeded' : 'running',
          ':running': 'running',
        },
      }),
    );
  }

  async getWhatIfPart(jobId: string, index: number): Promise<unknown[] | null> {
    const item = await this.getItem(keys.whatIfPart(jobId, index), false);
    if (!item) return null;
    return JSON.parse(gunzipSync(item.data as Uint8Array).toString('utf8')) as unknown[];
  }

  async failWhatIfJob(jobId: string, error: string, at: string): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.whatIfJob(jobId),
        UpdateExpression: 'SET #s = :failed, #e = :e, updatedAt = :at',
        ConditionExpression: '#s = :running',
        ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
        ExpressionAttributeValues: { ':failed': 'failed', ':e': error, ':at': at, ':running': 'running' },
      }),
    );
  }
}
