import { useState } from 'preact/hooks';
import { api, enc, type Page, query } from '../api.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, Fields, Loading, LookupForm, Section, Table, useLoad } from '../ui.tsx';

interface DryRun {
  readonly at: string;
  readonly rulesVersion: unknown;
  readonly summary: Record<string, number>;
  readonly items: Array<Record<string, unknown>>;
}

/** A SKU's price history (GET /api/skus/{sku}/prices) and a repricing dry run (nothing applied). */
export function Pricing({ query: q }: { query: URLSearchParams }) {
  const sku = q.get('sku') ?? '';
  const prices = useLoad(
    () =>
      sku
        ? api<Page<Record<string, unknown>>>('GET', `/api/skus/${enc(sku)}/prices${query({ limit: 50 })}`)
        : Promise.resolve(undefined),
    [sku],
  );
  const [dryRun, setDryRun] = useState<DryRun>();
  const [skus, setSkus] = useState('');
  return (
    <div data-page="pricing">
      <h1>Pricing</h1>
      <Section title="Price history">
        <LookupForm
          name="sku"
          label="SKU"
          initial={sku}
          onSubmit={(v) => navigate(href(['pricing'], { sku: v }))}
        />
        {sku ? <Loading loaded={prices} /> : null}
        {prices.data ? (
          <>
            {Object.keys(prices.data).some((k) => k !== 'items' && k !== 'nextCursor') ? (
              <Fields
                record={Object.fromEntries(
                  Object.entries(prices.data).filter(([k]) => k !== 'items' && k !== 'nextCursor'),
                )}
              />
            ) : null}
            <Table testid="prices" rows={prices.data.items ?? []} empty="No price changes." />
          </>
        ) : null}
      </Section>
      <Section title="Repricing dry run">
        <form class="lookup" onSubmit={(e) => e.preventDefault()}>
          <label>
            SKUs (comma-separated; empty: the catalog's first page)
            <input name="skus" value={skus} onInput={(e) => setSkus((e.target as HTMLInputElement).value)} />
          </label>
          <ActionButton
            label="Dry run"
            kind="primary"
            name="dry-run"
            action={async () => {
              const list = skus
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean);
              setDryRun(
                await api<DryRun>('POST', '/api/repricing/dry-run', list.length ? { skus: list } : {}),
              );
            }}
          />
        </form>
        {dryRun ? (
          <div data-testid="dry-run">
            <p>
              Rules version {String(dryRun.rulesVersion ?? 'given')} at {dryRun.at}: nothing applied.
            </p>
            <Fields record={dryRun.summary} />
            <Table rows={dryRun.items} empty="No SKU decided." />
          </div>
        ) : null}
      </Section>
    </div>
  );
}
