import { DomainError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import { hasControlCharacters } from '../shared/schemas.ts';
import * as z from '../shared/zod.ts';

/**
 * What every workflow run shares: the run's context as its state machine passes it to a step, the
 * run's name from its business key, and the errors a step raises for its state machine's Retry and
 * Catch (the kit's half in the domain; workflows/_kit is the CDK half).
 */

/** Where in the run a step executes, from the state machine's context object (`$$`). */
export interface RunContext {
  /** `$$.Execution.Name`: the run's id, derived from its business key. */
  readonly name: string;
  /** `$$.State.Name`. */
  readonly state: string;
  /** `$$.State.EnteredTime`: the same for every retry of one entry into the state. */
  readonly enteredAt?: string | undefined;
  /** `$$.Execution.StartTime`. */
  readonly startedAt?: string | undefined;
}

export const RunContextSchema = z.object({
  name: z.string().check(z.minLength(1)),
  state: z.string().check(z.minLength(1)),
  enteredAt: z.optional(z.iso.datetime({ offset: true })),
  startedAt: z.optional(z.iso.datetime({ offset: true })),
});

/** Characters Step Functions refuses in an execution name (besides control characters). */
const RUN_NAME_UNSAFE = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
/** Step Functions' longest execution name. */
export const MAX_RUN_NAME_LENGTH = 80;

/**
 * A run's name from its business key, so that a duplicate start is a no-op and the run is found by
 * its key: the key itself when Step Functions accepts it as an execution name (1–80 characters,
 * none of whitespace, `<>{}[]?*"#%\^|~\`$&,;:/` or control characters), otherwise
 * `<prefix>-<stable digest of the key>`. `seed` keeps digests of different workflows apart.
 */
export function runName(key: string, options: { prefix: string; seed: string }): string {
  if (
    key.length > 0 &&
    key.length <= MAX_RUN_NAME_LENGTH &&
    !RUN_NAME_UNSAFE.test(key) &&
    !hasControlCharacters(key)
  ) {
    return key;
  }
  return `${options.prefix}-${deterministicId(options.seed, key).replaceAll('-', '')}`;
}

/**
 * The run was asked to stop (a cancellation, an abort): a step that finds the request throws it,
 * a callback sends it as a wait's task failure, and the state machine catches it by name. Each
 * workflow names its own (`PresaleCancelled`).
 */
export abstract class RunCancelledError extends DomainError {}

/**
 * A step that no retry can fix (bad input, a contradictory state): not retried; the state
 * machine catches it and compensates. Each workflow names its own (`PresaleStepRejected`).
 */
export abstract class StepRejectedError extends DomainError {}

/** Step Functions wants a positive whole number of seconds for a task timeout. */
export const atLeastOneSecond = (seconds: number) => Math.max(1, Math.ceil(seconds));
