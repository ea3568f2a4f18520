import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type Campaign,
  type CampaignStatus,
  PILOT_LIVE,
  type StatusChange,
} from '#domain/campaigns/campaign';
import type { Experiment, ExperimentConclusion, ExperimentResults } from '#domain/campaigns/experiment';
import type { QuoteBundle } from '#domain/campaigns/quote';
import {
  type CampaignPatch,
  type CampaignStore,
  type CatalogPrices,
  LIVE_TERMS,
  type LiveCampaign,
  type Transition,
} from '#domain/campaigns/store';
import { CATALOG_BUCKETS } from '#domain/shared/catalog';
import type { Money } from '#domain/shared/money';
import { batchGet } from './batch.ts';
import { newCounter } from './budget-counter.ts';
import { type DocumentClient, isConditionalCheckFailed, TableStore } from './client.ts';
import { keys } from './schema.ts';

type Item = Record<string, unknown>;

const strip = (item: Item): Item => {
  const { pk: _pk, sk: _sk, entity: _e, taskToken: _t, tokenPhase: _p, ...rest } = item;
  return rest;
};
const toCampaign = (item: Item) => strip(item) as unknown as Campaign;
const toExperiment = (item: Item) => {
  const { taskToken: _t, ...rest } = strip(item);
  return rest as unknown as Experiment;
};

/**
 * The largest live index written (decision 48): past it (hundreds of live campaigns, or a few
 * listing thousands of SKUs) the index says so and the quote queries the live partition instead,
 * well before DynamoDB's 400 KB item size.
 */
export const LIVE_INDEX_MAX_BYTES = 256 * 1024;
/** Rebuilds that lost the race to another one before this one gives up (each retry re-reads). */
const LIVE_INDEX_ATTEMPTS = 20;

const LIVE_PROJECTION = {
  ProjectionExpression: LIVE_TERMS.map((_, i) => `#t${i}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(LIVE_TERMS.map((name, i) => [`#t${i}`, name])),
};

/** Where a campaign is live for the quote: the pilot's statuses and ROLLED_OUT. */
const isLive = (status: CampaignStatus) => PILOT_LIVE.includes(status) || status === 'ROLLED_OUT';

/**
 * Campaigns, experiments, budgets and identity links on the single table (docs/rules/campaigns.md):
 * each status change is one conditional write on the campaign's item; the budget is one counter
 * item written conditionally (`granted + amount ≤ budget`), so concurrent reservations cannot
 * over-redeem it (the flash-sale pattern of ARCHITECTURE.md).
 */
export class DynamoCampaignStore extends TableStore implements CampaignStore {
  async createCampaign(campaign: Campaign): Promise<boolean> {
    const put = new PutCommand({
      TableName: this.tableName,
      Item: { ...keys.campaign(campaign.campaignId), entity: 'Campaign', ...campaign },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    if ((await this.conditional(put)) === null) return false;
    await this.db
      .send(
        new PutCommand({
          TableName: this.tableName,
          Item: newCounter(campaign.campaignId),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      .catch((error) => {
        if (!isConditionalCheckFailed(error)) throw error;
      });
    return true;
  }

  async getCampaign(campaignId: string): Promise<Campaign | null> {
    const item = await this.item(keys.campaign(campaignId));
    return item ? toCampaign(item) : null;
  }

  async transition(
    campaignId: string,
    from: readonly CampaignStatus[],
    to: CampaignStatus,
    patch: CampaignPatch,
    change: StatusChange | null,
  ): Promise<Transition> {
    const names: Record<string, string> = { '#s': 'status', '#v': 'version' };
    const values: Record<string, unknown> = { ':to': to, ':one': 1 };
    const sets = ['#s = :to', '#v = #v + :one'];
    if (change) {
      // A status change: its history line and when (a patch alone leaves both).
      Object.assign(names, { '#h': 'history', '#u': 'updatedAt' });
      Object.assign(values, { ':h': [change], ':at': change.at });
      sets.push('#h = list_append(#h, :h)', '#u = :at');
    }
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const condition = from.map((s, i) => {
      values[`:f${i}`] = s;
      return `:f${i}`;
    });
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.campaign(campaignId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: `attribute_exists(pk) AND #s IN (${condition.join(', ')})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    if (updated) return { moved: true, campaign: toCampaign(updated) };
    return { moved: false, campaign: await this.getCampaign(campaignId) };
  }

  async syncLive(campaign: Campaign): Promise<void> {
    const key = keys.liveCampaign(campaign.campaignId);
    if (isLive(campaign.status)) {
      await this.db.send(
        new PutCommand({ TableName: this.tableName, Item: { ...key, entity: 'LiveCampaign', ...campaign } }),
      );
    } else {
      await this.db.send(new DeleteCommand({ TableName: this.tableName, Key: key }));
    }
    await this.rebuildLiveIndex();
  }

  /**
   * The live index (decision 48): every live campaign's terms in one item, so the quote reads them
   * with its prices in one BatchGetItem instead of a Query beside it. Rebuilt from the live
   * partition after each change to it, optimistically: read the index's version, query the
   * partition, write the index only if the version is still the one read (else start again). The
   * rebuild that writes last queried after every change that came before it, so the index never
   * misses a change for good; a quote between a change and its rebuild sees the set before it.
   */
  async rebuildLiveIndex(): Promise<void> {
    const key = keys.liveIndex();
    for (let attempt = 0; attempt < LIVE_INDEX_ATTEMPTS; attempt++) {
      // Only its version: the terms it holds (up to 256 KB) are rebuilt from the partition anyway.
      const { Item: current } = await this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: '#v',
          ExpressionAttributeNames: { '#v': 'version' },
        }),
      );
      const version = typeof current?.version === 'number' ? current.version : 0;
      const terms = await this.queryLiveTerms(true);
      const bytes = Buffer.byteLength(JSON.stringify(terms));
      const written = await this.conditional(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...key,
            entity: 'LiveIndex',
            version: version + 1,
            campaigns: terms.length,
            ...(bytes <= LIVE_INDEX_MAX_BYTES ? { liveSet: terms } : { overflow: true }),
          },
          ConditionExpression: current ? '#v = :v' : 'attribute_not_exists(pk)',
          ...(current
            ? { ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': version } }
            : {}),
        }),
      );
      if (written !== null) return;
    }
    throw new Error(
      `the live campaign index lost ${LIVE_INDEX_ATTEMPTS} rebuilds in a row to others; the next change rebuilds it`,
    );
  }

  async liveCampaigns(): Promise<Campaign[]> {
    const items = await this.items({
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': keys.liveCampaign('').pk },
    });
    return items.map(toCampaign);
  }

  /**
   * What the quote reads of the live campaigns: the live index (one GetItem, eventually consistent
   * as the Query it replaces was, which the quote's coalescer merges into the batch with its
   * prices); the live partition only when there is no index yet (a table from before it) or the
   * index overflowed.
   */
  async liveTerms(): Promise<LiveCampaign[]> {
    const { Item: index } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.liveIndex(),
        ProjectionExpression: '#l, #o',
        ExpressionAttributeNames: { '#l': 'liveSet', '#o': 'overflow' },
      }),
    );
    if (index && index.overflow !== true && Array.isArray(index.liveSet))
      return index.liveSet as LiveCampaign[];
    return this.queryLiveTerms(false);
  }

  /** The live partition, only the terms: a campaign on categories may lock thousands of SKUs. */
  private async queryLiveTerms(consistent: boolean): Promise<LiveCampaign[]> {
    const items = await this.items({
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': keys.liveCampaign('').pk },
      ...LIVE_PROJECTION,
      ConsistentRead: consistent,
    });
    return items as unknown as LiveCampaign[];
  }

  async parkToken(campaignId: string, phase: string, taskToken: string): Promise<Campaign | null> {
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.campaign(campaignId),
        UpdateExpression: 'SET taskToken = :t, tokenPhase = :p',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': taskToken, ':p': phase },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return updated ? toCampaign(updated) : null;
  }

  async token(campaignId: string): Promise<string | null> {
    const item = await this.item(keys.campaign(campaignId));
    return (item?.taskToken as string | undefined) ?? null;
  }

  // --- identities ----------------------------------------------------------------------------------

  async linkedSubject(userId: string): Promise<string | null> {
    const item = await this.item(keys.identityLink(userId), false);
    return (item?.anonymousId as string | undefined) ?? null;
  }

  async link(userId: string, anonymousId: string, at: string): Promise<string> {
    const put = await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.identityLink(userId), entity: 'IdentityLink', userId, anonymousId, at },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (put !== null) return anonymousId;
    return (await this.linkedSubject(userId)) ?? anonymousId;
  }

  // --- experiments ---------------------------------------------------------------------------------

  async createExperiment(experiment: Experiment): Promise<boolean> {
    const put = new PutCommand({
      TableName: this.tableName,
      Item: { ...keys.experiment(experiment.experimentId), entity: 'Experiment', ...experiment },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    return (await this.conditional(put)) !== null;
  }

  async getExperiment(experimentId: string): Promise<Experiment | null> {
    const item = await this.item(keys.experiment(experimentId));
    return item ? toExperiment(item) : null;
  }

  async concludeExperiment(
    experimentId: string,
    results: ExperimentResults,
    conclusion: ExperimentConclusion,
  ): Promise<Experiment | null> {
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.experiment(experimentId),
        UpdateExpression:
          'SET #s = :c, results = :r, conclusion = :k, version = version + :one, updatedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND #s = :running',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: {
          ':c': 'CONCLUDED',
          ':r': results,
          ':k': conclusion,
          ':one': 1,
          ':at': conclusion.at,
          ':running': 'RUNNING',
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return updated ? toExperiment(updated) : this.getExperiment(experimentId);
  }

  async parkExperimentToken(experimentId: string, taskToken: string): Promise<Experiment | null> {
    const updated = await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.experiment(experimentId),
        UpdateExpression: 'SET taskToken = :t',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':t': taskToken },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return updated ? toExperiment(updated) : null;
  }
}

/**
 * What the quote reads of the catalog and repricing: their items (a SKU's pricing and catalog
 * entry, bundles) in one BatchGetItem per 100 keys — never their code (features do not import each
 * other).
 */
export class DynamoCatalogPrices implements Omit<CatalogPrices, 'skusInCategories'> {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async prices(skus: readonly string[]) {
    const items = await batchGet(
      this.db,
      this.tableName,
      skus.flatMap((sku) => [keys.skuPricing(sku), keys.sku(sku)]),
      { projection: 'pk, sk, sku, price, category, bundles' },
    );
    const out = new Map<string, { price: Money | null; category: string | null; bundles: string[] }>();
    const entry = (sku: string) => {
      let e = out.get(sku);
      if (!e) {
        e = { price: null, category: null, bundles: [] };
        out.set(sku, e);
      }
      return e;
    };
    for (const item of items) {
      const sku = String(item.pk).slice('SKU#'.length);
      if (item.sk === 'PRICING') {
        const e = entry(sku);
        e.price = (item.price as Money | null | undefined) ?? null;
        e.bundles = [...((item.bundles as Set<string> | undefined) ?? [])].sort();
      } else entry(sku).category = (item.category as string | undefined) ?? null;
    }
    return out;
  }

  async bundles(bundleIds: readonly string[]): Promise<QuoteBundle[]> {
    // Only what the quote uses (the quote's reads merge, decision 42: a whole-item read would make
    // the whole batch whole items). `items` is a reserved word: aliases.
    const items = await batchGet(
      this.db,
      this.tableName,
      bundleIds.map((id) => keys.bundle(id)),
      { projection: '#b, #i, #s', names: { '#b': 'bundleId', '#i': 'items', '#s': 'saving' } },
    );
    return items.map((i) => ({
      bundleId: i.bundleId as string,
      items: i.items as QuoteBundle['items'],
      saving: i.saving as Money,
    }));
  }
}

/**
 * The catalog's SKUs in these categories (the catalog's index, every bucket): what a campaign on
 * categories locks. A function beside the class so the runs' step bundles it without the quote's reads.
 */
export async function catalogSkusInCategories(
  db: DocumentClient,
  tableName: string,
  categories: readonly string[],
): Promise<string[]> {
  const wanted = new Set(categories);
  const out: string[] = [];
  for (let bucket = 0; bucket < CATALOG_BUCKETS; bucket++) {
    let start: Item | undefined;
    do {
      const r = await db.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': keys.catalogIndex(bucket, '').gsi1pk },
          ProjectionExpression: 'sku, category',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const i of (r.Items ?? []) as Item[])
        if (wanted.has(i.category as string)) out.push(i.sku as string);
      start = r.LastEvaluatedKey as Item | undefined;
    } while (start);
  }
  return out.sort();
}
