import { useState } from 'preact/hooks';
import { api, type Page, query, type RunSummary } from '../api.ts';
import { href, navigate } from '../router.ts';
import { ErrorBox, formatTime, Loading, StatusBadge, Table, useLoad } from '../ui.tsx';

export const WORKFLOWS = ['PresaleOrder', 'PurchaseOrderApproval', 'RestockSweep', 'RepricingRun'];
const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];

export function RunLink({ id, label }: { id: string; label?: string }) {
  return (
    <a href={href(['runs', id])} data-run={id}>
      {label ?? id}
    </a>
  );
}

export function keyHref(key: { type: string; value: string }): string | undefined {
  switch (key.type) {
    case 'order':
    case 'sku':
      return href(['keys', key.type, key.value]);
    case 'po':
      return href(['purchase-orders'], { po: key.value });
    case 'presale':
      return href(['presales'], { presale: key.value });
    case 'promise':
      return href(['promises']);
    case 'campaign':
      return href(['campaigns', key.value]);
    case 'experiment':
      return href(['experiments', key.value]);
    case 'customer':
      return href(['customers', key.value]);
    default:
      return undefined;
  }
}

export function KeyLink({ value }: { value: { type: string; value: string } | null }) {
  if (!value) return <span class="muted">—</span>;
  const to = keyHref(value);
  const text = `${value.type}:${value.value}`;
  return to ? <a href={to}>{text}</a> : <span>{text}</span>;
}

/** Runs, newest first, filtered by workflow, status and business key; pages with "More". */
export function RunsTable({ filter }: { filter: Record<string, string | undefined> }) {
  const [pages, setPages] = useState<RunSummary[][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState<unknown>();
  const first = useLoad(async () => {
    const page = await api<Page<RunSummary>>('GET', `/api/runs${query({ ...filter, limit: 25 })}`);
    setPages([]);
    setCursor(page.nextCursor);
    return page.items;
  }, [JSON.stringify(filter)]);
  const rows = [...(first.data ?? []), ...pages.flat()];
  return (
    <div>
      <Loading loaded={first} />
      {first.data ? (
        <Table
          testid="runs"
          rows={rows as unknown as Array<Record<string, unknown>>}
          columns={['id', 'status', 'key', 'startedAt', 'stoppedAt', 'redriveCount']}
          rowKey={(r) => String(r.id)}
          render={{
            id: (r) => <RunLink id={String(r.id)} />,
            status: (r) => <StatusBadge status={String(r.status)} />,
            key: (r) => <KeyLink value={r.key as RunSummary['key']} />,
            startedAt: (r) => formatTime(r.startedAt as string),
            stoppedAt: (r) => formatTime(r.stoppedAt as string | null),
          }}
          empty="No runs match."
        />
      ) : null}
      {cursor ? (
        <button
          type="button"
          class="btn plain"
          onClick={async () => {
            try {
              const page = await api<Page<RunSummary>>(
                'GET',
                `/api/runs${query({ ...filter, limit: 25, cursor })}`,
              );
              setPages((p) => [...p, page.items]);
              setCursor(page.nextCursor);
            } catch (e) {
              setMore(e);
            }
          }}
        >
          More
        </button>
      ) : null}
      <ErrorBox error={more} />
    </div>
  );
}

export function RunsPage({ query: q }: { query: URLSearchParams }) {
  const filter = {
    workflow: q.get('workflow') ?? undefined,
    status: q.get('status') ?? undefined,
    key: q.get('key') ?? undefined,
  };
  const [key, setKey] = useState(filter.key ?? '');
  const go = (next: Record<string, string | undefined>) => navigate(href(['runs'], { ...filter, ...next }));
  return (
    <div data-page="runs">
      <h1>Runs</h1>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({ key: key.trim() || undefined });
        }}
      >
        <label>
          Workflow
          <select
            name="workflow"
            value={filter.workflow ?? ''}
            onChange={(e) => go({ workflow: (e.target as HTMLSelectElement).value || undefined })}
          >
            <option value="">any</option>
            {WORKFLOWS.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select
            name="status"
            value={filter.status ?? ''}
            onChange={(e) => go({ status: (e.target as HTMLSelectElement).value || undefined })}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Business key
          <input
            name="key"
            placeholder="order:1001, sku:A, po:…"
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="btn primary">
          Filter
        </button>
      </form>
      <RunsTable filter={filter} />
    </div>
  );
}
