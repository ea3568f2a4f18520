import type { BusinessKey } from '../events/envelope.ts';
import type { Clock } from '../shared/clock.ts';
import type { TimelineEntry, TimelineRepository } from '../timeline/timeline.ts';
import type { RunContext } from './run.ts';

/** A run's end status as its `run` line shows it. */
export type RunLineStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

/**
 * The lines a run leaves on the timeline of its business key (SPEC §9): its start and end
 * (`run`), and each state a step ran in (`state`). Lines are dated by the run's own clock — a
 * state at its entry, the start at the execution's start, the end a millisecond after its last
 * state's entry — so a retried step rewrites its line instead of adding one, and references rank
 * the states in workflow order, so lines that share an instant still read in order.
 */
export function runTimeline(options: {
  readonly timeline: TimelineRepository;
  readonly clock: Clock;
  /** The workflow's name on its `run` lines (`PresaleOrder`). */
  readonly workflow: string;
  /** The workflow's task states in the order a run goes through them. */
  readonly states: readonly string[];
}) {
  const nowIso = () => options.clock.now().toISOString();
  const stateRank = (state: string) => {
    const index = options.states.indexOf(state);
    return String(index < 0 ? 99 : index).padStart(2, '0');
  };
  const lineAt = (run: RunContext, kind: 'state' | 'run', status: unknown): string => {
    if (kind === 'run' && status === 'RUNNING') return run.startedAt ?? run.enteredAt ?? nowIso();
    if (!run.enteredAt) return nowIso();
    return kind === 'state' ? run.enteredAt : new Date(Date.parse(run.enteredAt) + 1).toISOString();
  };

  /** One line on each key: the state the run is in, with what the step decided. */
  function entries(
    keys: readonly BusinessKey[],
    run: RunContext,
    kind: 'state' | 'run',
    detail: Record<string, unknown>,
  ): TimelineEntry[] {
    const name = kind === 'run' ? options.workflow : run.state;
    const ref = `${run.name}:${kind === 'run' ? `run:${String(detail.status)}` : `${stateRank(run.state)}:${run.state}`}`;
    return keys.map((key) => ({
      key,
      at: lineAt(run, kind, detail.status),
      kind,
      name,
      detail: { run: run.name, ...detail },
      ref,
    }));
  }

  return {
    /** The state the run's step ran in, on each key. */
    state: (keys: readonly BusinessKey[], run: RunContext, detail: Record<string, unknown>) =>
      options.timeline.record(entries(keys, run, 'state', detail)),
    /** The run's start (`RUNNING`) or end (`SUCCEEDED`, `FAILED`), on each key. */
    run: (
      keys: readonly BusinessKey[],
      run: RunContext,
      detail: { status: RunLineStatus } & Record<string, unknown>,
    ) => options.timeline.record(entries(keys, run, 'run', detail)),
    entries,
  };
}
export type RunTimeline = ReturnType<typeof runTimeline>;
