import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand, type QueryCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Sku, SkuSpec, StockLevels, Supplier } from '#domain/restock/catalog';
import type { RestockPolicy, VersionedPolicy } from '#domain/restock/policy';
import type { PurchaseOrder, PurchaseOrderStatus, Receipt } from '#domain/restock/purchase-order';
import type { SupplierTerms } from '#domain/restock/rules';
import type {
  OpenSlot,
  OrderSale,
  Page,
  ProjectionResult,
  Ranking,
  RestockStore,
  SaveResult,
  SkuCheck,
  SkuMeasure,
} from '#domain/restock/store';
import { CATALOG_BUCKETS } from '#domain/restock/sweep';
import type { Money } from '#domain/shared/money';
import { batchWrite } from './batch.ts';
import { isConditionalCheckFailed, TableStore } from './client.ts';
import { decodeCursor, encodeCursor, isTableKey, pageAcrossBuckets } from './cursor.ts';
import { keys } from './schema.ts';

/**
 * Up to this many SKUs, an order's projection is one round of conditional PutItems (a newer version
 * is never overwritten); past it, BatchWriteItem and a read of the order's version (decision 49):
 * a 2,000-line order in 81 calls instead of 2,000.
 */
export const PROJECT_CONDITIONAL_MAX = 8;

/** A SKU's catalog bucket: a stable hash of its id, so sweeps fan out evenly. */
export function catalogBucket(sku: string): number {
  return createHash('sha256').update(sku).digest().readUInt16BE(0) % CATALOG_BUCKETS;
}

const RETURN_PREFIX = 'return:';
/** The location of the stock level the API sets. */
const API_LOCATION = 'api';
const ATTEMPTS = 8;

type Item = Record<string, unknown>;

function strip(item: Item): Item {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, entity: _e, ...rest } = item;
  return rest;
}

/** Restock's state on the single table (schema.ts lists the access patterns). */
export class DynamoRestockStore extends TableStore implements RestockStore {
  async #query(input: Omit<QueryCommandInput, 'TableName'>): Promise<{ items: Item[]; last?: Item }> {
    const result = await this.db.send(new QueryCommand({ TableName: this.tableName, ...input }));
    return {
      items: (result.Items ?? []) as Item[],
      ...(result.LastEvaluatedKey ? { last: result.LastEvaluatedKey } : {}),
    };
  }

  /** A put that only creates; false when the item exists. */
  async #create(item: Item): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async #update(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
  ): Promise<Item | null> {
    try {
      const result = await this.db.send(new UpdateCommand({ TableName: this.tableName, ...input }));
      return (result.Attributes ?? {}) as Item;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return null;
      throw error;
    }
  }

  // --- policy -------------------------------------------------------------------------------------

  async getPolicy(): Promise<VersionedPolicy | null> {
    const item = await this.item(keys.restockPolicy());
    return item ? (strip(item) as unknown as VersionedPolicy) : null;
  }

  async getPolicyVersion(version: number): Promise<VersionedPolicy | null> {
    const current = await this.getPolicy();
    if (current?.version === version) return current;
    const item = await this.item(keys.restockPolicyVersion(version), false);
    return item ? (strip(item) as unknown as VersionedPolicy) : null;
  }

  async savePolicy(
    policy: RestockPolicy,
    expectedVersion: number,
    at: string,
  ): Promise<SaveResult<VersionedPolicy>> {
    const current = await this.getPolicy();
    if ((current?.version ?? 0) !== expectedVersion) return { saved: false };
    // The version being replaced goes to the history first, so every version stays readable.
    if (current)
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...current, ...keys.restockPolicyVersion(current.version), entity: 'RestockPolicyVersion' },
        }),
      );
    const record: VersionedPolicy = { ...policy, version: expectedVersion + 1, updatedAt: at };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.restockPolicy(), entity: 'RestockPolicy', ...record },
          ConditionExpression: current ? 'version = :v' : 'attribute_not_exists(pk)',
          ...(current ? { ExpressionAttributeValues: { ':v': expectedVersion } } : {}),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { saved: false };
      throw error;
    }
    return { saved: true, created: !current, record };
  }

  // --- suppliers ----------------------------------------------------------------------------------

  async getSupplier(supplierId: string): Promise<Supplier | null> {
    const item = await this.item(keys.supplier(supplierId), false);
    return item ? (strip(item) as unknown as Supplier) : null;
  }

  async listSuppliers(): Promise<Supplier[]> {
    const items = await this.items({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': 'SUPPLIERS' },
    });
    return items.map((i) => strip(i) as unknown as Supplier);
  }

  async saveSupplier(
    terms: SupplierTerms,
    expectedVersion: number | null,
    at: string,
  ): Promise<SaveResult<Supplier>> {
    const existing = expectedVersion === null ? null : await this.getSupplier(terms.supplierId);
    const record: Supplier = {
      ...terms,
      version: (expectedVersion ?? 0) + 1,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.supplier(terms.supplierId),
            ...keys.supplierIndex(terms.supplierId),
            entity: 'Supplier',
            ...record,
          },
          ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(expectedVersion === null ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { saved: false };
      throw error;
    }
    return { saved: true, created: expectedVersion === null, record };
  }

  async recordPurchase(supplierId: string, year: string, poId: string, total: Money): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.purchase(supplierId, year, poId), entity: 'Purchase', poId, total },
      }),
    );
  }

  async purchasedInYear(supplierId: string, year: string, currency: string): Promise<Money> {
    const items = await this.items({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': keys.supplier(supplierId).pk, ':s': `PURCHASE#${year}#` },
      ProjectionExpression: '#t',
      ExpressionAttributeNames: { '#t': 'total' },
    });
    const amount = items
      .map((i) => i.total as Money)
      .filter((m) => m.currency === currency)
      .reduce((sum, m) => sum + m.amount, 0);
    return { amount, currency };
  }

  // --- SKUs -----------------------------------------------------------------------------------------

  async getSku(sku: string): Promise<Sku | null> {
    const item = await this.item(keys.sku(sku));
    return item ? toSku(item) : null;
  }

  async saveSku(
    spec: SkuSpec,
    onHand: number | undefined,
    expectedVersion: number | null,
    at: string,
  ): Promise<SaveResult<Sku>> {
    const raw = expectedVersion === null ? undefined : await this.item(keys.sku(spec.sku));
    const existing = raw ? toSku(raw) : null;
    const levels: StockLevels =
      onHand === undefined ? (existing?.levels ?? {}) : { api: { available: onHand, at } };
    const record: Sku = {
      ...spec,
      levels,
      version: (expectedVersion ?? 0) + 1,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.sku(spec.sku),
            ...keys.catalogIndex(catalogBucket(spec.sku), spec.sku),
            entity: 'Sku',
            ...record,
            // Receipts already added stay recorded (a receipt is counted once, across edits).
            ...(raw?.receiptIds ? { receiptIds: raw.receiptIds } : {}),
          },
          ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(expectedVersion === null ? {} : { ExpressionAttributeValues: { ':v': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return { saved: false };
      throw error;
    }
    return { saved: true, created: expectedVersion === null, record };
  }

  async setStockLevel(sku: string, locationId: string, available: number, at: string) {
    // A platform location's level takes over from the level the API set (`api`).
    const platform = locationId !== API_LOCATION;
    const old = await this.#update({
      Key: keys.sku(sku),
      UpdateExpression: `SET levels.#loc = :level${platform ? ' REMOVE levels.#api' : ''}`,
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(levels.#loc) OR levels.#loc.#at < :at)',
      ExpressionAttributeNames: {
        '#loc': locationId,
        '#at': 'at',
        ...(platform ? { '#api': API_LOCATION } : {}),
      },
      ExpressionAttributeValues: { ':level': { available, at }, ':at': at },
      ReturnValues: 'ALL_OLD',
    });
    if (old) {
      const levels = { ...((old.levels ?? {}) as StockLevels) };
      const before = Object.values(levels).reduce((n, l) => n + l.available, 0);
      if (platform) delete levels[API_LOCATION];
      const after = Object.values({ ...levels, [locationId]: { available, at } }).reduce(
        (n, l) => n + l.available,
        0,
      );
      return { before, after, applied: true };
    }
    const current = await this.getSku(sku);
    if (!current) return null;
    const onHand = Object.values(current.levels).reduce((n, l) => n + l.available, 0);
    return { before: onHand, after: onHand, applied: false };
  }

  async addReceivedStock(
    sku: string,
    receiptId: string,
    locationId: string,
    quantity: number,
    at: string,
  ): Promise<void> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const item = await this.item(keys.sku(sku));
      if (!item) return;
      if ((item.receiptIds as Set<string> | undefined)?.has(receiptId)) return;
      const level = ((item.levels ?? {}) as StockLevels)[locationId];
      const done = await this.#update({
        Key: keys.sku(sku),
        UpdateExpression: 'SET levels.#loc = :level ADD receiptIds :rid',
        ConditionExpression: `version = :v AND NOT contains(receiptIds, :ridValue) AND ${
          level ? 'levels.#loc.available = :old' : 'attribute_not_exists(levels.#loc)'
        }`,
        ExpressionAttributeNames: { '#loc': locationId },
        ExpressionAttributeValues: {
          ':level': { available: (level?.available ?? 0) + quantity, at },
          ':rid': new Set([receiptId]),
          ':ridValue': receiptId,
          ':v': item.version,
          ...(level ? { ':old': level.available } : {}),
        },
      });
      if (done) return;
    }
    throw new Error(`stock of ${sku} kept changing while receipt ${receiptId} was being added; retry`);
  }

  async listBucket(bucket: number, cursor: string | null, limit: number): Promise<Page<Sku>> {
    const page = await this.#query({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': keys.catalogIndex(bucket, '').gsi1pk },
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, isTableKey) } : {}),
    });
    return { items: page.items.map(toSku), cursor: page.last ? encodeCursor(page.last) : null };
  }

  async listSkus(cursor: string | null, limit: number): Promise<Page<Sku>> {
    return pageAcrossBuckets(CATALOG_BUCKETS, cursor, limit, async (bucket, start, max) => {
      const page = await this.#query({
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': keys.catalogIndex(bucket, '').gsi1pk },
        Limit: max,
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      return { items: page.items.map(toSku), ...(page.last ? { last: page.last } : {}) };
    });
  }

  async getMeasure(sku: string): Promise<SkuMeasure | null> {
    const item = await this.item(keys.skuMeasure(sku), false);
    return item ? (strip(item) as unknown as SkuMeasure) : null;
  }

  async saveMeasures(measures: ReadonlyArray<{ sku: string } & SkuMeasure>): Promise<void> {
    await batchWrite(this.db, this.tableName, {
      puts: measures.map((m) => ({ ...keys.skuMeasure(m.sku), entity: 'SkuMeasure', ...m })),
    });
  }

  async skuState(sku: string) {
    // CHECK < MEASURE < OPENPO#…: one range of the SKU's partition.
    const items = await this.items({
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':p': keys.sku(sku).pk, ':from': 'CHECK', ':to': 'OPENPO#\uffff' },
      ConsistentRead: true,
    });
    const measure = items.find((i) => i.sk === 'MEASURE');
    const check = items.find((i) => i.sk === 'CHECK');
    return {
      measure: measure ? (strip(measure) as unknown as SkuMeasure) : null,
      check: check ? toCheck(check) : null,
      slots: items
        .filter((i) => String(i.sk).startsWith('OPENPO#'))
        .map((i) => toSlot(sku, String(i.sk).slice('OPENPO#'.length), i)),
    };
  }

  async getCheck(sku: string): Promise<SkuCheck | null> {
    const item = await this.item(keys.skuCheck(sku), false);
    return item ? toCheck(item) : null;
  }

  async saveChecks(
    checks: ReadonlyArray<{ sku: string } & SkuCheck>,
    previous?: ReadonlyMap<string, SkuCheck | null>,
  ): Promise<void> {
    const changed = (c: { sku: string } & SkuCheck) =>
      !previous?.has(c.sku) || previous.get(c.sku)?.needsRestock !== c.needsRestock;
    await batchWrite(this.db, this.tableName, {
      puts: [
        ...checks.map((c) => ({ ...keys.skuCheck(c.sku), entity: 'SkuCheck', ...c })),
        ...checks
          .filter((c) => c.needsRestock && changed(c))
          .map((c) => ({ ...keys.needsRestock(c.sku), entity: 'NeedsRestock', sku: c.sku, at: c.at })),
      ],
      deletes: checks.filter((c) => !c.needsRestock && changed(c)).map((c) => keys.needsRestock(c.sku)),
    });
  }

  async listNeedsRestock(cursor: string | null, limit: number): Promise<Page<string>> {
    const page = await this.#query({
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': keys.needsRestock('').pk },
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, isTableKey) } : {}),
    });
    return {
      items: page.items.map((i) => i.sku as string),
      cursor: page.last ? encodeCursor(page.last) : null,
    };
  }

  // --- sales ledger -------------------------------------------------------------------------------

  async getOrderSale(orderId: string): Promise<OrderSale | null> {
    const item = await this.item(keys.orderSale(orderId));
    return item ? toOrderSale(orderId, item) : null;
  }

  async #saleChange(
    orderId: string,
    update: string,
    condition: string,
    names: Item,
    values: Item,
  ): Promise<OrderSale> {
    const changed = await this.#update({
      Key: keys.orderSale(orderId),
      UpdateExpression: `SET ${update}, #version = if_not_exists(#version, :zero) + :one, entity = :entity`,
      ConditionExpression: condition,
      ExpressionAttributeNames: { ...names, '#version': 'version' },
      ExpressionAttributeValues: { ...values, ':zero': 0, ':one': 1, ':entity': 'OrderSale' },
      ReturnValues: 'ALL_NEW',
    });
    if (changed) return toOrderSale(orderId, changed);
    // Already recorded (a duplicate or a replay): no second effect.
    const item = await this.item(keys.orderSale(orderId));
    return toOrderSale(orderId, item ?? {});
  }

  recordSale(orderId: string, day: string, lines: Readonly<Record<string, number>>): Promise<OrderSale> {
    return this.#saleChange(
      orderId,
      '#day = :day, #lines = :lines',
      'attribute_not_exists(#day)',
      { '#day': 'day', '#lines': 'lines' },
      { ':day': day, ':lines': lines },
    );
  }

  recordReturn(
    orderId: string,
    refundId: string,
    lines: Readonly<Record<string, number>>,
  ): Promise<OrderSale> {
    return this.#saleChange(
      orderId,
      '#r = :lines',
      'attribute_not_exists(#r)',
      { '#r': `${RETURN_PREFIX}${refundId}` },
      { ':lines': lines },
    );
  }

  recordCancellation(orderId: string): Promise<OrderSale> {
    return this.#saleChange(
      orderId,
      '#c = :yes',
      'attribute_not_exists(#c)',
      { '#c': 'cancelled' },
      { ':yes': true },
    );
  }

  async projectSale(sale: OrderSale, units: Readonly<Record<string, number>>): Promise<ProjectionResult> {
    const entries = Object.entries(units);
    const item = ([sku, n]: [string, number]) => ({
      ...keys.sold(sku, sale.day!, sale.orderId),
      entity: 'Sold',
      units: n,
      version: sale.version,
    });
    if (entries.length > PROJECT_CONDITIONAL_MAX) {
      // A big order (decision 49): its lines in batches of 25, then the order's version read back.
      // An older projection may have landed over a newer one meanwhile; every projection reads the
      // version after its writes, so the one that wrote last sees the newest and is told to write
      // it again: the newest version is what stays.
      await batchWrite(this.db, this.tableName, { puts: entries.map(item) });
      const current = await this.item(keys.orderSale(sale.orderId));
      return current !== undefined && Number(current.version) > sale.version ? 'superseded' : 'written';
    }
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        try {
          await this.db.send(
            new PutCommand({
              TableName: this.tableName,
              Item: item(entries[next++]!),
              // A newer version of the order's sale is never overwritten by an older one.
              ConditionExpression: 'attribute_not_exists(pk) OR version < :v',
              ExpressionAttributeValues: { ':v': sale.version },
            }),
          );
        } catch (error) {
          if (!isConditionalCheckFailed(error)) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PROJECT_CONDITIONAL_MAX, entries.length) }, worker));
    return 'written';
  }

  async unitsSold(sku: string, from: string, to: string): Promise<number> {
    const items = await this.items({
      KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':p': keys.sku(sku).pk,
        ':from': `SOLD#${from}`,
        ':to': `SOLD#${to}#\uffff`,
      },
      ProjectionExpression: 'units',
    });
    return items.reduce((n, i) => n + Number(i.units ?? 0), 0);
  }

  async saveRanking(ranking: Ranking): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.ranking(), entity: 'Ranking', ...ranking },
      }),
    );
  }

  async getRanking(): Promise<Ranking | null> {
    const item = await this.item(keys.ranking(), false);
    return item ? (strip(item) as unknown as Ranking) : null;
  }

  async saveRankCandidates(sweep: string, page: string, top: Ranking['top']): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.rankCandidates(sweep, page), entity: 'RankCandidates', top },
      }),
    );
  }

  async listRankCandidates(sweep: string): Promise<Ranking['top']> {
    const items = await this.items({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': keys.rankCandidates(sweep, '').pk, ':s': 'TOP#' },
    });
    return items.flatMap((i) => i.top as Ranking['top']);
  }

  // --- purchase orders --------------------------------------------------------------------------

  async getSlot(sku: string, supplierId: string): Promise<OpenSlot> {
    const item = await this.item(keys.slot(sku, supplierId));
    return toSlot(sku, supplierId, item);
  }

  async openSlots(sku: string): Promise<OpenSlot[]> {
    const items = await this.items({
      KeyConditionExpression: 'pk = :p AND begins_with(sk, :s)',
      ExpressionAttributeValues: { ':p': keys.sku(sku).pk, ':s': 'OPENPO#' },
      ConsistentRead: true,
    });
    return items.map((i) => toSlot(sku, String(i.sk).slice('OPENPO#'.length), i));
  }

  async claimSlot(
    sku: string,
    supplierId: string,
    seq: number,
    open: NonNullable<OpenSlot['open']>,
  ): Promise<boolean> {
    const claimed = await this.#update({
      Key: keys.slot(sku, supplierId),
      UpdateExpression: 'SET seq = :seq, #open = :open, entity = :entity',
      ConditionExpression: `attribute_not_exists(#open) AND ${seq === 1 ? 'attribute_not_exists(seq)' : 'seq = :prev'}`,
      ExpressionAttributeNames: { '#open': 'open' },
      ExpressionAttributeValues: {
        ':seq': seq,
        ':open': open,
        ':entity': 'OpenSlot',
        ...(seq === 1 ? {} : { ':prev': seq - 1 }),
      },
    });
    return claimed !== null;
  }

  async updateSlot(
    sku: string,
    supplierId: string,
    poId: string,
    changes: { readonly quantity?: number; readonly received?: number },
  ): Promise<void> {
    const sets = Object.entries(changes).filter(([, v]) => v !== undefined);
    if (!sets.length) return;
    await this.#update({
      Key: keys.slot(sku, supplierId),
      UpdateExpression: `SET ${sets.map(([k]) => `#open.#${k} = :${k}`).join(', ')}`,
      ConditionExpression: '#open.poId = :po',
      ExpressionAttributeNames: { '#open': 'open', ...Object.fromEntries(sets.map(([k]) => [`#${k}`, k])) },
      ExpressionAttributeValues: { ':po': poId, ...Object.fromEntries(sets.map(([k, v]) => [`:${k}`, v])) },
    });
  }

  async releaseSlot(sku: string, supplierId: string, poId: string): Promise<void> {
    await this.#update({
      Key: keys.slot(sku, supplierId),
      UpdateExpression: 'REMOVE #open',
      ConditionExpression: '#open.poId = :po',
      ExpressionAttributeNames: { '#open': 'open' },
      ExpressionAttributeValues: { ':po': poId },
    });
  }

  async getPurchaseOrder(poId: string): Promise<PurchaseOrder | null> {
    const item = await this.item(keys.purchaseOrder(poId));
    return item ? toPurchaseOrder(item) : null;
  }

  async createPurchaseOrder(po: PurchaseOrder): Promise<{ created: boolean; po: PurchaseOrder }> {
    const created = await this.#create({
      ...keys.purchaseOrder(po.poId),
      ...keys.purchaseOrderIndex(po.createdAt, po.poId),
      entity: 'PurchaseOrder',
      ...po,
    });
    if (created) return { created, po };
    const existing = await this.getPurchaseOrder(po.poId);
    if (!existing) throw new Error(`purchase order ${po.poId} vanished between create and read`);
    return { created: false, po: existing };
  }

  async transitionPurchaseOrder(
    poId: string,
    from: readonly PurchaseOrderStatus[],
    next: PurchaseOrderStatus,
    changes: Partial<Pick<PurchaseOrder, 'approval' | 'closedAt' | 'approvalExpiresAt'>>,
    at: string,
  ): Promise<{ moved: boolean; po: PurchaseOrder | null }> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const po = await this.getPurchaseOrder(poId);
      if (!po || !from.includes(po.status)) return { moved: false, po };
      const sets = Object.entries({ ...changes, status: next, updatedAt: at });
      const updated = await this.#update({
        Key: keys.purchaseOrder(poId),
        UpdateExpression: `SET ${sets.map(([k]) => `#${k} = :${k}`).join(', ')}`,
        ConditionExpression: '#status = :current',
        ExpressionAttributeNames: Object.fromEntries([
          ...sets.map(([k]) => [`#${k}`, k]),
          ['#status', 'status'],
        ]),
        ExpressionAttributeValues: {
          ...Object.fromEntries(sets.map(([k, v]) => [`:${k}`, v])),
          ':current': po.status,
        },
        ReturnValues: 'ALL_NEW',
      });
      if (updated) return { moved: true, po: toPurchaseOrder(updated) };
    }
    throw new Error(`purchase order ${poId} kept changing; retry`);
  }

  async receive(poId: string, receipt: Receipt) {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const item = await this.item(keys.purchaseOrder(poId));
      if (!item) return { outcome: 'not-placed' as const, po: null };
      const po = toPurchaseOrder(item);
      if ((item.receiptIds as Set<string> | undefined)?.has(receipt.receiptId))
        return { outcome: 'duplicate' as const, po };
      if (po.status !== 'OPEN' && po.status !== 'APPROVED') return { outcome: 'not-placed' as const, po };
      if (po.received + receipt.quantity > po.quantity) return { outcome: 'too-many' as const, po };
      const received = po.received + receipt.quantity;
      const full = received === po.quantity;
      const updated = await this.#update({
        Key: keys.purchaseOrder(poId),
        UpdateExpression: `SET received = :received, receipts = list_append(receipts, :receipt), #status = :next, updatedAt = :at${
          full ? ', closedAt = :at' : ''
        } ADD receiptIds :rid`,
        ConditionExpression: '#status = :current AND received = :before',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':received': received,
          ':receipt': [receipt],
          ':next': full ? 'RECEIVED' : po.status,
          ':at': receipt.at,
          ':rid': new Set([receipt.receiptId]),
          ':current': po.status,
          ':before': po.received,
        },
        ReturnValues: 'ALL_NEW',
      });
      if (updated) return { outcome: 'received' as const, po: toPurchaseOrder(updated) };
    }
    throw new Error(`purchase order ${poId} kept changing while a receipt was added; retry`);
  }

  async parkApproval(poId: string, taskToken: string): Promise<PurchaseOrder | null> {
    const updated = await this.#update({
      Key: keys.purchaseOrder(poId),
      UpdateExpression: 'SET approvalToken = :t',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':t': taskToken },
      ReturnValues: 'ALL_NEW',
    });
    return updated ? toPurchaseOrder(updated) : null;
  }

  async approvalToken(poId: string): Promise<string | null> {
    const item = await this.item(keys.purchaseOrder(poId));
    return typeof item?.approvalToken === 'string' ? item.approvalToken : null;
  }

  async listPurchaseOrders(
    filter: { status?: PurchaseOrderStatus; sku?: string; supplierId?: string },
    cursor: string | null,
    limit: number,
  ): Promise<Page<PurchaseOrder>> {
    const conditions = Object.entries(filter).filter(([, v]) => v !== undefined);
    const page = await this.#query({
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :p',
      ScanIndexForward: false,
      Limit: limit,
      ExpressionAttributeValues: {
        ':p': 'POS',
        ...Object.fromEntries(conditions.map(([k, v]) => [`:${k}`, v])),
      },
      ...(conditions.length
        ? {
            FilterExpression: conditions.map(([k]) => `#${k} = :${k}`).join(' AND '),
            ExpressionAttributeNames: Object.fromEntries(conditions.map(([k]) => [`#${k}`, k])),
          }
        : {}),
      ...(cursor ? { ExclusiveStartKey: decodeCursor(cursor, isTableKey) } : {}),
    });
    return { items: page.items.map(toPurchaseOrder), cursor: page.last ? encodeCursor(page.last) : null };
  }
}

function toSku(item: Item): Sku {
  const { receiptIds: _r, ...rest } = strip(item);
  return rest as unknown as Sku;
}

function toCheck(item: Item): SkuCheck {
  const { sku: _s, ...check } = strip(item);
  return check as unknown as SkuCheck;
}

function toSlot(sku: string, supplierId: string, item: Item | undefined): OpenSlot {
  return {
    sku,
    supplierId,
    seq: Number(item?.seq ?? 0),
    open: (item?.open as OpenSlot['open']) ?? null,
  };
}

function toOrderSale(orderId: string, item: Item): OrderSale {
  const returns: Record<string, Record<string, number>> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(RETURN_PREFIX))
      returns[name.slice(RETURN_PREFIX.length)] = value as Record<string, number>;
  }
  return {
    orderId,
    day: typeof item.day === 'string' ? item.day : null,
    lines: (item.lines as Record<string, number>) ?? {},
    returns,
    cancelled: item.cancelled === true,
    version: Number(item.version ?? 0),
  };
}

function toPurchaseOrder(item: Item): PurchaseOrder {
  const { receiptIds: _r, approvalToken: _t, ...rest } = strip(item);
  return rest as unknown as PurchaseOrder;
}
