import { parsePricingRules } from '../pricing/pricing-rules.ts';
import * as z from '../shared/zod.ts';
import { RunContextSchema } from '../workflow/run.ts';
import { type StepLog, stepHandler } from '../workflow/step-handler.ts';
import { type RepricingRun, type RepricingRunContext, RepricingStepRejectedError } from './run.ts';

/** The run's context as the state machine passes it to every page (workflows/repricing-run.ts). */
const Run = z.object({
  runId: z.string().check(z.minLength(1)),
  at: z.iso.datetime({ offset: true }),
  rules: z.record(z.string(), z.unknown()),
});

export const RepricingStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('start'), at: z.optional(z.nullable(z.string())), run: RunContextSchema }),
  z.object({
    step: z.literal('page'),
    pricingRun: Run,
    bucket: z.int().check(z.nonnegative()),
    cursor: z.nullable(z.string()),
    run: RunContextSchema,
  }),
]);
export type RepricingStepInput = z.infer<typeof RepricingStepInputSchema>;

/** The snapshotted rules, as the run's context carries them (checked again: a bad snapshot is final). */
function context(raw: z.infer<typeof Run>): RepricingRunContext {
  const { version, updatedAt } = raw.rules as { version?: unknown; updatedAt?: unknown };
  return {
    runId: raw.runId,
    at: new Date(raw.at).toISOString(),
    rules: {
      ...parsePricingRules(raw.rules, 'pricingRun.rules'),
      version: typeof version === 'number' ? version : 0,
      updatedAt: typeof updatedAt === 'string' ? updatedAt : null,
    },
  };
}

/** The hourly run's step function: the start, then one page of one bucket per call (idempotent). */
export function repricingStepHandler(run: RepricingRun, log?: StepLog<RepricingStepInput>) {
  return stepHandler({
    schema: RepricingStepInputSchema,
    reject: (message) => new RepricingStepRejectedError(message),
    log,
    steps: {
      start: (input) => run.start({ at: input.at ?? undefined }, input.run),
      page: (input) =>
        run.page({ run: context(input.pricingRun), bucket: input.bucket, cursor: input.cursor }),
    },
  });
}
