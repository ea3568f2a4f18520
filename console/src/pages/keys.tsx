import { useState } from 'preact/hooks';
import { api, enc, type Page, query, type RunSummary, type TimelineLine } from '../api.ts';
import { href, navigate } from '../router.ts';
import { formatTime, Json, Loading, Section, StatusBadge, Table, useLoad } from '../ui.tsx';
import { RunLink } from './runs.tsx';

const TYPES = [
  ['order', 'Order id'],
  ['sku', 'SKU'],
] as const;

export function KeySearch() {
  const [type, setType] = useState<string>('order');
  const [value, setValue] = useState('');
  return (
    <div data-page="keys">
      <h1>Find an order or a SKU</h1>
      <form
        class="lookup"
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) navigate(href(['keys', type, value.trim()]));
        }}
      >
        <select name="type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
          {TYPES.map(([t, label]) => (
            <option key={t} value={t}>
              {label}
            </option>
          ))}
        </select>
        <input
          name="key"
          placeholder="1001 or IPOD2008PINK"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="btn primary">
          Search
        </button>
      </form>
      <p class="muted">
        Everything storeflow knows about it: webhooks, events, runs, promises, purchase orders, price changes.
      </p>
    </div>
  );
}

/** The run a timeline line belongs to: named by its correlation id, else the key's run open at that time. */
function runOf(line: TimelineLine, runs: RunSummary[]): RunSummary | undefined {
  const correlation = line.detail.correlationId;
  const named = runs.find((r) => r.name === correlation || r.id === correlation);
  if (named) return named;
  const at = Date.parse(line.at);
  return runs.find(
    (r) => Date.parse(r.startedAt) <= at && (r.stoppedAt === null || at <= Date.parse(r.stoppedAt) + 1000),
  );
}

export function KeyTimeline({ type, value }: { type: string; value: string }) {
  const path = type === 'sku' ? `/api/skus/${enc(value)}/timeline` : `/api/orders/${enc(value)}/timeline`;
  const [more, setMore] = useState<TimelineLine[]>([]);
  const timeline = useLoad(async () => {
    setMore([]);
    return api<Page<TimelineLine>>('GET', `${path}${query({ limit: 100 })}`);
  }, [path]);
  const runs = useLoad(
    () =>
      api<Page<RunSummary>>('GET', `/api/runs${query({ key: `${type}:${value}`, limit: 100 })}`).then(
        (p) => p.items,
      ),
    [type, value],
  );
  const lines = [...(timeline.data?.items ?? []), ...more];
  const [cursor, setCursor] = useState<string | null>(null);
  const next = cursor ?? timeline.data?.nextCursor ?? null;
  return (
    <div data-page="timeline">
      <p class="crumbs">
        <a href={href(['keys'])}>Order / SKU</a> / {type} {value}
      </p>
      <h1>
        {type === 'sku' ? 'SKU' : 'Order'} {value}
      </h1>
      <Section title="Runs">
        <Loading loaded={runs} />
        {runs.data ? (
          <Table
            testid="key-runs"
            rows={runs.data as unknown as Array<Record<string, unknown>>}
            columns={['workflow', 'id', 'status', 'startedAt', 'stoppedAt']}
            render={{
              id: (r) => <RunLink id={String(r.id)} />,
              status: (r) => <StatusBadge status={String(r.status)} />,
            }}
            empty="No runs for this key."
          />
        ) : null}
      </Section>
      <Section title="Timeline">
        <Loading loaded={timeline} />
        {timeline.data ? (
          <ol class="timeline" data-testid="timeline">
            {lines.length === 0 ? <li class="muted">Nothing recorded for this key yet.</li> : null}
            {lines.map((line, i) => {
              const run = runOf(line, runs.data ?? []);
              const delivery =
                typeof line.detail.deliveryId === 'string' ? line.detail.deliveryId : undefined;
              return (
                <li key={`${line.at}-${i}`} class={`line kind-${line.kind}`}>
                  <time>{formatTime(line.at)}</time>
                  <span class="kind">{line.kind}</span>
                  <strong>{line.name}</strong>
                  {run ? (
                    line.kind === 'state' ? (
                      <a href={href(['runs', run.id], { state: line.name })} data-run={run.id}>
                        run {run.workflow}, state {line.name}
                      </a>
                    ) : (
                      <RunLink id={run.id} label={`run ${run.workflow}`} />
                    )
                  ) : null}
                  {delivery ? (
                    <span class="delivery" id={`delivery-${delivery}`}>
                      delivery {delivery}
                    </span>
                  ) : null}
                  <Json value={line.detail} summary="detail" />
                </li>
              );
            })}
          </ol>
        ) : null}
        {next ? (
          <button
            type="button"
            class="btn plain"
            onClick={async () => {
              const page = await api<Page<TimelineLine>>(
                'GET',
                `${path}${query({ limit: 100, cursor: next })}`,
              );
              setMore((m) => [...m, ...page.items]);
              setCursor(page.nextCursor ?? '');
            }}
          >
            More
          </button>
        ) : null}
      </Section>
    </div>
  );
}
