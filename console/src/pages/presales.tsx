import { api, enc } from '../api.ts';
import { href, navigate } from '../router.ts';
import { Fields, Loading, LookupForm, Section, useLoad } from '../ui.tsx';

/** A presale's terms and counters, and a presale order's state (GET /api/presales/{id}, /api/presale-orders/{id}). */
export function Presales({ query }: { query: URLSearchParams }) {
  const presaleId = query.get('presale') ?? '';
  const orderId = query.get('order') ?? '';
  const go = (next: Record<string, string>) =>
    navigate(href(['presales'], { presale: presaleId, order: orderId, ...next }));
  return (
    <div data-page="presales">
      <h1>Presales</h1>
      <div class="grid">
        <Section title="Presale">
          <LookupForm
            name="presale"
            label="Presale id"
            initial={presaleId}
            onSubmit={(v) => go({ presale: v })}
          />
          {presaleId ? <Record path={`/api/presales/${enc(presaleId)}`} /> : null}
        </Section>
        <Section title="Presale order">
          <LookupForm name="order" label="Order id" initial={orderId} onSubmit={(v) => go({ order: v })} />
          {orderId ? (
            <>
              <Record path={`/api/presale-orders/${enc(orderId)}`} />
              <p>
                <a href={href(['keys', 'order', orderId])}>Timeline and runs of order {orderId} →</a>
              </p>
            </>
          ) : null}
        </Section>
      </div>
    </div>
  );
}

function Record({ path }: { path: string }) {
  const r = useLoad(() => api<Record<string, unknown>>('GET', path), [path]);
  return (
    <div>
      <Loading loaded={r} />
      {r.data ? <Fields record={r.data} /> : null}
    </div>
  );
}
