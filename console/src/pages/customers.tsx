import { api, enc, query } from '../api.ts';
import { ChartView } from '../chart.tsx';
import { formatMoney } from '../data/format.ts';
import { couponList, customerView, leaderRows } from '../data/members.ts';
import { href, navigate } from '../router.ts';
import {
  ActionButton,
  formatTime,
  Json,
  Loading,
  OpenByIdPage,
  Section,
  StatusBadge,
  useLoad,
} from '../ui.tsx';
import { RecordPage } from './timeline-list.tsx';

const money = (m: { amount: number; currency: string } | null) => (m ? formatMoney(m) : '—');

function CustomerPage({ id }: { id: string }) {
  const customer = useLoad(() => api<Record<string, unknown>>('GET', `/api/customers/${enc(id)}`), [id]);
  const hasCoupons = customer.data
    ? Array.isArray(customer.data.coupons) || typeof customer.data.coupons === 'object'
    : true;
  // the ledger's own list when the customer answer leaves its coupons out
  const coupons = useLoad(
    () =>
      hasCoupons ? Promise.resolve(undefined) : api<unknown>('GET', `/api/customers/${enc(id)}/coupons`),
    [id, hasCoupons],
  );
  const c = customer.data ? customerView(id, customer.data) : null;
  const couponRows = c ? (hasCoupons ? c.coupons : couponList(coupons.data)) : [];
  return (
    <RecordPage
      page="customer"
      section={['customers', 'Customers']}
      id={id}
      heading={
        <>
          Customer {id}{' '}
          {c ? (
            <span class="badge tier" data-testid="tier" data-tier={c.tier}>
              {c.tier}
            </span>
          ) : null}
        </>
      }
      loaded={customer}
      timeline={{
        path: `/api/customers/${enc(id)}/timeline`,
        empty: 'Nothing recorded for this customer yet.',
      }}
    >
      {c ? (
        <>
          <div class="grid">
            <Section title="Member tier">
              <dl class="fields" data-testid="membership">
                <div>
                  <dt>tier</dt>
                  <dd class="tier">{c.tier}</dd>
                </div>
                <div>
                  <dt>since</dt>
                  <dd>{formatTime(c.since)}</dd>
                </div>
                <div>
                  <dt>spend in the window</dt>
                  <dd data-testid="window-spend">{money(c.spend)}</dd>
                </div>
                <div>
                  <dt>orders in the window</dt>
                  <dd data-testid="window-orders">{c.orders ?? '—'}</dd>
                </div>
                {c.window ? (
                  <div>
                    <dt>window</dt>
                    <dd data-testid="window">
                      {c.window.months ? `${c.window.months} months` : ''}
                      {c.window.from && c.window.to
                        ? ` (${formatTime(c.window.from)} – ${formatTime(c.window.to)})`
                        : ''}
                    </dd>
                  </div>
                ) : null}
              </dl>
              {c.benefits.length ? <p data-testid="benefits">Benefits: {c.benefits.join(' · ')}</p> : null}
              {c.newUser ? <p data-testid="new-user">New customer: the first-order perks apply.</p> : null}
              <div data-testid="next-tier">
                {c.next ? (
                  <>
                    <p>
                      Next: <strong class="tier">{c.next.tier}</strong> —{' '}
                      {[
                        c.next.spendNeeded && c.next.spendNeeded.amount > 0
                          ? `${formatMoney(c.next.spendNeeded)} more spend`
                          : null,
                        c.next.ordersNeeded
                          ? `${c.next.ordersNeeded} more order${c.next.ordersNeeded === 1 ? '' : 's'}`
                          : null,
                      ]
                        .filter(Boolean)
                        .join(' and ') || 'reached on the next evaluation'}
                    </p>
                    {c.next.progressPercent !== null ? (
                      <progress class="progress-bar" max={100} value={c.next.progressPercent}>
                        {c.next.progressPercent}%
                      </progress>
                    ) : null}
                  </>
                ) : (
                  <p class="muted">{c.tier === 'diamond' ? 'The highest tier.' : 'No next tier given.'}</p>
                )}
              </div>
            </Section>
            <Section title="Referrals">
              <dl class="fields" data-testid="referral">
                <div>
                  <dt>referral code</dt>
                  <dd data-testid="referral-code">{c.referralCode ?? '—'}</dd>
                </div>
                <div>
                  <dt>invited by</dt>
                  <dd data-testid="invited-by">
                    {c.invitedBy?.customerId ? (
                      <a href={href(['customers', c.invitedBy.customerId])}>{c.invitedBy.customerId}</a>
                    ) : c.invitedBy ? (
                      'unknown code'
                    ) : (
                      '—'
                    )}
                    {c.invitedBy?.status ? ` · ${c.invitedBy.status}` : ''}
                    {c.invitedBy?.reason ? ` (${c.invitedBy.reason})` : ''}
                  </dd>
                </div>
              </dl>
              {c.referrals.length ? (
                <p data-testid="referral-counts">
                  Rewarded referrals: {c.referrals.map((r) => `${r.rewarded} in ${r.period}`).join(', ')}{' '}
                  <a href={href(['referrals'], { period: 'month' })}>leaderboard →</a>
                </p>
              ) : null}
              {c.referralCode ? null : (
                <ActionButton
                  label="Create referral code"
                  name="referral-code"
                  kind="primary"
                  action={async () => {
                    await api('POST', `/api/customers/${enc(id)}/referral-code`, {});
                    customer.reload();
                  }}
                />
              )}
            </Section>
          </div>
          <Section title="Tier history">
            {c.history.length === 0 ? (
              <p class="muted">No tier change yet.</p>
            ) : (
              <table class="table" data-testid="tier-history">
                <thead>
                  <tr>
                    <th>At</th>
                    <th>Change</th>
                    <th>Reason</th>
                    <th>Receipt</th>
                  </tr>
                </thead>
                <tbody>
                  {c.history.map((h, i) => (
                    <tr key={`${h.at}-${i}`}>
                      <td>{formatTime(h.at)}</td>
                      <td>
                        <span class="tier">{h.from ?? 'none'}</span> → <strong class="tier">{h.to}</strong>
                      </td>
                      <td data-testid="tier-reason">{h.reason}</td>
                      <td>
                        {Object.keys(h.detail).length ? <Json value={h.detail} summary="numbers" /> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Coupons">
            {hasCoupons ? null : <Loading loaded={coupons} />}
            {couponRows.length === 0 ? (
              <p class="muted">No coupons.</p>
            ) : (
              <table class="table" data-testid="coupons">
                <thead>
                  <tr>
                    <th>Code</th>
                    <th>Status</th>
                    <th>Amount</th>
                    <th>Min spend</th>
                    <th>Source</th>
                    <th>Expires</th>
                    <th>Redeemed</th>
                  </tr>
                </thead>
                <tbody>
                  {couponRows.map((k) => (
                    <tr key={k.code} data-coupon={k.code}>
                      <td>
                        <code>{k.code}</code>
                      </td>
                      <td>
                        <StatusBadge status={k.status} />
                      </td>
                      <td class="num">{money(k.amount)}</td>
                      <td class="num">{money(k.minSpend)}</td>
                      <td>{k.source}</td>
                      <td>{formatTime(k.expiresAt)}</td>
                      <td>
                        {k.redeemedAt ? formatTime(k.redeemedAt) : ''}
                        {k.orderId ? ` order ${k.orderId}` : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </>
      ) : null}
    </RecordPage>
  );
}

export function Customers({ id }: { id?: string }) {
  if (id) return <CustomerPage id={id} />;
  return (
    <OpenByIdPage
      route="customers"
      heading="Customers"
      section="Open a customer"
      name="customer"
      label="Customer id"
      placeholder="c-1001"
    >
      Member tier and why it changed, spend and orders in the window, coupons, referrals, timeline.
    </OpenByIdPage>
  );
}

/** The referral leaderboard: inviters by rewarded referrals in a month or a year (store time). */
export function Leaderboard({ query: q }: { query: URLSearchParams }) {
  const period = q.get('period') === 'year' ? 'year' : 'month';
  const at = q.get('at') ?? '';
  // a day of the period, asked as an instant (noon UTC falls on that day in any store time zone)
  const atInstant = /^\d{4}-\d{2}-\d{2}$/.test(at) ? `${at}T12:00:00.000Z` : at;
  const board = useLoad(
    () =>
      api<Record<string, unknown>>('GET', `/api/referrals/leaderboard${query({ period, at: atInstant })}`),
    [period, atInstant],
  );
  const rows = board.data ? leaderRows(board.data) : [];
  const covers = board.data
    ? [
        board.data.from && board.data.to
          ? `${board.data.from} – ${board.data.to}`
          : (board.data.key ?? board.data.period ?? period),
        board.data.timeZone,
      ]
        .filter(Boolean)
        .join(' · ')
    : '';
  return (
    <div data-page="leaderboard">
      <h1>Referral leaderboard</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget as HTMLFormElement);
          navigate(href(['referrals'], { period: String(f.get('period')), at: String(f.get('at') ?? '') }));
        }}
      >
        <label>
          Period
          <select name="period" value={period}>
            <option value="month">month</option>
            <option value="year">year</option>
          </select>
        </label>
        <label>
          At (a day in the period; empty: now)
          <input type="date" name="at" value={at.slice(0, 10)} />
        </label>
        <button type="submit" class="btn primary">
          Show
        </button>
      </form>
      <Section title={`Top inviters by rewarded referrals${covers ? ` · ${covers}` : ''}`}>
        <Loading loaded={board} />
        {board.data ? (
          rows.length === 0 ? (
            <p class="muted">No rewarded referrals in this period.</p>
          ) : (
            <>
              <ChartView
                testid="leaderboard-chart"
                title="Rewarded referrals"
                labels={rows.map((r) => r.customerId)}
                series={[{ label: 'Rewarded referrals', data: rows.map((r) => r.rewarded), color: 2 }]}
                unit="referrals"
                horizontal
                format={(v) => String(v)}
              />
              <table class="table" data-testid="leaderboard">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>Inviter</th>
                    <th>Rewarded referrals</th>
                    <th>Reached at</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r) => (
                    <tr key={r.customerId} data-rank={r.rank}>
                      <td>{r.rank}</td>
                      <td>
                        <a href={href(['customers', r.customerId])}>{r.customerId}</a>
                      </td>
                      <td class="num">{r.rewarded}</td>
                      <td>{formatTime(r.firstAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )
        ) : null}
      </Section>
    </div>
  );
}
