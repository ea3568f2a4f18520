import { ValidationError } from '../shared/errors.ts';
import { parseOrThrow } from '../shared/validation.ts';
import type * as z from '../shared/zod.ts';
import { RunCancelledError, StepRejectedError } from './run.ts';

/** What a step handler reports, for the function's logger. */
export interface StepLog<I> {
  done(input: I): void;
  cancelled(input: I | undefined): void;
  rejected(input: I | undefined, message: string): void;
  failed(input: I | undefined, message: string): void;
}

/** A workflow's steps by name: each gets the step's input, narrowed to its own shape. */
export type Steps<I extends { step: string }> = {
  [K in I['step']]: (input: Extract<I, { step: K }>) => Promise<unknown>;
};

/**
 * The one handler of a workflow's step function: validates the input the state machine sends
 * (`{ step, ..., run }`), dispatches on `step`, and names each failure for the state machine:
 * - a {@link RunCancelledError} leaves as it is (caught by name: the cancel path);
 * - a {@link StepRejectedError}, a ValidationError or an error `isFinal` recognises (e.g. an
 *   impossible transition) leaves as the workflow's rejection (`reject(message)`): not retried,
 *   caught and compensated;
 * - anything else leaves as it is and is retried with backoff.
 */
export function stepHandler<S extends z.ZodMiniType<{ step: string }>>(options: {
  readonly schema: S;
  readonly steps: Steps<z.output<S>>;
  readonly reject: (message: string) => StepRejectedError;
  readonly isFinal?: (error: unknown) => boolean;
  readonly log?: StepLog<z.output<S>> | undefined;
}) {
  type Input = z.output<S>;
  return async (event: unknown): Promise<unknown> => {
    let input: Input | undefined;
    const { log } = options;
    try {
      input = parseOrThrow(options.schema, event);
      const perform = (options.steps as Record<string, (i: Input) => Promise<unknown>>)[input.step];
      if (!perform) throw ValidationError.field('step', `unknown step "${input.step}"`);
      const result = await perform(input);
      log?.done(input);
      return result;
    } catch (error) {
      if (error instanceof RunCancelledError) {
        log?.cancelled(input);
        throw error;
      }
      if (error instanceof StepRejectedError) {
        log?.rejected(input, error.message);
        throw error;
      }
      if (error instanceof ValidationError || options.isFinal?.(error)) {
        const message = (error as Error).message;
        log?.rejected(input, message);
        throw options.reject(message);
      }
      log?.failed(input, (error as Error).message);
      throw error;
    }
  };
}
