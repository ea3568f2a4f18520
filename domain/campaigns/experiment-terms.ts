import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { type Money, PositiveMoneySchema } from '../shared/money.ts';
import { idSchema, instantSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { RUN_SAFE_ID } from './campaign.ts';
import type { ExperimentTerms } from './experiment.ts';

/**
 * An A/B test's terms as the API takes them (`PUT /api/experiments/{id}`): apart from experiment.ts
 * (the results) so that the runs' step function does not bundle the body's schema.
 */

const VariantSchema = z.strictObject({
  id: idSchema(64),
  weight: z
    .int('must be a whole number')
    .check(z.minimum(1, 'must be at least 1'), z.maximum(10_000, 'must be at most 10000')),
  value: z.union(
    [
      z
        .string()
        .check(z.minLength(1, 'must not be empty'), z.maxLength(2000, 'must be at most 2000 characters')),
      PositiveMoneySchema,
    ],
    'must be a string (image, title) or money (price)',
  ),
});

const ExperimentBodySchema = z.strictObject({
  experimentId: z.optional(z.unknown()),
  sku: idSchema(),
  field: z.enum(['image', 'title', 'price'], 'must be "image", "title" or "price"'),
  variants: z
    .array(VariantSchema, 'must be a list of { id, weight, value }')
    .check(
      z.minLength(2, 'must have at least two variants (the first is the control)'),
      z.maxLength(10, 'must have at most 10 variants'),
    ),
  metric: z.enum(['ctr', 'conversion'], 'must be "ctr" or "conversion"'),
  minSamplePerVariant: z._default(
    z
      .int('must be a whole number of users')
      .check(z.minimum(1, 'must be at least 1'), z.maximum(100_000_000, 'must be at most 100000000')),
    1000,
  ),
  alpha: z._default(
    z
      .number('must be a number')
      .check(z.gte(0.0001, 'must be at least 0.0001'), z.lte(0.5, 'must be at most 0.5')),
    0.05,
  ),
  end: instantSchema(),
});

/** `PUT /api/experiments/{experimentId}`; 400 naming each failing field. */
export function parseExperiment(
  experimentId: unknown,
  body: unknown,
  now: string,
): { experimentId: string; terms: ExperimentTerms } {
  const id = parseId(experimentId, 'experimentId', 64);
  if (!RUN_SAFE_ID.test(id))
    throw ValidationError.field(
      'experimentId',
      'must be 1–64 letters, digits, "-", "_" or "." (it names the run)',
    );
  const b = parseOrThrow(ExperimentBodySchema, body);
  const issues: FieldIssue[] = [];
  if (b.experimentId !== undefined && b.experimentId !== id)
    issues.push({ field: 'experimentId', reason: `must match the experiment id in the path ("${id}")` });
  const seen = new Set<string>();
  b.variants.forEach((v, i) => {
    if (seen.has(v.id)) issues.push({ field: `variants.${i}.id`, reason: `${v.id} is listed twice` });
    seen.add(v.id);
    const isMoney = typeof v.value === 'object';
    if (b.field === 'price' && !isMoney)
      issues.push({
        field: `variants.${i}.value`,
        reason: 'must be money { amount, currency } for a price test',
      });
    if (b.field !== 'price' && isMoney)
      issues.push({
        field: `variants.${i}.value`,
        reason: `must be a string for a${b.field === 'image' ? 'n image' : ' title'} test`,
      });
    if (
      isMoney &&
      typeof b.variants[0]!.value === 'object' &&
      (v.value as Money).currency !== (b.variants[0]!.value as Money).currency
    )
      issues.push({ field: `variants.${i}.value.currency`, reason: "must be the control's currency" });
  });
  if (Date.parse(b.end) <= Date.parse(now))
    issues.push({ field: 'end', reason: `must be in the future (now ${now})` });
  if (issues.length) throw new ValidationError(issues);
  return {
    experimentId: id,
    terms: {
      sku: b.sku,
      field: b.field,
      variants: b.variants.map((v) => ({ id: v.id, weight: v.weight, value: v.value })),
      metric: b.metric,
      minSamplePerVariant: b.minSamplePerVariant,
      alpha: b.alpha,
      end: new Date(Date.parse(b.end)).toISOString(),
    },
  };
}
