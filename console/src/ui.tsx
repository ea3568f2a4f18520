import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.ts';
import { formatMoney, isMoney as isMoneyLike } from './data/format.ts';
import { href, navigate } from './router.ts';

/** Shared pieces of the console's screens: loading, errors, values, tables, links. */

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  reload(): void;
}

/** Loads `fetcher()` when `deps` change; `reload()` loads again. */
export function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  // the caller names what the fetch depends on (deps), as with useEffect
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fetcher().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message =
    error instanceof ApiError ? error.message : error instanceof Error ? error.message : String(error);
  return (
    <div class="error" role="alert">
      {message}
    </div>
  );
}

export function Loading({ loaded }: { loaded: Loaded<unknown> }) {
  if (loaded.error) return <ErrorBox error={loaded.error} />;
  if (loaded.loading && loaded.data === undefined) return <p class="muted">Loading…</p>;
  return null;
}

/** A button that runs an action once at a time, showing its error under it. */
export function ActionButton(props: {
  label: string;
  action: () => Promise<unknown>;
  disabled?: boolean;
  kind?: 'primary' | 'danger' | 'plain';
  confirm?: string;
  name?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async () => {
    if (props.confirm && !window.confirm(props.confirm)) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="action">
      <button
        type="button"
        class={`btn ${props.kind ?? 'plain'}`}
        disabled={props.disabled || busy}
        onClick={run}
        data-action={props.name ?? props.label.toLowerCase()}
      >
        {busy ? `${props.label}…` : props.label}
      </button>
      <ErrorBox error={error} />
    </span>
  );
}

/** Integer minor units shown in major units with the ISO currency (2 decimals; JPY-like: 0). */
export { formatMoney };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
export const formatTime = (iso: string | null | undefined) =>
  iso ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, 'Z') : '—';

/** A value in a cell: money, times, short scalars as text; objects as compact JSON. */
export function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  if (isMoneyLike(value) && Object.keys(value).length === 2)
    return <span class="money">{formatMoney(value)}</span>;
  if (typeof value === 'string') return <span>{ISO.test(value) ? formatTime(value) : value}</span>;
  if (typeof value === 'number' || typeof value === 'boolean') return <span>{String(value)}</span>;
  const json = JSON.stringify(value);
  return json.length <= 80 ? <code>{json}</code> : <Json value={value} summary={`${json.slice(0, 60)}…`} />;
}

export function Json({ value, summary, open }: { value: unknown; summary?: string; open?: boolean }) {
  const text = typeof value === 'string' ? tryPretty(value) : JSON.stringify(value, null, 2);
  return (
    <details class="json" open={open}>
      <summary>{summary ?? 'JSON'}</summary>
      <pre>{text}</pre>
    </details>
  );
}

function tryPretty(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}

/** A table of records: the given columns, or every top-level field the rows have. */
export function Table<T extends Record<string, unknown>>(props: {
  rows: T[];
  columns?: Array<keyof T & string>;
  render?: Partial<Record<string, (row: T) => ComponentChildren>>;
  extra?: (row: T) => ComponentChildren;
  empty?: string;
  rowKey?: (row: T, i: number) => string;
  testid?: string;
}) {
  const columns =
    props.columns ??
    ([...new Set(props.rows.flatMap((r) => Object.keys(r)))].slice(0, 10) as Array<keyof T & string>);
  if (props.rows.length === 0) return <p class="muted">{props.empty ?? 'Nothing here.'}</p>;
  return (
    <table class="table" data-testid={props.testid}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{c}</th>
          ))}
          {props.extra ? <th /> : null}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row, i) => (
          <tr key={props.rowKey ? props.rowKey(row, i) : i}>
            {columns.map((c) => (
              <td key={c}>{props.render?.[c] ? props.render[c]!(row) : <Value value={row[c]} />}</td>
            ))}
            {props.extra ? <td class="row-actions">{props.extra(row)}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Field: value pairs of one record. */
export function Fields({ record }: { record: Record<string, unknown> }) {
  return (
    <dl class="fields">
      {Object.entries(record).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            <Value value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status.toLowerCase()}`} data-status={status}>
      {status}
    </span>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="card">
      <header>
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

/** A one-field search form that navigates (or calls back) with the trimmed value. */
export function LookupForm(props: {
  label: string;
  placeholder?: string;
  initial?: string;
  onSubmit: (value: string) => void;
  name: string;
  button?: string;
}) {
  const [value, setValue] = useState(props.initial ?? '');
  return (
    <form
      class="lookup"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) props.onSubmit(value.trim());
      }}
    >
      <label>
        {props.label}
        <input
          name={props.name}
          value={value}
          placeholder={props.placeholder}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" class="btn primary">
        {props.button ?? 'Show'}
      </button>
    </form>
  );
}

/**
 * A section's landing page when no id is in the route: a heading, a form that opens one record by
 * its id (`#/<route>/<id>`), and what that record's page shows.
 */
export function OpenByIdPage(props: {
  /** the `data-page` name and the route (`campaigns`, `customers`, …) */
  route: string;
  heading: string;
  section: string;
  /** the input's name (what a test fills) */
  name: string;
  label: string;
  placeholder: string;
  children: ComponentChildren;
}) {
  return (
    <div data-page={props.route}>
      <h1>{props.heading}</h1>
      <Section title={props.section}>
        <LookupForm
          name={props.name}
          label={props.label}
          placeholder={props.placeholder}
          onSubmit={(v) => navigate(href([props.route, v]))}
        />
        <p class="muted">{props.children}</p>
      </Section>
    </div>
  );
}
