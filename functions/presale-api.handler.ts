import { DynamoPresaleStore } from '#adapters/dynamodb/presale-store';
import { parseJsonPreservingBigIntegers } from '#domain/ingestion/json';
import { presaleAdmin } from '#domain/presale/admin';
import { ValidationError } from '#domain/shared/errors';
import { parseId } from '#domain/shared/schemas';
import { json, rawBody } from './_shared/http.ts';
import { operationsApi } from './_shared/operations-api.ts';
import { clock, db, loadConfig, logger } from './_shared/runtime.ts';

/**
 * The presale operations API (behind the operator authorizer):
 * `PUT /api/presales/{presaleId}`, `GET /api/presales/{presaleId}`, `GET /api/presale-orders/{orderId}`.
 */
const admin = presaleAdmin({ store: new DynamoPresaleStore(db(), loadConfig().TABLE_NAME), clock });

export const handler = operationsApi(async (event) => {
  const { presaleId, orderId } = event.pathParameters ?? {};
  const method = event.requestContext.http.method;
  if (presaleId !== undefined && method === 'PUT') {
    const text = rawBody(event).toString('utf8');
    if (text.trim() === '') throw ValidationError.field('(body)', 'a JSON presale is required');
    const result = await admin.put(presaleId, parseJsonPreservingBigIntegers(text));
    logger.info(result.created ? 'presale created' : 'presale updated', { presaleId });
    return json(result.created ? 201 : 200, result.presale);
  }
  if (presaleId !== undefined && method === 'GET') {
    return json(200, await admin.get(parseId(presaleId, 'presaleId')));
  }
  if (orderId !== undefined && method === 'GET') {
    return json(200, await admin.getOrder(parseId(orderId, 'orderId')));
  }
  throw ValidationError.field(
    'path',
    'expected PUT or GET /api/presales/{presaleId}, or GET /api/presale-orders/{orderId}',
  );
});
