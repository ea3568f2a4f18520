import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { idSchema, instantSchema } from '../shared/schemas.ts';
import { toFieldIssues } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { type PricingRules, parsePricingRules } from './pricing-rules.ts';

/** The bodies of `POST /api/repricing/dry-run` and `POST /api/repricing/what-if` (issue #13). */

/** At most this many SKUs named in a dry run (the whole catalog when none is named). */
export const MAX_DRY_RUN_SKUS = 1_000;
/** A what-if replays at most 31 days (744 hourly runs). */
export const MAX_WHAT_IF_DAYS = 31;

const skus = z
  .array(idSchema(), 'must be a list of SKUs')
  .check(
    z.minLength(1, 'must name at least one SKU (leave it out for the whole catalog)'),
    z.maxLength(MAX_DRY_RUN_SKUS, `must name at most ${MAX_DRY_RUN_SKUS} SKUs`),
  );

const DryRunSchema = z.strictObject({ rules: z.optional(z.unknown()), skus: z.optional(skus) });

export interface DryRunRequest {
  /** Rules to try; undefined: the rules in force. */
  readonly rules: PricingRules | undefined;
  readonly skus: readonly string[] | undefined;
}

function unique(list: readonly string[] | undefined, field: string, issues: FieldIssue[]): void {
  const seen = new Set<string>();
  list?.forEach((sku, i) => {
    if (seen.has(sku)) issues.push({ field: `${field}.${i}`, reason: `names ${sku} a second time` });
    seen.add(sku);
  });
}

/** `POST /api/repricing/dry-run` `{ rules?, skus? }`; 400 naming each failing field (`rules.rules.0.type`). */
export function parseDryRunRequest(body: unknown): DryRunRequest {
  const result = DryRunSchema.safeParse(body ?? {});
  if (!result.success) throw new ValidationError(toFieldIssues(result.error));
  const issues: FieldIssue[] = [];
  unique(result.data.skus, 'skus', issues);
  if (issues.length) throw new ValidationError(issues);
  return {
    rules: result.data.rules === undefined ? undefined : parsePricingRules(result.data.rules, 'rules'),
    skus: result.data.skus,
  };
}

const WhatIfSchema = z.strictObject({
  rules: z.optional(z.unknown()),
  from: instantSchema(),
  to: instantSchema(),
  skus: z.optional(skus),
});

export interface WhatIfRequest {
  /** Rules to try; undefined: the rules in force. */
  readonly rules: PricingRules | undefined;
  readonly from: string;
  readonly to: string;
  readonly skus: readonly string[] | undefined;
}

/**
 * `POST /api/repricing/what-if` `{ rules?, from, to, skus? }`: a past period (`to` not after `now`)
 * of at most 31 days; instants normalized to UTC. 400 naming each failing field.
 */
export function parseWhatIfRequest(body: unknown, now: Date): WhatIfRequest {
  const result = WhatIfSchema.safeParse(body);
  if (!result.success) throw new ValidationError(toFieldIssues(result.error));
  const { from, to } = result.data;
  const issues: FieldIssue[] = [];
  const fromT = Date.parse(from);
  const toT = Date.parse(to);
  if (toT <= fromT) issues.push({ field: 'to', reason: `must be after from (${from})` });
  else if (toT - fromT > MAX_WHAT_IF_DAYS * 86_400_000) {
    issues.push({ field: 'to', reason: `must be at most ${MAX_WHAT_IF_DAYS} days after from` });
  }
  if (toT > now.getTime()) {
    issues.push({
      field: 'to',
      reason: `must not be in the future (now ${now.toISOString()}): a what-if replays the past`,
    });
  }
  unique(result.data.skus, 'skus', issues);
  if (issues.length) throw new ValidationError(issues);
  return {
    rules: result.data.rules === undefined ? undefined : parsePricingRules(result.data.rules, 'rules'),
    from: new Date(fromT).toISOString(),
    to: new Date(toT).toISOString(),
    skus: result.data.skus,
  };
}
