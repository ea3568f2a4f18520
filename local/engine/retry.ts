/**
 * Retry and Catch as pure decisions: which retrier applies to an error and how long to back off,
 * which catcher handles it. The engine applies the decision (timers, history, output processing).
 */
import type { Catcher, Retrier } from './asl.ts';
import { ERR } from './errors.ts';

/**
 * Does a retrier/catcher ErrorEquals list match this error name? (AWS wildcard semantics.)
 * States.Runtime is never caught nor retried. A terminal error (a state's own input or output over
 * the payload quota: States.DataLimitExceeded, "a terminal error that can't be caught by the
 * States.ALL error type", developer guide, "Error names") is matched only by a retrier or catcher
 * naming it; a task's result over the quota is not terminal (AWS-recorded: States.ALL catches it).
 */
export const errorMatches = (equals: readonly string[], name: string, terminal = false): boolean => {
  if (name === ERR.Runtime) return false;
  const wildcards = !terminal;
  for (const e of equals) {
    if (e === name) return true;
    if (!wildcards) continue;
    if (e === ERR.ALL) return true;
    if (e === ERR.TaskFailed && name !== ERR.Timeout) return true;
  }
  return false;
};

export interface RetryDecision {
  /** index of the retrier whose attempt counter goes up */
  index: number;
  /** back-off before the next attempt, in milliseconds */
  delayMs: number;
}

/**
 * The first retrier whose ErrorEquals matches decides: another attempt after its back-off while its
 * attempts (per retrier, `attempts[i]`) are below MaxAttempts (default 3), else no retry (the
 * catchers are next). Back-off: IntervalSeconds (default 1) × BackoffRate (default 2)^attempts,
 * capped by MaxDelaySeconds, times `random()` with JitterStrategy FULL.
 */
export const decideRetry = (
  retriers: readonly Retrier[] | undefined,
  error: string,
  attempts: readonly number[],
  random: () => number,
  terminal = false,
): RetryDecision | undefined => {
  if (!retriers) return undefined;
  for (let i = 0; i < retriers.length; i++) {
    const r = retriers[i]!;
    if (!errorMatches(r.ErrorEquals, error, terminal)) continue;
    const done = attempts[i] ?? 0;
    if (done >= (r.MaxAttempts ?? 3)) return undefined;
    let delay = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** done;
    if (typeof r.MaxDelaySeconds === 'number') delay = Math.min(delay, r.MaxDelaySeconds);
    if (r.JitterStrategy === 'FULL') delay = random() * delay;
    return { index: i, delayMs: Math.round(delay * 1000) };
  }
  return undefined;
};

/** The first catcher whose ErrorEquals matches. */
export const findCatcher = (
  catchers: readonly Catcher[] | undefined,
  error: string,
  terminal = false,
): Catcher | undefined => catchers?.find((c) => errorMatches(c.ErrorEquals, error, terminal));
