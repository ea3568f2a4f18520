import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { startNamedRun } from '#adapters/stepfunctions/sfn';
import { parseJsonPreservingBigIntegers } from '#domain/ingestion/json';
import { pricingAdmin } from '#domain/repricing/admin';
import { ValidationError } from '#domain/shared/errors';
import { randomIds } from '#domain/shared/ids';
import { type HttpResult, json, rawBody } from './_shared/http.ts';
import { operationsApi } from './_shared/operations-api.ts';
import { pricingDeps } from './_shared/pricing.ts';
import { loadConfig, requireEnv, sfnClient } from './_shared/runtime.ts';

/**
 * The pricing operations API (issue #13, behind the operator authorizer): the rules, bundles, a
 * dry run, a what-if and a SKU's price history. A SKU's pricing fields are set with
 * `PUT /api/skus/{sku}` (the restock API's route, functions/_shared/sku-api.ts).
 */
const config = loadConfig();
const admin = pricingAdmin({
  ...pricingDeps(),
  // What-if jobs: one execution of the what-if workflow per job, named after it.
  whatIfJobs: {
    newId: () => randomIds.next(),
    start: async (jobId) => {
      const arn = requireEnv(config.STATE_MACHINE_ARN, 'STATE_MACHINE_ARN');
      await startNamedRun(sfnClient(), arn, jobId, { jobId, chunk: 0 });
    },
  },
});

/** RFC 7240: `Prefer: respond-async` asks for a job (202) whatever the size. */
const respondAsync = (event: APIGatewayProxyEventV2) =>
  /(^|[,\s])respond-async([,;\s]|$)/i.test(event.headers?.prefer ?? '');

const body = (event: APIGatewayProxyEventV2, required: boolean): unknown => {
  const text = rawBody(event).toString('utf8');
  if (text.trim() === '') {
    if (required) throw ValidationError.field('(body)', 'a JSON body is required');
    return {};
  }
  return parseJsonPreservingBigIntegers(text);
};

type Route = (
  event: APIGatewayProxyEventV2,
  p: Record<string, string>,
  context: Context,
) => Promise<HttpResult>;
const routes: Record<string, Route> = {
  'PUT /api/pricing-rules': async (e) => json(200, await admin.putRules(body(e, true))),
  'GET /api/pricing-rules': async () => json(200, await admin.getRules()),
  'PUT /api/bundles/{bundleId}': async (e, p) => {
    const r = await admin.putBundle(p.bundleId, body(e, true));
    return json(r.created ? 201 : 200, r.bundle);
  },
  'GET /api/bundles/{bundleId}': async (_e, p) => json(200, await admin.getBundle(p.bundleId!)),
  'POST /api/repricing/dry-run': async (e) =>
    json(200, await admin.dryRun(body(e, false), e.queryStringParameters)),
  'POST /api/repricing/what-if': async (e, _p, context) => {
    const asked = respondAsync(e);
    // Watched while replaying: a what-if that would outlast the invocation becomes a job (202).
    const r = await admin.whatIf(body(e, true), e.queryStringParameters, {
      respondAsync: asked,
      timeLeftMs: () => context.getRemainingTimeInMillis(),
    });
    if (r.status === 200) return json(200, r.body);
    return json(202, r.body, {
      location: r.body.location,
      ...(asked ? { 'preference-applied': 'respond-async' } : {}),
    });
  },
  'GET /api/repricing/what-if/{jobId}': async (e, p) =>
    json(200, await admin.whatIfJob(p.jobId!, e.queryStringParameters)),
  'GET /api/skus/{sku}/prices': async (e, p) =>
    json(200, await admin.priceHistory(p.sku!, e.queryStringParameters)),
};

export const handler = operationsApi(async (event, context) => {
  const route = routes[event.routeKey];
  if (!route) throw ValidationError.field('path', `${event.routeKey} is not a pricing route`);
  return route(event, (event.pathParameters ?? {}) as Record<string, string>, context);
});
