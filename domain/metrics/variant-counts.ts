import { ValidationError } from '../shared/errors.ts';
import { idSchema } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import type { VariantCounts, VariantCountsQuery, VariantCountsSource } from '../shared/variant-counts.ts';
import { daysTouched, variantCounts } from './figures.ts';
import type { MetricsReader } from './ports.ts';
import { STOREFRONT_LIMITS } from './storefront-limits.ts';

/** Longest period one metrics request reads (days): bounds what a request scans. */
export const MAX_PERIOD_DAYS = 93;

/*
 * Apart from queries.ts (the metrics API's parameters and their schemas) so that the campaigns'
 * functions, which only count a pilot's or an A/B test's groups, do not bundle the metrics API.
 */

const instant = (field: string, value: string) => {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw ValidationError.field(field, 'must be an ISO-8601 instant');
  return new Date(ms).toISOString();
};

/**
 * The {@link VariantCountsSource} campaigns and experiments read (domain/shared/variant-counts.ts),
 * over the metrics' facts: the variant marks of the store days [from, to) touches and the orders
 * paid in it.
 */
export function variantCountsSource(deps: {
  readonly reader: MetricsReader;
  readonly timeZone: string;
}): VariantCountsSource {
  return {
    async variantCounts(query: VariantCountsQuery): Promise<readonly VariantCounts[]> {
      const id = parseOrThrow(idSchema(STOREFRONT_LIMITS.maxIdLength), query.id, 'id');
      const from = instant('from', query.from);
      const to = instant('to', query.to);
      if (from >= to) return [];
      const days = daysTouched(from, to, deps.timeZone);
      if (days.length > MAX_PERIOD_DAYS) {
        throw ValidationError.field(
          'to',
          `the window touches ${days.length} days; at most ${MAX_PERIOD_DAYS}`,
        );
      }
      const [marks, orders] = await Promise.all([
        deps.reader.marks(query.kind, id, days),
        deps.reader.ordersPaid(days[0]!, days.at(-1)!),
      ]);
      return variantCounts(marks, orders, from, to);
    },
  };
}
