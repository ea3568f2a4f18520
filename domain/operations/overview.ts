import type { Clock } from '../shared/clock.ts';
import type { OperationsCatalog } from './catalog.ts';
import type { ExecutionStatus } from './ports.ts';
import type { WaitingFor } from './run-states.ts';
import type { OperationsRuns, RunSummary } from './runs.ts';

/**
 * `GET /api/overview` (decision 29): runs per workflow and status, the failures of the last 24
 * hours, the dead-letter queues, what waits for a person, and the latest SLA breaches — each read
 * from where it lives (Step Functions, SQS, the SLA ledger), nothing copied.
 */

/** Statuses counted per workflow; each count stops at COUNT_CAP (then `capped` names it). */
export const OVERVIEW_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];
export const COUNT_CAP = 1000;
/** Running runs of workflows that wait for a person, opened to see what they wait for. */
export const MAX_WAITING = 25;
const DAY_MS = 86_400_000;

export function operationsOverview(deps: {
  readonly catalog: OperationsCatalog;
  readonly runs: OperationsRuns;
  readonly deadLetters: { list(): Promise<{ queues: unknown[] }> };
  /** The latest SLA breaches, newest first (the SLA ledger). */
  readonly slaBreaches: () => Promise<unknown[]>;
  readonly clock: Clock;
}) {
  const { catalog, runs } = deps;
  return {
    async overview() {
      const since = new Date(deps.clock.now().getTime() - DAY_MS).toISOString();
      const counted = await Promise.all(
        catalog.workflows.flatMap((w) =>
          OVERVIEW_STATUSES.map(async (status) => ({
            w,
            status,
            ...(await runs.count(w, status, COUNT_CAP)),
          })),
        ),
      );
      const counts: Record<string, Record<string, number>> = {};
      const capped: string[] = [];
      const failed: RunSummary[] = [];
      for (const c of counted) {
        counts[c.w.name] = { ...counts[c.w.name], [c.status]: c.count };
        if (c.capped) capped.push(`${c.w.name}:${c.status}`);
        if (c.status === 'FAILED' || c.status === 'TIMED_OUT') {
          failed.push(...c.newest.filter((r) => r.stoppedAt !== null && r.stoppedAt >= since));
        }
      }
      failed.sort((a, b) => (b.stoppedAt ?? '').localeCompare(a.stoppedAt ?? ''));

      const personWaits = catalog.workflows.filter((w) =>
        Object.values(w.waits ?? {}).some((x) => x.by === 'person'),
      );
      const candidates = counted
        .filter((c) => c.status === 'RUNNING' && personWaits.includes(c.w))
        .flatMap((c) => c.newest)
        .slice(0, MAX_WAITING);
      const waiting = (
        await Promise.all(
          candidates.map(async (run) => {
            const page = await runs.page(run.id).catch(() => null);
            return page?.waitingFor?.by === 'person'
              ? { run, waitingFor: page.waitingFor as WaitingFor }
              : null;
          }),
        )
      ).filter((x) => x !== null);

      const [deadLetters, slaBreaches] = await Promise.all([deps.deadLetters.list(), deps.slaBreaches()]);
      return {
        runs: counts,
        countsCappedAt: COUNT_CAP,
        capped,
        failedLast24h: failed,
        deadLetters: deadLetters.queues,
        waiting,
        slaBreaches,
      };
    },
  };
}
