/** The hourly run's shape, shared by the run, its store and its infrastructure. */

/** Buckets the priced SKUs are spread over (a hash of the SKU id; adapters place them). */
export const PRICING_BUCKETS = 64;
/** SKUs one step handles. */
export const RUN_PAGE_SIZE = 100;
/** A SKU's stock and cost are recorded for replays when they change, and at least this often. */
export const FACTS_REFRESH_MS = 7 * 86_400_000;
