import { parseJsonPreservingBigIntegers } from '#domain/ingestion/json';
import { ValidationError } from '#domain/shared/errors';
import { json, rawBody } from './_shared/http.ts';
import { operationsApi } from './_shared/operations-api.ts';
import { sla } from './_shared/sla.ts';

/**
 * The SLA operations API (issue #12, behind the operator authorizer): the promise catalogue, an
 * order's or a ticket's promises, and the SLA ledger.
 */
const promises = sla();

export const handler = operationsApi(async (event) => {
  const p = event.pathParameters ?? {};
  switch (event.routeKey) {
    case 'PUT /api/promise-policies/{policyId}': {
      const text = rawBody(event).toString('utf8');
      if (text.trim() === '') throw ValidationError.field('(body)', 'a JSON promise policy is required');
      const result = await promises.putPolicy(p.policyId, parseJsonPreservingBigIntegers(text));
      return json(result.created ? 201 : 200, result.policy);
    }
    case 'GET /api/promise-policies':
      return json(200, { items: await promises.policies() });
    case 'GET /api/orders/{orderId}/promises':
      return json(200, { items: await promises.promisesOf('order', p.orderId ?? '') });
    case 'GET /api/tickets/{ticketId}/promises':
      return json(200, { items: await promises.promisesOf('ticket', p.ticketId ?? '') });
    case 'GET /api/sla/ledger':
      return json(200, await promises.ledger(event.queryStringParameters));
    default:
      throw ValidationError.field('path', `${event.routeKey} is not an SLA route`);
  }
});
