import { eventSchemas } from '../events/catalog.ts';
import { ValidationError } from '../shared/errors.ts';
import { MoneySchema } from '../shared/money.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { PresaleTransitionError } from './order.ts';
import { PresaleCancelledError, type PresaleRun, PresaleStepRejectedError } from './run.ts';
import { PresaleTermsSchema } from './terms.ts';

/**
 * What the presale order workflow sends its step function (workflows/presale-order.ts): the step's
 * name, ids, the deposit and the run's context (`$$.Execution.Name`, `$$.State.Name`).
 */
const Run = z.object({
  name: z.string().check(z.minLength(1)),
  state: z.string().check(z.minLength(1)),
  enteredAt: z.optional(z.iso.datetime({ offset: true })),
  startedAt: z.optional(z.iso.datetime({ offset: true })),
});
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

async function perform(run: PresaleRun, input: PresaleStepInput): Promise<unknown> {
  switch (input.step) {
    case 'take':
      return run.take(input.deposit, input.run);
    case 'reject':
      return run.reject(input.deposit, input.decision, input.run);
    case 'record':
      return run.record(input.deposit, input.terms, input.run);
    case 'park':
      await run.park(input.orderId, input.phase, input.taskToken, input.run);
      return { parked: true };
    case 'open':
      return run.open(input.orderId, input.run);
    case 'pay':
      return run.pay(input.orderId, input.payment, input.run);
    case 'forfeit':
      return run.forfeit(input.orderId, input.run);
    case 'cancel':
      return run.cancel(input.orderId, input.run);
    case 'compensate':
      return run.compensate(input.deposit, input.error, input.state?.payment ?? null, input.run);
  }
}

export interface StepLog {
  done(input: PresaleStepInput): void;
  cancelled(input: PresaleStepInput | undefined): void;
  rejected(input: PresaleStepInput | undefined, message: string): void;
  failed(input: PresaleStepInput | undefined, message: string): void;
}

/**
 * Runs one step and names its failure for the state machine: `PresaleCancelled` (caught: the
 * Cancel path), `PresaleStepRejected` for what no retry can fix (bad input, an order in the wrong
 * status: caught and compensated); anything else leaves as it is and is retried with backoff.
 */
export function presaleStepHandler(run: PresaleRun, log?: StepLog) {
  return async (event: unknown): Promise<unknown> => {
    let input: PresaleStepInput | undefined;
    try {
      input = parseOrThrow(PresaleStepInputSchema, event);
      const result = await perform(run, input);
      log?.done(input);
      return result;
    } catch (error) {
      if (error instanceof PresaleCancelledError) {
        log?.cancelled(input);
        throw error;
      }
      if (error instanceof ValidationError || error instanceof PresaleTransitionError) {
        log?.rejected(input, error.message);
        throw new PresaleStepRejectedError(error.message);
      }
      if (error instanceof PresaleStepRejectedError) {
        log?.rejected(input, error.message);
        throw error;
      }
      log?.failed(input, (error as Error).message);
      throw error;
    }
  };
}
