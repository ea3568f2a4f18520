import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, enc, query, type RunDetail, type RunState, runPath, type StateStatus } from '../api.ts';
import { type GraphNode, layoutDefinition } from '../graph.ts';
import { href } from '../router.ts';
import {
  ActionButton,
  ErrorBox,
  formatTime,
  Json,
  Loading,
  Section,
  StatusBadge,
  Table,
  useLoad,
} from '../ui.tsx';
import { KeyLink } from './runs.tsx';

/** How often a run page that is still running asks again (a person's action moves it on). */
const REFRESH_MS = 2000;

function statusOf(states: RunState[], node: GraphNode): StateStatus | undefined {
  return (
    states.find((s) => (s.path ?? s.name) === node.id)?.status ??
    states.find((s) => s.name === node.id)?.status ??
    (node.id.includes('/') ? states.find((s) => s.name === node.name)?.status : undefined)
  );
}

function Graph({ run, selected }: { run: RunDetail; selected?: string | undefined }) {
  const graph = useMemo(() => layoutDefinition(run.definition), [run.definition]);
  const clusters = graph.nodes.filter((n) => n.cluster);
  const nodes = graph.nodes.filter((n) => !n.cluster);
  return (
    <div class="graph" data-testid="graph">
      <svg
        viewBox={`0 0 ${graph.width} ${graph.height}`}
        width={graph.width}
        height={graph.height}
        role="img"
        aria-label="state machine"
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
          </marker>
        </defs>
        {clusters.map((c) => (
          <g key={c.id} class="cluster">
            <rect x={c.x - c.width / 2} y={c.y - c.height / 2} width={c.width} height={c.height} rx="8" />
            <text x={c.x - c.width / 2 + 8} y={c.y - c.height / 2 + 14}>
              {c.name}
            </text>
          </g>
        ))}
        {graph.edges.map((e, i) => (
          <polyline
            key={`${e.from}-${e.to}-${i}`}
            class={`edge edge-${e.kind}`}
            points={e.points.map((p) => `${p.x},${p.y}`).join(' ')}
            marker-end="url(#arrow)"
          />
        ))}
        {nodes.map((n) => {
          if (n.marker) {
            return (
              <g key={n.id} class={`marker marker-${n.marker}`}>
                <circle cx={n.x} cy={n.y} r={10} />
              </g>
            );
          }
          const status = statusOf(run.states, n) ?? 'not-run';
          return (
            <a key={n.id} href={href(['runs', run.id], { state: n.id })} aria-label={`${n.id}: ${status}`}>
              <g
                class={`state state-${status}${selected === n.id ? ' selected' : ''}`}
                data-state={n.id}
                data-status={status}
              >
                <title>{`${n.id} (${n.type}): ${status}`}</title>
                <rect x={n.x - n.width / 2} y={n.y - n.height / 2} width={n.width} height={n.height} rx="6" />
                <text x={n.x} y={n.y + 4} text-anchor="middle">
                  {n.name}
                </text>
              </g>
            </a>
          );
        })}
      </svg>
      <ul class="legend">
        {(['succeeded', 'running', 'waiting', 'caught', 'failed', 'not-run'] as const).map((s) => (
          <li key={s} class={`state-${s}`}>
            <i />
            {s}
          </li>
        ))}
      </ul>
    </div>
  );
}

const WAITS: Record<string, string> = {
  'po-approval': 'a person to approve or reject the purchase order',
  'presale-balance-window': 'the balance window to open',
  'presale-balance': 'the customer to pay the balance',
  timer: 'a timer',
  callback: 'a callback',
};

function WaitingFor({ run, onChange }: { run: RunDetail; onChange: () => void }) {
  const w = run.waitingFor;
  if (!w) return null;
  const poId = w.kind === 'po-approval' && typeof w.poId === 'string' ? w.poId : undefined;
  const decide = (decision: 'approve' | 'reject') =>
    api('POST', `/api/purchase-orders/${enc(poId!)}/${decision}`, { by: 'console' }).then(onChange);
  return (
    <div class="waiting" data-testid="waiting-for" data-kind={w.kind}>
      <span>
        <strong>Waiting</strong> in{' '}
        <a href={href(['runs', run.id], { state: String(w.state ?? '') })}>{String(w.state ?? '?')}</a> for{' '}
        {WAITS[w.kind] ?? w.kind}
        {w.since ? ` since ${formatTime(String(w.since))}` : ''}.
      </span>
      {poId ? (
        <>
          <a href={href(['purchase-orders'], { po: poId })}>Purchase order {poId}</a>
          <ActionButton label="Approve" kind="primary" action={() => decide('approve')} />
          <ActionButton label="Reject" kind="danger" action={() => decide('reject')} />
        </>
      ) : null}
    </div>
  );
}

/** A sweep's progress: its Distributed Map's children done of total, as DescribeMapRun counts them. */
function MapRuns({ run }: { run: RunDetail }) {
  if (!run.mapRuns?.length) return null;
  return (
    <Section title="Sweep progress">
      <ul class="map-runs" data-testid="map-runs">
        {run.mapRuns.map((m) => {
          const done = m.succeeded + m.failed + m.timedOut + m.aborted;
          const problems = [
            m.failed ? `${m.failed} failed` : '',
            m.timedOut ? `${m.timedOut} timed out` : '',
            m.aborted ? `${m.aborted} aborted` : '',
            m.running ? `${m.running} running` : '',
          ].filter(Boolean);
          return (
            <li key={m.mapRunArn}>
              <strong>{m.state ?? 'map'}</strong>
              <progress max={Math.max(1, m.total)} value={done} />
              <span>
                {done}/{m.total} children done{problems.length ? ` (${problems.join(', ')})` : ''} ·{' '}
                <StatusBadge status={m.status} />
              </span>
            </li>
          );
        })}
      </ul>
    </Section>
  );
}

export function RunPage({ id, selected }: { id: string; selected?: string | undefined }) {
  const run = useLoad(() => api<RunDetail>('GET', runPath(id)), [id]);
  const [older, setOlder] = useState<RunDetail['history']>([]);
  const [historyCursor, setHistoryCursor] = useState<string | null | undefined>();
  const [actionError, setActionError] = useState<unknown>();
  const r = run.data;
  const running = r?.status === 'RUNNING';
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(run.reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [running, run.reload]);
  useEffect(() => {
    setOlder([]);
    setHistoryCursor(r?.historyCursor ?? null);
  }, [r?.historyCursor]);
  const state =
    r && selected ? r.states.find((s) => (s.path ?? s.name) === selected || s.name === selected) : undefined;
  return (
    <div data-page="run">
      <p class="crumbs">
        <a href={href(['runs'])}>Runs</a> / {id}
      </p>
      <Loading loaded={run} />
      {r ? (
        <>
          <header class="run-header">
            <h1>
              {r.workflow} <span class="muted">{r.name}</span> <StatusBadge status={r.status} />
            </h1>
            <div class="run-actions">
              <ActionButton
                label="Stop"
                kind="danger"
                disabled={!r.actions.stop}
                confirm={`Stop ${r.id}?`}
                action={() =>
                  api('POST', `${runPath(r.id)}/stop`, { reason: 'stopped from the console' }).then(
                    run.reload,
                  )
                }
              />
              <ActionButton
                label="Redrive"
                kind="primary"
                disabled={!r.actions.redrive}
                action={() => api('POST', `${runPath(r.id)}/redrive`).then(run.reload)}
              />
              <button type="button" class="btn plain" onClick={run.reload}>
                Refresh
              </button>
            </div>
          </header>
          <dl class="fields">
            <div>
              <dt>key</dt>
              <dd>
                <KeyLink value={r.key} />
              </dd>
            </div>
            <div>
              <dt>started</dt>
              <dd>{formatTime(r.startedAt)}</dd>
            </div>
            <div>
              <dt>stopped</dt>
              <dd>{formatTime(r.stoppedAt)}</dd>
            </div>
            <div>
              <dt>redrives</dt>
              <dd>{r.redriveCount}</dd>
            </div>
          </dl>
          {r.error ? (
            <div class="error" data-testid="run-error">
              {r.error}: {r.cause}
            </div>
          ) : null}
          <WaitingFor run={r} onChange={run.reload} />
          <ErrorBox error={actionError} />
          <MapRuns run={r} />
          <div class="run-body">
            <Section title="Graph">
              <Graph run={r} selected={selected} />
            </Section>
            <Section title={state ? `State ${state.path ?? state.name}` : 'Run'}>
              {state ? (
                <div data-testid="state-detail">
                  <p>
                    {state.type} · <StatusBadge status={state.status} /> · {formatTime(state.enteredAt)} →{' '}
                    {formatTime(state.exitedAt)}
                  </p>
                  {state.error ? (
                    <div class="error">
                      {state.error}: {state.cause}
                    </div>
                  ) : null}
                  <Json value={state.input ?? null} summary="input" open />
                  <Json value={state.output ?? null} summary="output" open />
                </div>
              ) : (
                <div>
                  <p class="muted">Click a state for its input and output.</p>
                  <Json value={r.input ?? null} summary="run input" />
                  <Json value={r.output ?? null} summary="run output" />
                </div>
              )}
            </Section>
          </div>
          <Section title="States">
            <Table
              testid="states"
              rows={r.states.map((s) => ({ ...s, state: s.path ?? s.name }) as Record<string, unknown>)}
              columns={['state', 'type', 'status', 'enteredAt', 'exitedAt', 'input', 'output']}
              render={{
                state: (s) => (
                  <a href={href(['runs', r.id], { state: String(s.state) })}>{String(s.state)}</a>
                ),
                status: (s) => <StatusBadge status={String(s.status)} />,
              }}
            />
          </Section>
          <Section title="Event history">
            <Table
              testid="history"
              rows={[...r.history, ...older] as unknown as Array<Record<string, unknown>>}
              columns={['id', 'timestamp', 'type', 'details']}
              rowKey={(e) => String(e.id)}
            />
            {historyCursor ? (
              <button
                type="button"
                class="btn plain"
                onClick={async () => {
                  try {
                    const next = await api<RunDetail>('GET', `${runPath(id)}${query({ historyCursor })}`);
                    setOlder((o) => [...o, ...next.history]);
                    setHistoryCursor(next.historyCursor ?? null);
                  } catch (e) {
                    setActionError(e);
                  }
                }}
              >
                More events
              </button>
            ) : null}
          </Section>
        </>
      ) : null}
    </div>
  );
}
