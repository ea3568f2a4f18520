import * as z from '../shared/zod.ts';
import { RunContextSchema, StepRejectedError } from '../workflow/run.ts';
import { type StepLog, stepHandler } from '../workflow/step-handler.ts';
import type { Members } from './members.ts';

/**
 * The nightly re-evaluation's steps (workflows/members-nightly.ts): the run's context and buckets,
 * then one page of one bucket per call (idempotent: a resumed run re-evaluates and records nothing
 * twice, every tier change's event id deriving from the run and the change).
 */
export const MEMBERS_NIGHTLY_WORKFLOW = 'MembersNightly';
export const MEMBERS_STEP_REJECTED = 'MembersStepRejected';

export class MembersStepRejectedError extends StepRejectedError {
  override readonly name = 'MembersStepRejected';
  readonly code = 'MembersStepRejected';
}

const Context = z.object({
  run: z.string().check(z.minLength(1)),
  date: z.string().check(z.minLength(1)),
  at: z.iso.datetime({ offset: true }),
  policyVersion: z.int().check(z.nonnegative()),
});

export const NightlyStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('start'), date: z.optional(z.nullable(z.string())), run: RunContextSchema }),
  z.object({
    step: z.literal('evaluate'),
    context: Context,
    bucket: z.int().check(z.nonnegative(), z.maximum(63)),
    cursor: z.nullable(z.string()),
    run: RunContextSchema,
  }),
]);
export type NightlyStepInput = z.infer<typeof NightlyStepInputSchema>;

export function nightlyStepHandler(ledger: Members, log?: StepLog<NightlyStepInput>) {
  return stepHandler({
    schema: NightlyStepInputSchema,
    reject: (message) => new MembersStepRejectedError(message),
    log,
    steps: {
      start: (input) => ledger.nightlyStart({ date: input.date ?? undefined }, input.run),
      evaluate: (input) => ledger.nightlyPage(input),
    },
  });
}
