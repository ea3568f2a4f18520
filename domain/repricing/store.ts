import type { PricingRules, RulesInForce, VersionedPricingRules } from '../pricing/pricing-rules.ts';
import type { PriceDecision } from '../pricing/reprice.ts';
import type { SkuPricing } from '../pricing/sku-pricing.ts';
import type { Money } from '../shared/money.ts';
import type { Page } from '../shared/page.ts';

/**
 * Port: where repricing keeps its state (adapters/dynamodb/pricing-store.ts). Every write that a
 * rule rests on is a single-item conditional write: a SKU's price moves only from the version a
 * decision read, once per run (the run's instant is recorded on the SKU), and an older competitor
 * observation never replaces a newer one.
 */

export type SaveResult<T> =
  | { readonly saved: true; readonly created: boolean; readonly record: T }
  /** The item changed since the version read: read again. */
  | { readonly saved: false };

export type { Page };

/** A competitor's latest price for a SKU, as recorded. */
export interface ObservedPrice {
  readonly competitor: string;
  readonly price: Money;
  /** When the competitor's price was seen (ISO-8601 UTC). */
  readonly observedAt: string;
  /** When storeflow recorded it (ISO-8601 UTC): a replay knows only what was recorded by its hour. */
  readonly recordedAt: string;
  readonly url: string | null;
}

/** The stock and cost a run used for a SKU (recorded when they change, for replays). */
export interface SkuFacts {
  readonly onHand: number;
  readonly cost: Money | null;
  /** The run instant they were first used at. */
  readonly at: string;
}

/** One applied price change, the receipt the price history shows. */
export interface PriceChange {
  readonly sku: string;
  /** The run's instant, or the instant the API set the price. */
  readonly at: string;
  readonly source: 'run' | 'api';
  /** The run's id (null for a price set through the API). */
  readonly runId: string | null;
  readonly oldPrice: Money | null;
  readonly newPrice: Money;
  /** The rules that moved the price. */
  readonly rules: readonly string[];
  /** The guardrail that bound the result (null: none). */
  readonly guardrail: string | null;
  readonly rulesVersion: number | null;
  /** The whole decision (inputs, trail, guardrails, limits); null for a price set through the API. */
  readonly decision: PriceDecision | null;
  /** The pricing version the change produced. */
  readonly version: number;
}

/** A SKU's pricing as stored: the fields the API sets, and what the runs keep on it. */
export interface StoredSkuPricing extends SkuPricing {
  readonly sku: string;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The last run that changed the price, with that change (a retried run recognises its own). */
  readonly lastRun: { readonly runId: string; readonly at: string } | null;
  readonly lastChange: PriceChange | null;
  /** The stock and cost the last recorded run used. */
  readonly factsSeen: SkuFacts | null;
  /**
   * The bundles the SKU is in (kept on its pricing item before a bundle is priced, so a price
   * change knows atomically whether any bundle must be recomputed).
   */
  readonly bundles: readonly string[];
}

/** What a run's change write must also hold to (see {@link PricingStore.applyRunChange}). */
export interface RunChangeGuard {
  /** New stock and cost the decision used: kept on the SKU with the change (first one per run instant). */
  readonly keepFacts?: SkuFacts | null;
  /** The decision used the facts an earlier attempt kept at this run instant (nothing to keep). */
  readonly factsKept?: boolean;
  /** The SKU was in no bundle when decided: the change holds only while it still is in none. */
  readonly inNoBundle?: boolean;
}

/** One SKU's write in a run: its change (as {@link PricingStore.applyRunChange}) or new facts to keep (as {@link PricingStore.claimFacts}). */
export type RunWrite =
  | {
      readonly kind: 'change';
      readonly change: PriceChange;
      readonly expectedVersion: number;
      readonly guard: RunChangeGuard;
    }
  | { readonly kind: 'facts'; readonly sku: string; readonly facts: SkuFacts };
/** What became of a {@link RunWrite}: a change's outcome, or the facts kept at that instant. */
export type RunWriteOutcome = 'applied' | 'stale' | 'done' | { readonly kept: SkuFacts };

/** The settings a `PUT` left at an instant (history for replays; the price only when it was set). */
export interface SettingsPoint extends SkuPricing {
  readonly at: string;
  readonly version: number;
  /** Whether this `PUT` set the price (a replay takes the price from it at that instant). */
  readonly priceSet: boolean;
}

/** What a replay reads of one SKU over a period (domain/repricing/history.ts makes a SkuHistory of it). */
export interface RecordedHistory {
  readonly sku: string;
  /** Every settings point up to the period's end. */
  readonly settings: readonly SettingsPoint[];
  /** The stock and cost runs used, from a week before the period to its end. */
  readonly facts: readonly SkuFacts[];
  /** Observations recorded in the look-back before the period until its end. */
  readonly observations: readonly ObservedPrice[];
  /** Units sold per hour (the run instant the sale fell under) in the period. */
  readonly sold: ReadonlyArray<{ readonly at: string; readonly units: number }>;
  /** The last price change before the period and every one in it. */
  readonly changes: readonly PriceChange[];
}

export interface StoredBundle {
  readonly bundleId: string;
  readonly items: ReadonlyArray<{ readonly sku: string; readonly qty: number }>;
  readonly saving: Money;
  /** The bundle's computed price and its receipt (null until computable). */
  readonly pricing: BundlePricing | null;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface BundlePricing {
  readonly price: Money | null;
  readonly computedAt: string;
  /** Why no price (an item without a price, currencies that differ), when price is null. */
  readonly reason: string | null;
  readonly receipt: Record<string, unknown>;
}

/**
 * A what-if replayed in the background (`POST /api/repricing/what-if` → 202): what it replays,
 * with what, and how far it got. Its result is kept in parts, one per chunk of SKUs.
 */
export interface WhatIfJob {
  readonly jobId: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  /** The rules replayed (snapshotted when the job was accepted) and their version (null: rules tried). */
  readonly rules: RulesInForce;
  readonly rulesVersion: number | null;
  readonly from: string;
  readonly to: string;
  readonly timeZone: string;
  /** The SKUs replayed, in the order of the result. */
  readonly skus: readonly string[];
  /** SKUs per chunk (one step, one part of the result). */
  readonly chunkSize: number;
  /** Parts written (chunks done), and SKUs replayed by them. */
  readonly parts: number;
  readonly replayed: number;
  /** The catalog's cursor after the SKUs covered (when none were named). */
  readonly catalogCursor: string | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface PricingStore {
  // --- rules ---
  getRules(): Promise<VersionedPricingRules | null>;
  getRulesVersion(version: number): Promise<VersionedPricingRules | null>;
  saveRules(
    rules: PricingRules,
    expectedVersion: number,
    at: string,
  ): Promise<SaveResult<VersionedPricingRules>>;

  // --- SKU pricing ---
  getPricing(sku: string): Promise<StoredSkuPricing | null>;
  getPricings(skus: readonly string[]): Promise<Map<string, StoredSkuPricing>>;
  /**
   * Saves the SKU's pricing fields (`expectedVersion` null: a new one), with its settings point;
   * a price set by hand (`change`) is recorded in the price history in the same step.
   */
  savePricing(
    sku: string,
    pricing: SkuPricing,
    expectedVersion: number | null,
    at: string,
    change: Omit<PriceChange, 'version'> | null,
  ): Promise<SaveResult<StoredSkuPricing>>;
  /** Priced SKUs of one bucket, a page at a time (the run fans out over buckets). */
  listBucket(bucket: number, cursor: string | null, limit: number): Promise<Page<StoredSkuPricing>>;
  /** The buckets that hold at least one SKU with pricing (a run fans out over these only). */
  nonEmptyBuckets(): Promise<number[]>;
  /** Every priced SKU, a page at a time. */
  listPricings(cursor: string | null, limit: number): Promise<Page<StoredSkuPricing>>;

  /**
   * Applies a run's change: the price moves from `expectedVersion` to the change's version, unless
   * the SKU changed since (`stale`: read again) or this run or a later one already changed it
   * (`done`). Unless `guard.factsKept`, it also holds only while no other attempt has kept facts
   * at the change's instant (and keeps `guard.keepFacts` with the price, in the same write); with
   * `guard.inNoBundle`, only while the SKU is still in no bundle.
   */
  applyRunChange(
    change: PriceChange,
    expectedVersion: number,
    guard?: RunChangeGuard,
  ): Promise<'applied' | 'stale' | 'done'>;
  /**
   * Many SKUs' writes (one each), each with the outcome its single call would have
   * (`applyRunChange`, `claimFacts`), in as few calls as the store allows: outcome i is write i's.
   */
  applyRunWrites(writes: readonly RunWrite[]): Promise<RunWriteOutcome[]>;
  /** Records a change in the SKU's price history (idempotent: same key, same content). */
  recordPriceChange(change: PriceChange): Promise<void>;
  /** Records many changes in their SKUs' price histories (batched; idempotent like one). */
  recordPriceChanges(changes: readonly PriceChange[]): Promise<void>;
  listPriceChanges(sku: string, cursor: string | null, limit: number): Promise<Page<PriceChange>>;

  /**
   * Keeps on the SKU the facts a run uses at `facts.at`, first one wins: returns the facts kept for
   * that instant (the given ones, or those an earlier attempt kept).
   */
  claimFacts(sku: string, facts: SkuFacts): Promise<SkuFacts>;
  /** Records facts points for replays (idempotent: a point per SKU and run instant). */
  recordFacts(points: ReadonlyArray<{ readonly sku: string; readonly facts: SkuFacts }>): Promise<void>;

  // --- competitors ---
  /** Records an observation (history) and keeps it as the competitor's latest unless a newer one is. */
  recordObservation(sku: string, observation: ObservedPrice, ref: string): Promise<{ latest: boolean }>;
  /** The latest observation per competitor of each SKU. */
  latestObservations(skus: readonly string[]): Promise<Map<string, ObservedPrice[]>>;
  /** Observations of a SKU recorded in [from, to] (inclusive), oldest first. */
  observationsRecorded(sku: string, from: string, to: string): Promise<ObservedPrice[]>;

  // --- sales ---
  /** Units of orders' lines sold under a run hour (idempotent per order and SKU). */
  recordSold(
    entries: ReadonlyArray<{
      readonly sku: string;
      readonly hour: string;
      readonly orderId: string;
      readonly units: number;
    }>,
  ): Promise<void>;

  /** What a replay of [from, to] needs of a SKU; `lookbackMs` before `from` for observations. */
  history(sku: string, from: string, to: string, lookbackMs: number): Promise<RecordedHistory>;

  // --- bundles ---
  getBundle(bundleId: string): Promise<StoredBundle | null>;
  saveBundle(
    bundle: Omit<StoredBundle, 'version' | 'createdAt' | 'updatedAt'>,
    expectedVersion: number | null,
    at: string,
    previousItems: readonly string[],
  ): Promise<SaveResult<StoredBundle>>;
  /** Stores a recomputed price unless the bundle changed since `expectedVersion`. */
  saveBundlePricing(bundleId: string, pricing: BundlePricing, expectedVersion: number): Promise<boolean>;
  bundlesOf(sku: string): Promise<string[]>;
  /**
   * Marks the SKUs' pricing items as in the bundle (idempotent), before the bundle is priced: a
   * price change applied after the mark sees it and recomputes the bundle.
   */
  markBundleMembers(bundleId: string, skus: readonly string[]): Promise<void>;

  // --- what-if jobs ---
  /** Creates a job (false: the id exists). */
  createWhatIfJob(job: WhatIfJob): Promise<boolean>;
  getWhatIfJob(jobId: string): Promise<WhatIfJob | null>;
  /**
   * Keeps part `index` of a job's result (idempotent), then counts it on the job unless it was
   * counted (a retried step); `last`: the job has succeeded.
   */
  saveWhatIfPart(
    jobId: string,
    index: number,
    skus: readonly unknown[],
    progress: { readonly replayed: number; readonly last: boolean; readonly at: string },
  ): Promise<void>;
  getWhatIfPart(jobId: string, index: number): Promise<unknown[] | null>;
  /** Marks a running job failed, with the reason. */
  failWhatIfJob(jobId: string, error: string, at: string): Promise<void>;
}
