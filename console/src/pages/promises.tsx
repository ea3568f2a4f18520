import { api, enc, type Page, query } from '../api.ts';
import { href, navigate } from '../router.ts';
import { Loading, LookupForm, Section, Table, useLoad } from '../ui.tsx';

/** An order's or a ticket's promises, and the SLA ledger (breaches and their compensation). */
export function Promises({ query: q }: { query: URLSearchParams }) {
  const order = q.get('order') ?? '';
  const ticket = q.get('ticket') ?? '';
  const ledger = useLoad(
    () => api<Page<Record<string, unknown>>>('GET', `/api/sla/ledger${query({ limit: 50 })}`),
    [],
  );
  const promisesPath = order
    ? `/api/orders/${enc(order)}/promises`
    : ticket
      ? `/api/tickets/${enc(ticket)}/promises`
      : '';
  const promises = useLoad(
    () =>
      promisesPath ? api<Page<Record<string, unknown>>>('GET', promisesPath) : Promise.resolve(undefined),
    [promisesPath],
  );
  return (
    <div data-page="promises">
      <h1>Promises and the SLA ledger</h1>
      <Section title="Promises">
        <div class="row">
          <LookupForm
            name="order"
            label="Order id"
            initial={order}
            onSubmit={(v) => navigate(href(['promises'], { order: v }))}
          />
          <LookupForm
            name="ticket"
            label="Ticket id"
            initial={ticket}
            onSubmit={(v) => navigate(href(['promises'], { ticket: v }))}
          />
        </div>
        {promisesPath ? <Loading loaded={promises} /> : null}
        {promises.data ? <Table testid="promises" rows={promises.data.items} empty="No promises." /> : null}
      </Section>
      <Section title="SLA ledger">
        <Loading loaded={ledger} />
        {ledger.data ? (
          <Table testid="sla-ledger" rows={ledger.data.items} empty="No breaches recorded." />
        ) : null}
      </Section>
    </div>
  );
}
