import { useState } from 'preact/hooks';
import { api, query } from '../api.ts';
import { ChartView } from '../chart.tsx';
import { dateRange, formatBps, formatMoney, type Money, toMajor } from '../data/format.ts';
import {
  channelRows,
  cohortRows,
  decompose,
  type FunnelStep,
  formatRoi,
  funnelSeries,
  gmvSeries,
  gmvView,
  periodOf,
  sellThroughView,
} from '../data/metrics.ts';
import { href, navigate } from '../router.ts';
import { Loading, Section, useLoad } from '../ui.tsx';

const int = (v: number) => v.toLocaleString('en-US');

/** "2026-11-01 – 2026-11-07 · Asia/Shanghai": the period and time zone an answer says it covers. */
function PeriodNote({ answer, fallback }: { answer: unknown; fallback: { from: string; to: string } }) {
  const p = periodOf(answer);
  return (
    <p class="muted small" data-testid="period">
      {p.from ?? fallback.from} – {p.to ?? fallback.to}
      {p.timeZone ? ` · ${p.timeZone}` : ''}
    </p>
  );
}

function RangeForm(props: { from: string; to: string; channel: string; by: string }) {
  const [from, setFrom] = useState(props.from);
  const [to, setTo] = useState(props.to);
  const [channel, setChannel] = useState(props.channel);
  const [error, setError] = useState<string>();
  return (
    <form
      class="filters"
      data-testid="range"
      onSubmit={(e) => {
        e.preventDefault();
        if (!from || !to || from > to) {
          setError('The range needs a start on or before its end.');
          return;
        }
        setError(undefined);
        navigate(href(['metrics'], { from, to, channel: channel.trim(), by: props.by }));
      }}
    >
      <label>
        From
        <input
          type="date"
          name="from"
          value={from}
          onInput={(e) => setFrom((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        To
        <input
          type="date"
          name="to"
          value={to}
          onInput={(e) => setTo((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        Channel (funnel)
        <input
          name="channel"
          placeholder="all channels"
          value={channel}
          onInput={(e) => setChannel((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" class="btn primary">
        Show
      </button>
      {error ? (
        <div class="error" role="alert">
          {error}
        </div>
      ) : null}
    </form>
  );
}

interface FunnelAnswer {
  readonly steps?: FunnelStep[];
}

function FunnelSection({ answer, range }: { answer: FunnelAnswer; range: { from: string; to: string } }) {
  const s = funnelSeries(answer.steps ?? []);
  return (
    <>
      <PeriodNote answer={answer} fallback={range} />
      {s.labels.length === 0 ? (
        <p class="muted">No storefront events in this period.</p>
      ) : (
        <>
          <ChartView
            testid="funnel-chart"
            title="Unique users per step"
            labels={s.labels}
            series={[{ label: 'Users', data: s.users }]}
            unit="users"
            horizontal
            format={int}
          />
          <table class="table" data-testid="funnel">
            <thead>
              <tr>
                <th>Step</th>
                <th>Users</th>
                <th>Drop-off from the step before</th>
                <th>Of the first step</th>
              </tr>
            </thead>
            <tbody>
              {s.labels.map((label, i) => (
                <tr key={label} data-step={label}>
                  <td>{label}</td>
                  <td class="num">{int(s.users[i]!)}</td>
                  <td class="num">
                    {s.dropOffPercent[i] === null ? '—' : `${s.dropOffPercent[i]!.toFixed(2)}%`}
                  </td>
                  <td class="num">{s.ofFirstPercent[i]!.toFixed(2)}%</td>
                </tr>
              ))}
            </tbody>
          </table>
          {s.worst ? (
            <p data-testid="worst-step">
              Largest drop-off: before <strong>{s.worst.label}</strong>, {s.worst.percent.toFixed(2)}%.
            </p>
          ) : null}
        </>
      )}
    </>
  );
}

function GmvSection({ answer, range }: { answer: unknown; range: { from: string; to: string } }) {
  const view = gmvView(answer);
  const s = gmvSeries(view);
  const total = view.total;
  const d = total ? decompose(total) : null;
  const money = (v: number) => `${v.toFixed(2)} ${view.currency}`;
  return (
    <>
      <PeriodNote answer={answer} fallback={range} />
      {total ? (
        <p class="identity" data-testid="gmv-identity">
          <span data-term="traffic">{int(total.traffic)} visitors</span> ×{' '}
          <span data-term="conversion">{formatBps(total.conversionBps)}</span> ×{' '}
          <span data-term="aov">{total.aov ? formatMoney(total.aov) : '—'}</span> ={' '}
          <strong data-term="gmv">{formatMoney(total.gmv)}</strong>
          <span class="muted small" data-testid="identity-check">
            {' '}
            {d === null
              ? '(no orders)'
              : d.residual === 0
                ? '(exact)'
                : `(the product is ${formatMoney(d.product)}: ${d.holds ? 'rounding' : 'off by more than rounding'})`}
          </span>
          {total.repurchaseBps !== null ? (
            <span data-term="repurchase"> · repurchase {formatBps(total.repurchaseBps)}</span>
          ) : null}
          <span data-term="orders"> · {int(total.orders)} orders</span>
        </p>
      ) : null}
      {s.labels.length === 0 ? (
        <p class="muted">No traffic or orders in this period.</p>
      ) : (
        <div class="charts">
          <ChartView
            testid="traffic-chart"
            title="Traffic (unique visitors)"
            labels={s.labels}
            series={[{ label: 'Visitors', data: s.traffic, color: 1 }]}
            unit="visitors"
            height={180}
            format={int}
          />
          <ChartView
            testid="conversion-chart"
            title="× Conversion"
            labels={s.labels}
            series={[
              { label: 'Conversion %', data: s.conversionPercent, color: 2 },
              ...(s.repurchasePercent.some((v) => v !== null)
                ? [{ label: 'Repurchase %', data: s.repurchasePercent, color: 5, line: true }]
                : []),
            ]}
            unit="%"
            height={180}
            format={(v) => `${v.toFixed(2)}%`}
          />
          <ChartView
            testid="aov-chart"
            title="× Average order value"
            labels={s.labels}
            series={[{ label: 'AOV', data: s.aov, color: 3 }]}
            unit={view.currency}
            height={180}
            format={money}
          />
          <ChartView
            testid="gmv-chart"
            title="= GMV (paid, net of refunds)"
            labels={s.labels}
            series={[{ label: 'GMV', data: s.gmv, color: 4 }]}
            unit={view.currency}
            height={180}
            format={money}
          />
        </div>
      )}
    </>
  );
}

function ChannelsSection({ answer }: { answer: unknown }) {
  const rows = channelRows(answer);
  if (rows.length === 0) return <p class="muted">No channels with GMV or spend in this period.</p>;
  const currency = rows.find((r) => r.gmv)?.gmv?.currency ?? rows.find((r) => r.spend)?.spend?.currency ?? '';
  const major = (m: Money | null) => (m ? toMajor(m) : null);
  return (
    <>
      <ChartView
        testid="channels-chart"
        title="GMV and spend per channel, ROI"
        labels={rows.map((r) => r.name)}
        series={[
          { label: `GMV ${currency}`, data: rows.map((r) => major(r.gmv)), color: 4 },
          { label: `Spend ${currency}`, data: rows.map((r) => major(r.spend)), color: 6 },
          {
            label: 'ROI ×',
            data: rows.map((r) => (r.roiBps === null ? null : r.roiBps / 10_000)),
            color: 5,
            line: true,
            right: true,
          },
        ]}
        unit={currency}
        rightUnit="ROI × (GMV / spend)"
      />
      <table class="table" data-testid="channels">
        <thead>
          <tr>
            <th>Channel</th>
            <th>GMV</th>
            <th>Spend</th>
            <th>ROI</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.channel} data-channel={r.channel}>
              <td>{r.name}</td>
              <td class="num">{r.gmv ? formatMoney(r.gmv) : '—'}</td>
              <td class="num">{r.spend ? formatMoney(r.spend) : '—'}</td>
              <td class="num">{formatRoi(r.roiBps)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">
        ROI = GMV / spend (the return on the channel's spend); a channel without spend has none.
      </p>
    </>
  );
}

function SellThroughSection({ answer, range }: { answer: unknown; range: { from: string; to: string } }) {
  const v = sellThroughView(answer);
  return (
    <div data-testid="sell-through">
      <PeriodNote answer={answer} fallback={range} />
      <p class="big-figure">
        <strong>{formatBps(v.sellThroughBps)}</strong> of SKUs sold in the period
      </p>
      <p class="muted">
        {v.skusWithSales ?? '—'} of {v.skus ?? '—'} SKUs with at least one paid order.
      </p>
    </div>
  );
}

function RetentionSection({ answer }: { answer: unknown }) {
  const rows = cohortRows(answer);
  if (rows.length === 0)
    return <p class="muted">No cohorts yet (a cohort starts with a first paid order).</p>;
  const months = Math.max(...rows.map((r) => r.returningPercent.length));
  return (
    <table class="table cohorts" data-testid="retention">
      <thead>
        <tr>
          <th>Cohort</th>
          <th>Customers</th>
          {Array.from({ length: months }, (_, i) => (
            <th key={i}>+{i + 1}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.cohort}>
            <td>{r.cohort}</td>
            <td class="num">{int(r.customers)}</td>
            {Array.from({ length: months }, (_, i) => {
              const p = r.returningPercent[i];
              // heat in steps of 10% (a class, not an inline style: the CSP forbids those)
              const heat = p === undefined || p === null ? '' : `heat-${Math.min(10, Math.ceil(p / 10))}`;
              return (
                <td key={i} class={`num ${heat}`}>
                  {p === undefined ? '' : p === null ? '—' : `${p.toFixed(1)}%`}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Metrics (issue #16): the funnel and GMV = traffic × conversion × AOV per day or per channel over a
 * date range, channel ROI, sell-through and retention cohorts. Each section loads on its own, so
 * one failing endpoint shows its error and leaves the others.
 */
export function Metrics({ query: q }: { query: URLSearchParams }) {
  const range = dateRange(new Date(), q.get('from'), q.get('to'));
  const channel = q.get('channel') ?? '';
  const by = q.get('by') === 'channel' ? 'channel' : 'day';
  const { from, to } = range;
  const funnel = useLoad(
    () => api<FunnelAnswer>('GET', `/api/metrics/funnel${query({ from, to, channel })}`),
    [from, to, channel],
  );
  const gmv = useLoad(
    () => api<unknown>('GET', `/api/metrics/gmv${query({ from, to, by })}`),
    [from, to, by],
  );
  const channels = useLoad(
    () => api<unknown>('GET', `/api/metrics/channels${query({ from, to })}`),
    [from, to],
  );
  const sellThrough = useLoad(
    () => api<unknown>('GET', `/api/metrics/sell-through${query({ from, to })}`),
    [from, to],
  );
  const retention = useLoad(
    () => api<unknown>('GET', `/api/metrics/retention${query({ cohort: 'month' })}`),
    [],
  );
  return (
    <div data-page="metrics">
      <h1>Metrics</h1>
      <RangeForm key={`${from}|${to}|${channel}`} from={from} to={to} channel={channel} by={by} />
      <Section title={channel ? `Funnel · ${channel}` : 'Funnel'}>
        <Loading loaded={funnel} />
        {funnel.data ? <FunnelSection answer={funnel.data} range={range} /> : null}
      </Section>
      <Section
        title="GMV = traffic × conversion × AOV"
        actions={
          <div class="tabs" role="tablist">
            {(['day', 'channel'] as const).map((b) => (
              <a
                key={b}
                role="tab"
                aria-selected={by === b}
                class={by === b ? 'active' : ''}
                data-by={b}
                href={href(['metrics'], { from, to, channel, by: b })}
              >
                per {b}
              </a>
            ))}
          </div>
        }
      >
        <Loading loaded={gmv} />
        {gmv.data !== undefined ? <GmvSection answer={gmv.data} range={range} /> : null}
      </Section>
      <div class="grid">
        <Section title="Channel ROI">
          <Loading loaded={channels} />
          {channels.data !== undefined ? <ChannelsSection answer={channels.data} /> : null}
        </Section>
        <Section title="Sell-through">
          <Loading loaded={sellThrough} />
          {sellThrough.data !== undefined ? (
            <SellThroughSection answer={sellThrough.data} range={range} />
          ) : null}
        </Section>
      </div>
      <Section title="Retention by monthly cohort">
        <Loading loaded={retention} />
        {retention.data !== undefined ? <RetentionSection answer={retention.data} /> : null}
      </Section>
    </div>
  );
}
