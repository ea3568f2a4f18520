import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../api.ts';
import { ChartView } from '../chart.tsx';
import {
  type Campaign,
  canAbort,
  canApprove,
  type Experiment,
  formatLift,
  formatP,
  groupRates,
  isLive,
  sampleRatioOk,
  variantRows,
  winnerId,
} from '../data/campaigns.ts';
import { formatMoney, isMoney } from '../data/format.ts';
import { ActionButton, Fields, formatTime, OpenByIdPage, Section, StatusBadge, useLoad } from '../ui.tsx';
import { RecordPage } from './timeline-list.tsx';

/** Reloads every `ms` while `on` (a pilot's live numbers, a status a run moves on). */
function usePoll(on: boolean, reload: () => void, ms = 5000) {
  useEffect(() => {
    if (!on) return;
    const t = setInterval(reload, ms);
    return () => clearInterval(t);
  }, [on, reload, ms]);
}

const pct = (v: number | null) => (v === null ? '—' : `${v.toFixed(2)}%`);

function Tiers({ tiers }: { tiers: Campaign['tiers'] }) {
  if (!tiers?.length) return <span class="muted">—</span>;
  return (
    <span data-testid="tiers">
      {tiers
        .map((t) =>
          isMoney(t.spend) && isMoney(t.save)
            ? `spend ${formatMoney(t.spend)} save ${formatMoney(t.save)}`
            : JSON.stringify(t),
        )
        .join(' · ')}
    </span>
  );
}

function PilotNumbers({ campaign }: { campaign: Campaign }) {
  const groups = groupRates(campaign);
  if (groups.length === 0)
    return (
      <p class="muted">
        No pilot numbers yet{campaign.status === 'SCHEDULED' ? ': the pilot has not started' : ''}.
      </p>
    );
  return (
    <>
      <ChartView
        testid="pilot-chart"
        title="Conversion per group"
        labels={groups.map((g) => g.group)}
        series={[{ label: 'Conversion %', data: groups.map((g) => g.ratePercent), color: 2 }]}
        unit="%"
        height={180}
        format={(v) => `${v.toFixed(2)}%`}
      />
      <table class="table" data-testid="pilot-groups">
        <thead>
          <tr>
            <th>Group</th>
            <th>Users</th>
            <th>Conversions</th>
            <th>Conversion</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.group} data-group={g.group}>
              <td>{g.group}</td>
              <td class="num">{g.users.toLocaleString('en-US')}</td>
              <td class="num">{g.conversions.toLocaleString('en-US')}</td>
              <td class="num">{pct(g.ratePercent)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function EvaluationView({ evaluation: e }: { evaluation: NonNullable<Campaign['evaluation']> }) {
  return (
    <div data-testid="evaluation">
      <div class={`decision decision-${e.decision}`} data-decision={e.decision}>
        Decision: <strong>{e.decision}</strong>
        {e.reason ? <span data-testid="reason"> — {e.reason}</span> : null}
      </div>
      <dl class="fields">
        <div>
          <dt>lift</dt>
          <dd data-testid="lift">{formatLift(e.liftBps)}</dd>
        </div>
        <div>
          <dt>z</dt>
          <dd data-testid="z">{typeof e.z === 'number' ? e.z.toFixed(3) : '—'}</dd>
        </div>
        <div>
          <dt>p-value</dt>
          <dd data-testid="p-value">{formatP(e.pValue)}</dd>
        </div>
        <div>
          <dt>sample ratio</dt>
          <dd data-testid="sample-ratio" data-ok={String(e.sampleRatioOk)}>
            {e.sampleRatioOk ? 'as planned' : 'mismatch: the split is broken, held for a person'}
          </dd>
        </div>
      </dl>
    </div>
  );
}

function CampaignPage({ id }: { id: string }) {
  const campaign = useLoad(() => api<Campaign>('GET', `/api/campaigns/${enc(id)}`), [id]);
  const status = campaign.data?.status ?? '';
  usePoll(isLive(status), campaign.reload);
  const [reason, setReason] = useState('');
  const [notice, setNotice] = useState<string>();
  const [formError, setFormError] = useState<string>();
  const decide = async (action: 'approve' | 'abort') => {
    setNotice(undefined);
    setFormError(undefined);
    if (action === 'abort' && !reason.trim()) {
      setFormError('Say why the campaign is aborted (the reason is kept with it).');
      return;
    }
    await api('POST', `/api/campaigns/${enc(id)}/${action}`, {
      by: 'console',
      ...(reason.trim() ? { reason: reason.trim() } : {}),
    });
    setNotice(action === 'approve' ? 'Approved: the campaign rolls out.' : 'Aborted: the campaign ends.');
    setReason('');
    campaign.reload();
  };
  const c = campaign.data;
  return (
    <RecordPage
      page="campaign"
      section={['campaigns', 'Campaigns']}
      id={id}
      heading={
        <>
          {c?.name ?? id} {c ? <StatusBadge status={c.status} /> : null}
        </>
      }
      loaded={campaign}
      timeline={{
        path: `/api/campaigns/${enc(id)}/timeline`,
        empty: 'Nothing recorded for this campaign yet.',
      }}
    >
      {c ? (
        <>
          <Section title="Campaign">
            <Fields
              record={{
                start: c.start,
                end: c.end,
                ...(c.budget !== undefined ? { budget: c.budget } : {}),
                ...(c.budgetGranted !== undefined ? { budgetGranted: c.budgetGranted } : {}),
                ...(c.pilotStart !== undefined ? { pilotStart: c.pilotStart, pilotEnd: c.pilotEnd } : {}),
                ...(Array.isArray(c.lockedSkus)
                  ? { lockedSkus: (c.lockedSkus as string[]).join(', ') || '—' }
                  : {}),
                ...(c.allowRepricing !== undefined ? { allowRepricing: c.allowRepricing } : {}),
                ...(c.pilot ? { pilot: c.pilot } : {}),
              }}
            />
            <p>
              Tiers: <Tiers tiers={c.tiers} />
            </p>
          </Section>
          <Section
            title={c.evaluation ? 'Pilot against control' : 'Pilot against control (live)'}
            actions={
              <button type="button" class="btn plain" onClick={campaign.reload} data-action="refresh">
                Refresh
              </button>
            }
          >
            <PilotNumbers campaign={c} />
          </Section>
          <Section title="Evaluation and decision">
            {c.decision && typeof c.decision === 'object' ? (
              <p data-testid="decided">
                Decided: <strong>{String((c.decision as Record<string, unknown>).action ?? '')}</strong> by{' '}
                {String((c.decision as Record<string, unknown>).by ?? '')}
                {(c.decision as Record<string, unknown>).reason
                  ? ` — ${String((c.decision as Record<string, unknown>).reason)}`
                  : ''}
              </p>
            ) : null}
            {c.evaluation ? (
              <EvaluationView evaluation={c.evaluation} />
            ) : (
              <p class="muted">Not evaluated yet: the pilot is evaluated when it ends.</p>
            )}
            <form class="lookup" onSubmit={(e) => e.preventDefault()} data-testid="decide">
              <label>
                Reason
                <input
                  name="reason"
                  value={reason}
                  placeholder="why (kept with the decision)"
                  onInput={(e) => setReason((e.target as HTMLInputElement).value)}
                />
              </label>
              <ActionButton
                label="Approve"
                kind="primary"
                name="approve"
                disabled={!canApprove(c.status)}
                action={() => decide('approve')}
              />
              <ActionButton
                label="Abort"
                kind="danger"
                name="abort"
                disabled={!canAbort(c.status)}
                action={() => decide('abort')}
              />
            </form>
            {formError ? (
              <div class="error" role="alert">
                {formError}
              </div>
            ) : null}
            {notice ? <p class="notice">{notice}</p> : null}
            {!canApprove(c.status) ? (
              <p class="muted small">Approve is for a campaign waiting for a decision (AWAITING_DECISION).</p>
            ) : null}
          </Section>
          <Section title="Status history">
            {Array.isArray(c.history) && c.history.length ? (
              <table class="table" data-testid="history">
                <thead>
                  <tr>
                    <th>At</th>
                    <th>Status</th>
                    <th>By</th>
                    <th>Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {(c.history as Array<Record<string, unknown>>).map((h, i) => (
                    <tr key={i}>
                      <td>{formatTime(String(h.at ?? ''))}</td>
                      <td>
                        <StatusBadge status={String(h.status ?? '')} />
                      </td>
                      <td>{String(h.by ?? '')}</td>
                      <td>{String(h.reason ?? '')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p class="muted">No status change recorded.</p>
            )}
          </Section>
        </>
      ) : null}
    </RecordPage>
  );
}

export function Campaigns({ id }: { id?: string }) {
  if (id) return <CampaignPage id={id} />;
  return (
    <OpenByIdPage
      route="campaigns"
      heading="Campaigns"
      section="Open a campaign"
      name="campaign"
      label="Campaign id"
      placeholder="double11"
    >
      Its pilot against control as it runs, the evaluation (lift, z, p-value, sample ratio) and the decision;
      Approve or Abort while it waits for a person.
    </OpenByIdPage>
  );
}

function ExperimentPage({ id }: { id: string }) {
  const exp = useLoad(() => api<Experiment>('GET', `/api/experiments/${enc(id)}`), [id]);
  const e = exp.data;
  usePoll(e?.status === 'RUNNING', exp.reload);
  const rows = e ? variantRows(e) : [];
  const metric = e?.metric === 'ctr' ? 'Click-through' : 'Conversion';
  const winner = e ? winnerId(e) : null;
  return (
    <RecordPage
      page="experiment"
      section={['experiments', 'Experiments']}
      id={id}
      heading={
        <>
          Experiment {id} {e?.status ? <StatusBadge status={e.status} /> : null}
        </>
      }
      loaded={exp}
    >
      {e ? (
        <>
          <Section title="Test">
            <Fields
              record={{
                sku: e.sku,
                field: e.field,
                metric: e.metric,
                ...(e.end !== undefined ? { end: e.end } : {}),
                ...(e.minSamplePerVariant !== undefined
                  ? { minSamplePerVariant: e.minSamplePerVariant }
                  : {}),
                ...(e.alpha !== undefined ? { alpha: e.alpha } : {}),
              }}
            />
            <p data-testid="winner">
              {winner ? (
                <>
                  Winner: <span class="winner">{winner}</span>
                </>
              ) : (
                <span class="muted">No winner: no variant beats the control significantly (yet).</span>
              )}
              {(e.conclusion?.reason ?? e.results?.reason) ? (
                <span class="small" data-testid="experiment-reason">
                  {' '}
                  — {e.conclusion?.reason ?? e.results?.reason}
                </span>
              ) : null}
              {!sampleRatioOk(e) ? (
                <span class="error" data-testid="srm">
                  {' '}
                  Sample-ratio mismatch: the split differs from the weights.
                </span>
              ) : null}
            </p>
          </Section>
          <Section title="Variants">
            {rows.length === 0 ? (
              <p class="muted">No variants.</p>
            ) : (
              <>
                <ChartView
                  testid="variants-chart"
                  title={`${metric} per variant`}
                  labels={rows.map((r) => r.id)}
                  series={[{ label: `${metric} %`, data: rows.map((r) => r.ratePercent), color: 1 }]}
                  unit="%"
                  height={180}
                  format={(v) => `${v.toFixed(2)}%`}
                />
                <table class="table" data-testid="variants">
                  <thead>
                    <tr>
                      <th>Variant</th>
                      <th>Value</th>
                      <th>Weight</th>
                      <th>Exposures</th>
                      <th>{e.metric === 'ctr' ? 'Clicks' : 'Conversions'}</th>
                      <th>{metric}</th>
                      <th>p-value vs control</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => (
                      <tr key={r.id} data-variant={r.id} class={r.winner ? 'winner' : ''}>
                        <td>
                          {r.id}
                          {r.control ? <span class="muted small"> (control)</span> : null}
                          {r.winner ? <span class="badge status-succeeded"> winner</span> : null}
                        </td>
                        <td>{isMoney(r.value) ? formatMoney(r.value) : String(r.value ?? '—')}</td>
                        <td class="num">{r.weight ?? '—'}</td>
                        <td class="num">{r.exposures.toLocaleString('en-US')}</td>
                        <td class="num">{(e.metric === 'ctr' ? r.clicks : r.conversions) ?? '—'}</td>
                        <td class="num">{pct(r.ratePercent)}</td>
                        <td class="num">{r.control ? '—' : formatP(r.pValue)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </Section>
        </>
      ) : null}
    </RecordPage>
  );
}

export function Experiments({ id }: { id?: string }) {
  if (id) return <ExperimentPage id={id} />;
  return (
    <OpenByIdPage
      route="experiments"
      heading="Experiments"
      section="Open an A/B test"
      name="experiment"
      label="Experiment id"
      placeholder="hero-image"
    >
      Variants with exposures, rates and p-values against the control; a winner only when significant.
    </OpenByIdPage>
  );
}
