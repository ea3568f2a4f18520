import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { eventSchemas } from '#domain/events/catalog';
import { PresaleTransitionError } from '#domain/presale/order';
import { PresaleCancelledError, PresaleStepRejectedError, presaleRun } from '#domain/presale/run';
import { PresaleTermsSchema } from '#domain/presale/terms';
import { ValidationError } from '#domain/shared/errors';
import { MoneySchema } from '#domain/shared/money';
import { parseOrThrow } from '#domain/shared/validation';
import * as z from '#domain/shared/zod';
import { presaleDeps } from './_shared/presale.ts';
import { logger } from './_shared/runtime.ts';

/**
 * The steps of the presale order workflow (workflows/presale-order.ts). The state machine names
 * the step and passes ids, the deposit and its context (`$$.Execution.Name`, `$$.State.Name`).
 * Errors the workflow must not retry leave as `PresaleStepRejected` (caught and compensated) or
 * `PresaleCancelled` (caught: the Cancel path); anything else is transient and retried with backoff.
 */
const run = presaleRun(presaleDeps());

const Run = z.object({ name: z.string().check(z.minLength(1)), state: z.string().check(z.minLength(1)) });
const Deposit = eventSchemas.PresaleDepositPaid;
const OrderId = z.string().check(z.minLength(1));
const StepInput = z.discriminatedUnion('step', [
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
    payment: z.object({ amount: MoneySchema, paidAt: z.iso.datetime({ offset: true }) }),
    run: Run,
  }),
  z.object({ step: z.literal('forfeit'), orderId: OrderId, run: Run }),
  z.object({ step: z.literal('cancel'), orderId: OrderId, run: Run }),
  z.object({
    step: z.literal('compensate'),
    deposit: Deposit,
    error: z.nullable(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
    run: Run,
  }),
]);
type StepInput = z.infer<typeof StepInput>;

async function perform(input: StepInput): Promise<unknown> {
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
      return run.compensate(input.deposit, input.error, input.run);
  }
}

export const handler = middy<unknown, unknown>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    let input: StepInput | undefined;
    try {
      input = parseOrThrow(StepInput, event);
      const result = await perform(input);
      logger.info('presale step done', { step: input.step, run: input.run.name, state: input.run.state });
      return result;
    } catch (error) {
      const context = { step: input?.step, run: input?.run.name, state: input?.run.state };
      if (error instanceof PresaleCancelledError) {
        logger.info('presale step found a cancellation', context);
        throw error;
      }
      if (error instanceof ValidationError || error instanceof PresaleTransitionError) {
        logger.error('presale step rejected', { ...context, error: error.message });
        throw new PresaleStepRejectedError(error.message);
      }
      if (error instanceof PresaleStepRejectedError) {
        logger.error('presale step rejected', { ...context, error: error.message });
        throw error;
      }
      logger.warn('presale step failed; the workflow retries it', {
        ...context,
        error: (error as Error).message,
      });
      throw error;
    }
  });
