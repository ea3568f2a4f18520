import { NotFoundError } from '../shared/errors.ts';
import * as z from '../shared/zod.ts';
import { RunContextSchema, StepRejectedError } from '../workflow/run.ts';
import { type StepLog, stepHandler } from '../workflow/step-handler.ts';
import type { PricingAdmin } from './admin.ts';

/**
 * The steps of a what-if job's workflow (workflows/repricing-what-if.ts): a chunk of the job's
 * SKUs replayed per call (idempotent: a part kept is not replayed again), and the job marked
 * failed when the workflow gives up.
 */
export const WHAT_IF_STEP_REJECTED = 'WhatIfStepRejected';

export class WhatIfStepRejectedError extends StepRejectedError {
  override readonly name = WHAT_IF_STEP_REJECTED;
  readonly code = WHAT_IF_STEP_REJECTED;
}

export const WhatIfStepInputSchema = z.discriminatedUnion('step', [
  z.object({
    step: z.literal('chunk'),
    jobId: z.string().check(z.minLength(1)),
    chunk: z.int().check(z.nonnegative()),
    run: RunContextSchema,
  }),
  z.object({
    step: z.literal('fail'),
    jobId: z.string().check(z.minLength(1)),
    error: z.optional(z.unknown()),
    run: RunContextSchema,
  }),
]);
export type WhatIfStepInput = z.infer<typeof WhatIfStepInputSchema>;

export function whatIfStepHandler(
  admin: Pick<PricingAdmin, 'whatIfChunk' | 'whatIfFailed'>,
  log?: StepLog<WhatIfStepInput>,
) {
  return stepHandler({
    schema: WhatIfStepInputSchema,
    reject: (message) => new WhatIfStepRejectedError(message),
    // A job that is not there (expired) cannot be replayed by retrying.
    isFinal: (error) => error instanceof NotFoundError,
    log,
    steps: {
      chunk: (input) => admin.whatIfChunk(input.jobId, input.chunk),
      fail: (input) => {
        const cause = input.error as { Error?: unknown; Cause?: unknown } | undefined;
        const reason = [cause?.Error, cause?.Cause].filter((x) => typeof x === 'string').join(': ');
        return admin.whatIfFailed(input.jobId, reason || 'the what-if job failed');
      },
    },
  });
}
