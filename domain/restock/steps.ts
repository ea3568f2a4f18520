import * as z from '../shared/zod.ts';
import { RunContextSchema } from '../workflow/run.ts';
import { type StepLog, stepHandler } from '../workflow/step-handler.ts';
import { ApprovalStepRejectedError, type PurchaseOrderApproval } from './approval.ts';
import { RestockStepRejectedError, type RestockSweep } from './sweep.ts';

/** What the sweep's state machine sends its step function (workflows/restock-sweep.ts). */
const Sweep = z.object({
  sweep: z.string().check(z.minLength(1)),
  date: z.string().check(z.minLength(1)),
  policyVersion: z.int().check(z.nonnegative()),
  at: z.iso.datetime({ offset: true }),
});
const Page = { sweep: Sweep, bucket: z.int().check(z.nonnegative()), cursor: z.nullable(z.string()) };

export const SweepStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('start'), date: z.optional(z.nullable(z.string())), run: RunContextSchema }),
  z.object({ step: z.literal('measure'), ...Page, run: RunContextSchema }),
  z.object({ step: z.literal('rank'), sweep: Sweep, run: RunContextSchema }),
  z.object({ step: z.literal('check'), ...Page, run: RunContextSchema }),
]);
export type SweepStepInput = z.infer<typeof SweepStepInputSchema>;

/** The sweep's step function: one page of one bucket per call (idempotent). */
export function sweepStepHandler(sweep: RestockSweep, log?: StepLog<SweepStepInput>) {
  return stepHandler({
    schema: SweepStepInputSchema,
    reject: (message) => new RestockStepRejectedError(message),
    log,
    steps: {
      start: (input) => sweep.start({ date: input.date ?? undefined }, input.run),
      measure: (input) => sweep.measure(input),
      rank: (input) => sweep.rank(input),
      check: (input) => sweep.check(input),
    },
  });
}

const PoId = z.string().check(z.minLength(1), z.maxLength(64));
export const ApprovalStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('prepare'), poId: PoId, run: RunContextSchema }),
  z.object({
    step: z.literal('park'),
    poId: PoId,
    taskToken: z.string().check(z.minLength(1)),
    run: RunContextSchema,
  }),
  z.object({ step: z.literal('expire'), poId: PoId, run: RunContextSchema }),
  z.object({ step: z.literal('settle'), poId: PoId, run: RunContextSchema }),
]);
export type ApprovalStepInput = z.infer<typeof ApprovalStepInputSchema>;

/** The approval run's step function. */
export function approvalStepHandler(approval: PurchaseOrderApproval, log?: StepLog<ApprovalStepInput>) {
  return stepHandler({
    schema: ApprovalStepInputSchema,
    reject: (message) => new ApprovalStepRejectedError(message),
    log,
    steps: {
      prepare: (input) => approval.prepare(input.poId),
      park: (input) => approval.park(input.poId, input.taskToken),
      expire: (input) => approval.expire(input.poId, input.run),
      settle: (input) => approval.settle(input.poId, input.run),
    },
  });
}
