import { eventSchemas } from '../events/catalog.ts';
import { MoneySchema } from '../shared/money.ts';
import * as z from '../shared/zod.ts';
import { RunContextSchema } from '../workflow/run.ts';
import { type StepLog as KitStepLog, stepHandler } from '../workflow/step-handler.ts';
import { PresaleTransitionError } from './order.ts';
import { type PresaleRun, PresaleStepRejectedError } from './run.ts';
import { PresaleTermsSchema } from './terms.ts';

/**
 * What the presale order workflow sends its step function (workflows/presale-order.ts): the step's
 * name, ids, the deposit and the run's context (`$$.Execution.Name`, `$$.State.Name`).
 */
const Run = RunContextSchema;
const Deposit = eventSchemas.PresaleDepositPaid;
const OrderId = z.string().check(z.minLength(1));
const Payment = z.object({
  amount: MoneySchema,
  paidAt: z.iso.datetime({ offset: true }),
  paymentEventId: z.optional(z.string()),
});
export const PresaleStepInputSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('take'), deposit: Deposit, run: Run }),
  z.object({
    step: z.literal('reject'),
    deposit: Deposit,
    decision: z.object({ reason: z.string(), message: z.string(), terms: z.nullable(PresaleTermsSchema) }),
    run: Run,
  }),
  z.object({ step: z.literal('record'), deposit: Deposit, terms: PresaleTermsSchema, run: Run }),
  z.object({
    step: z.literal('park'),
    orderId: OrderId,
    phase: z.enum(['BALANCE_WINDOW', 'BALANCE']),
    taskToken: z.string().check(z.minLength(1)),
    run: Run,
  }),
  z.object({ step: z.literal('open'), orderId: OrderId, run: Run }),
  z.object({
    step: z.literal('pay'),
    orderId: OrderId,
    payment: Payment,
    run: Run,
  }),
  z.object({ step: z.literal('forfeit'), orderId: OrderId, run: Run }),
  z.object({ step: z.literal('cancel'), orderId: OrderId, run: Run }),
  z.object({
    step: z.literal('compensate'),
    deposit: Deposit,
    error: z.nullable(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
    /** The run's state data: a balance forwarded before the failure is in `payment`. */
    state: z.optional(z.object({ payment: z.optional(Payment) })),
    run: Run,
  }),
]);
export type PresaleStepInput = z.infer<typeof PresaleStepInputSchema>;

export type StepLog = KitStepLog<PresaleStepInput>;

/**
 * Runs one step and names its failure for the state machine: `PresaleCancelled` (caught: the
 * Cancel path), `PresaleStepRejected` for what no retry can fix (bad input, an order in the wrong
 * status: caught and compensated); anything else leaves as it is and is retried with backoff.
 */
export function presaleStepHandler(run: PresaleRun, log?: StepLog) {
  return stepHandler({
    schema: PresaleStepInputSchema,
    reject: (message) => new PresaleStepRejectedError(message),
    isFinal: (error) => error instanceof PresaleTransitionError,
    log,
    steps: {
      take: (input) => run.take(input.deposit, input.run),
      reject: (input) => run.reject(input.deposit, input.decision, input.run),
      record: (input) => run.record(input.deposit, input.terms, input.run),
      park: async (input) => {
        await run.park(input.orderId, input.phase, input.taskToken, input.run);
        return { parked: true };
      },
      open: (input) => run.open(input.orderId, input.run),
      pay: (input) => run.pay(input.orderId, input.payment, input.run),
      forfeit: (input) => run.forfeit(input.orderId, input.run),
      cancel: (input) => run.cancel(input.orderId, input.run),
      compensate: (input) =>
        run.compensate(input.deposit, input.error, input.state?.payment ?? null, input.run),
    },
  });
}
