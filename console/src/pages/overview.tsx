import { api, type Overview } from '../api.ts';
import { href } from '../router.ts';
import { Loading, Section, StatusBadge, Table, useLoad, Value } from '../ui.tsx';
import { feedsOf } from './dead-letters.tsx';
import { RunLink } from './runs.tsx';

/** A long list of names cut to its first few, saying how many more. */
function abbreviate(names: string): string {
  const all = names.split(', ').filter(Boolean);
  return all.length <= 3 ? names : `${all.slice(0, 3).join(', ')} and ${all.length - 3} more`;
}

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

/** Runs per workflow and status, failures of the last 24 h, dead letters, waits, SLA breaches. */
export function OverviewPage() {
  const o = useLoad(() => api<Overview>('GET', '/api/overview'), []);
  const d = o.data;
  return (
    <div data-page="overview">
      <h1>Overview</h1>
      <Loading loaded={o} />
      {d ? (
        <div class="grid">
          <Section title="Runs">
            <table class="table" data-testid="run-counts">
              <thead>
                <tr>
                  <th>workflow</th>
                  {STATUSES.map((s) => (
                    <th key={s}>
                      <StatusBadge status={s} />
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {Object.entries(d.runs).map(([workflow, counts]) => (
                  <tr key={workflow}>
                    <td>
                      <a href={href(['runs'], { workflow })}>{workflow}</a>
                    </td>
                    {STATUSES.map((s) => (
                      <td key={s} class="num">
                        {counts[s] ? (
                          <a href={href(['runs'], { workflow, status: s })}>{counts[s]}</a>
                        ) : (
                          <span class="muted">0</span>
                        )}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>
          <Section title="Waiting for a person">
            <Table
              rows={d.waiting.map((w) => ({
                run: w.run.id,
                for: w.waitingFor.kind,
                in: w.waitingFor.state ?? null,
                since: w.waitingFor.since ?? null,
              }))}
              render={{ run: (r) => <RunLink id={r.run} /> }}
              testid="waiting"
              empty="Nothing waits for a person."
            />
          </Section>
          <Section title="Failed in the last 24 h">
            <Table
              rows={d.failedLast24h.map((r) => ({ run: r.id, status: r.status, stoppedAt: r.stoppedAt }))}
              render={{
                run: (r) => <RunLink id={r.run} />,
                status: (r) => <StatusBadge status={r.status} />,
              }}
              empty="No failures."
            />
          </Section>
          <Section title="Dead letters">
            <Table
              rows={d.deadLetters.map((q) => ({
                name: q.name,
                depth: q.depth,
                oldestAgeSeconds: q.oldestAgeSeconds,
                feeds: abbreviate(feedsOf(q.feeds)),
              }))}
              render={{ name: (q) => <a href={href(['dead-letters'])}>{q.name}</a> }}
              empty="No dead-letter queues."
            />
          </Section>
          <Section title="Recent SLA breaches">
            <Table rows={d.slaBreaches} empty="No breaches." />
            <p>
              <a href={href(['promises'])}>The SLA ledger →</a>
            </p>
          </Section>
        </div>
      ) : null}
      {d && Object.keys(d.runs).length === 0 ? <Value value={null} /> : null}
    </div>
  );
}
