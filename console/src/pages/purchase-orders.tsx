import { api, enc, type Page, query } from '../api.ts';
import { href, navigate } from '../router.ts';
import { ActionButton, Fields, Loading, Section, StatusBadge, Table, useLoad } from '../ui.tsx';
import { RunLink } from './runs.tsx';

const STATUSES = ['AWAITING_APPROVAL', 'OPEN', 'APPROVED', 'REJECTED', 'EXPIRED', 'RECEIVED', 'CANCELLED'];
type Po = Record<string, unknown> & { poId?: string; id?: string; status?: string };
const poIdOf = (po: Po) => String(po.poId ?? po.id ?? '');

/**
 * Purchase orders (GET /api/purchase-orders, filter by status) with Approve / Reject for those
 * waiting: the decision resumes the approval run parked on its task token.
 */
export function PurchaseOrders({ query: q }: { query: URLSearchParams }) {
  const status = q.get('status') ?? '';
  const po = q.get('po') ?? '';
  const list = useLoad(
    () => api<Page<Po>>('GET', `/api/purchase-orders${query({ status, limit: 50 })}`),
    [status],
  );
  const detail = useLoad(
    () => (po ? api<Po>('GET', `/api/purchase-orders/${enc(po)}`) : Promise.resolve(undefined)),
    [po],
  );
  const decide = (id: string, decision: 'approve' | 'reject') =>
    api('POST', `/api/purchase-orders/${enc(id)}/${decision}`, { by: 'console' }).then(() => {
      list.reload();
      detail.reload();
    });
  const actions = (row: Po) =>
    row.status === 'AWAITING_APPROVAL' ? (
      <>
        <ActionButton label="Approve" kind="primary" action={() => decide(poIdOf(row), 'approve')} />
        <ActionButton label="Reject" kind="danger" action={() => decide(poIdOf(row), 'reject')} />
      </>
    ) : null;
  return (
    <div data-page="purchase-orders">
      <h1>Purchase orders</h1>
      {po ? (
        <Section title={`Purchase order ${po}`} actions={detail.data ? actions(detail.data) : null}>
          <Loading loaded={detail} />
          {detail.data ? (
            <>
              <Fields record={detail.data} />
              <p>
                <RunLink id={`PurchaseOrderApproval:${po}`} label="Its approval run →" />
              </p>
            </>
          ) : null}
        </Section>
      ) : null}
      <Section
        title="All purchase orders"
        actions={
          <select
            name="status"
            value={status}
            onChange={(e) =>
              navigate(href(['purchase-orders'], { status: (e.target as HTMLSelectElement).value, po }))
            }
          >
            <option value="">any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        }
      >
        <Loading loaded={list} />
        {list.data ? (
          <Table
            testid="purchase-orders"
            rows={list.data.items}
            columns={['poId', 'status', 'sku', 'supplierId', 'quantity', 'total', 'createdAt']}
            rowKey={(r) => poIdOf(r)}
            render={{
              poId: (r) => <a href={href(['purchase-orders'], { po: poIdOf(r), status })}>{poIdOf(r)}</a>,
              status: (r) => <StatusBadge status={String(r.status)} />,
            }}
            extra={actions}
            empty="No purchase orders."
          />
        ) : null}
      </Section>
    </div>
  );
}
