import type { Money } from '../shared/money.ts';
import type { Campaign, CampaignDecision, CampaignStatus, StatusChange } from './campaign.ts';
import type { Evaluation } from './evaluation.ts';
import type { Experiment, ExperimentConclusion, ExperimentResults } from './experiment.ts';
import type { QuoteBundle } from './quote.ts';

/** What a transition may set beside the status. */
export interface CampaignPatch {
  readonly evaluation?: Evaluation;
  readonly decision?: CampaignDecision;
  readonly lockedSkus?: readonly string[];
}

export interface Transition {
  /** Whether this call moved it (false: it was not in one of `from`). */
  readonly moved: boolean;
  /** The campaign after the call (null: no such campaign). */
  readonly campaign: Campaign | null;
}

export interface Reservation {
  readonly campaignId: string;
  readonly orderId: string;
  readonly amount: number;
  readonly granted: boolean;
  readonly reason: string;
  readonly at: string;
  /** What the quote came to with the discount (minor units): a refund gives back its share of it. */
  readonly orderTotal: number;
  /** Given back so far by cancellations and refunds (minor units, ≤ amount). */
  readonly released?: number;
  /** Refunded so far (minor units), as the refunds reported it. */
  readonly refunded?: number;
  /** Each release with its numbers (docs/rules/campaigns.md, budget). */
  readonly releases?: readonly BudgetRelease[];
}

/** One give-back of a reservation: its cause, the rule's numbers, what it released. */
export interface BudgetRelease {
  readonly cause: 'cancelled' | 'refunded';
  /** The order's cancellation, or the refund's id. */
  readonly causeId: string;
  readonly at: string;
  readonly release: number;
  /** After this release. */
  readonly released: number;
  readonly refunded: number;
  readonly reason: string;
  readonly rule: string;
}

/** What the quote reads of a live campaign: its terms and status. */
export const LIVE_TERMS = [
  'campaignId',
  'status',
  'name',
  'tiers',
  'skus',
  'categories',
  'budget',
  'pilot',
] as const;
export type LiveCampaign = Pick<Campaign, (typeof LIVE_TERMS)[number]>;

/** Port: campaigns, experiments and identity links on the single table. */
export interface CampaignStore {
  createCampaign(campaign: Campaign): Promise<boolean>;
  getCampaign(campaignId: string): Promise<Campaign | null>;
  /** One conditional write: status in `from` → `to`, with the patch and the history line. */
  transition(
    campaignId: string,
    from: readonly CampaignStatus[],
    to: CampaignStatus,
    patch: CampaignPatch,
    /** The history line; null when the status stays (a patch only). */
    change: StatusChange | null,
  ): Promise<Transition>;
  /** The live set the quote reads (PILOT … ROLLED_OUT): put or removed as the campaign's status says. */
  syncLive(campaign: Campaign): Promise<void>;
  liveCampaigns(): Promise<Campaign[]>;
  /** The live set with only what the quote reads of each (no history, evaluation or locked SKUs). */
  liveTerms(): Promise<LiveCampaign[]>;
  /** The run's current wait token (an abort or an approval sends it). */
  parkToken(campaignId: string, phase: string, taskToken: string): Promise<Campaign | null>;
  token(campaignId: string): Promise<string | null>;

  /** The anonymous id a user was first linked to (first link wins), null when none. */
  linkedSubject(userId: string): Promise<string | null>;
  link(userId: string, anonymousId: string, at: string): Promise<string>;

  createExperiment(experiment: Experiment): Promise<boolean>;
  getExperiment(experimentId: string): Promise<Experiment | null>;
  concludeExperiment(
    experimentId: string,
    results: ExperimentResults,
    conclusion: ExperimentConclusion,
  ): Promise<Experiment | null>;
  parkExperimentToken(experimentId: string, taskToken: string): Promise<Experiment | null>;
}

/**
 * Port: a campaign's budget (its counter and the reservations of orders); the releases are
 * budget.ts's port. Apart from the campaign store so the runs' step does not carry it.
 */
export interface CampaignBudgetStore {
  /** Budget: the discount granted so far (minor units). */
  granted(campaignId: string): Promise<number>;
  /**
   * Reserves `amount` of the campaign's budget for one order, at most once per order: a
   * conditional write on the budget counter (`granted + amount ≤ budget`), so concurrent
   * reservations can never exceed it. A second call for the same order returns the first answer,
   * also after a crash between the counter and the record (the counter marks the order in flight).
   */
  reserve(
    campaignId: string,
    orderId: string,
    amount: number,
    budget: number,
    at: string,
    orderTotal: number,
  ): Promise<Reservation>;
}

/** What the quote and the pilot's locks read of the catalog and repricing (their items, not their code). */
export interface CatalogPrices {
  /** Current price, category and bundles of each SKU known (unknown SKUs are left out). */
  prices(
    skus: readonly string[],
  ): Promise<
    ReadonlyMap<
      string,
      { readonly price: Money | null; readonly category: string | null; readonly bundles: readonly string[] }
    >
  >;
  bundles(bundleIds: readonly string[]): Promise<QuoteBundle[]>;
  /** The catalog's SKUs in these categories. */
  skusInCategories(categories: readonly string[]): Promise<string[]>;
}

/** Port: repricing's SKU pricing, as a campaign or an experiment changes it (through its guardrails). */
export interface SkuPricingPort {
  setCampaignLock(sku: string, locked: boolean): Promise<void>;
  /** Sets a price through repricing's guardrails (margin floor, markup ceiling); refused → the reason. */
  setPrice(sku: string, price: Money): Promise<{ applied: true } | { applied: false; reason: string }>;
}

/** Port: starting a named run (a duplicate name is a no-op). */
export interface RunStarter {
  start(name: string, input: unknown): Promise<void>;
}
