import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoSkuPricingStore } from '#adapters/dynamodb/sku-pricing-store';
import { StepFunctionsTaskCallbacks } from '#adapters/stepfunctions/sfn';
import { parseJsonPreservingBigIntegers } from '#domain/ingestion/json';
import { skuPricingAdmin } from '#domain/repricing/sku-pricing';
import { restockAdmin } from '#domain/restock/admin';
import { purchaseOrderApproval } from '#domain/restock/approval';
import { ValidationError } from '#domain/shared/errors';
import { type HttpResult, json, lowerCaseHeaders, rawBody } from './_shared/http.ts';
import { operationsApi } from './_shared/operations-api.ts';
import { restockDeps } from './_shared/restock.ts';
import { db, loadConfig, sfnClient } from './_shared/runtime.ts';
import { skuRoutes } from './_shared/sku-api.ts';

/**
 * The restock operations API (issue #11, behind the operator authorizer): suppliers, SKUs, the
 * policy, purchase orders and their approval and receipt. Routes are in lib/constructs/api-routes.ts.
 * A SKU's routes also carry its pricing fields (issue #13; functions/_shared/sku-api.ts).
 */
const deps = restockDeps();
const admin = restockAdmin(deps);
const skus = skuRoutes(
  admin,
  skuPricingAdmin({ ...deps, store: new DynamoSkuPricingStore(db(), loadConfig().TABLE_NAME) }),
);
const approval = purchaseOrderApproval({ ...deps, callbacks: new StepFunctionsTaskCallbacks(sfnClient()) });

const body = (event: APIGatewayProxyEventV2, required: boolean): unknown => {
  const text = rawBody(event).toString('utf8');
  if (text.trim() === '') {
    if (required) throw ValidationError.field('(body)', 'a JSON body is required');
    return {};
  }
  return parseJsonPreservingBigIntegers(text);
};

type Route = (event: APIGatewayProxyEventV2, p: Record<string, string>) => Promise<HttpResult>;
const routes: Record<string, Route> = {
  'PUT /api/suppliers/{supplierId}': async (e, p) => {
    const r = await admin.putSupplier(p.supplierId, body(e, true));
    return json(r.created ? 201 : 200, r.supplier);
  },
  'GET /api/suppliers/{supplierId}': async (_e, p) => json(200, await admin.getSupplier(p.supplierId!)),
  'GET /api/suppliers': async () => json(200, await admin.listSuppliers()),
  'PUT /api/skus/{sku}': async (e, p) => skus.put(p.sku, body(e, true)),
  'GET /api/skus/{sku}': async (_e, p) => skus.get(p.sku!),
  'GET /api/skus': async (e) => json(200, await admin.listSkus(e.queryStringParameters)),
  'POST /api/skus/{sku}/check': async (_e, p) => json(200, await admin.checkSku(p.sku!)),
  'PUT /api/restock-policy': async (e) => json(200, await admin.putPolicy(body(e, true))),
  'GET /api/restock-policy': async () => json(200, await admin.getPolicy()),
  'GET /api/purchase-orders': async (e) => json(200, await admin.listPurchaseOrders(e.queryStringParameters)),
  'GET /api/purchase-orders/{poId}': async (_e, p) => json(200, await admin.getPurchaseOrder(p.poId!)),
  'POST /api/purchase-orders/{poId}/approve': async (e, p) =>
    json(200, await approval.approve(p.poId!, body(e, true))),
  'POST /api/purchase-orders/{poId}/reject': async (e, p) =>
    json(200, await approval.reject(p.poId!, body(e, true))),
  'POST /api/purchase-orders/{poId}/receive': async (e, p) =>
    json(200, await approval.receive(p.poId!, body(e, true), lowerCaseHeaders(e.headers)['idempotency-key'])),
};

export const handler = operationsApi(async (event) => {
  const route = routes[event.routeKey];
  if (!route) throw ValidationError.field('path', `${event.routeKey} is not a restock route`);
  return route(event, (event.pathParameters ?? {}) as Record<string, string>);
});
