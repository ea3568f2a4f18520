/**
 * The seam between storefront metrics (issue #16) and campaign pilots and A/B tests (issue #17).
 *
 * Storefront events carry `campaignId` / `experimentId` and `variant` (for a campaign: `pilot` or
 * `control`, as the assignment function gives them; for an experiment: the variant id). The metrics
 * feature counts them, deduplicated by event id, per variant; campaign evaluation and experiments
 * read the counts through this port and never read the storefront events themselves.
 */
export interface VariantCountsQuery {
  readonly kind: 'campaign' | 'experiment';
  readonly id: string;
  /** ISO-8601 instant, inclusive. */
  readonly from: string;
  /** ISO-8601 instant, exclusive. */
  readonly to: string;
}

export interface VariantCounts {
  /** `pilot` | `control` for a campaign; the variant id for an experiment. */
  readonly variant: string;
  /** Distinct users (userId, else anonymousId) with at least one event carrying this id and variant in [from, to). */
  readonly users: number;
  /** Of those users, the distinct ones with a `product_view` carrying this id and variant in [from, to). */
  readonly clicks: number;
  /** Of those users, the distinct ones with a paid order (OrderPaid, customerId = userId) at or after their first event here and before `to`. */
  readonly conversions: number;
}

export interface VariantCountsSource {
  /** One row per variant seen (a variant nobody saw is absent, not a zero row). */
  variantCounts(query: VariantCountsQuery): Promise<readonly VariantCounts[]>;
}
