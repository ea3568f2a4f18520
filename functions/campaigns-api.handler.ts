import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoCampaignBudget } from '#adapters/dynamodb/campaign-budget';
import { coalescingReads } from '#adapters/dynamodb/coalescing-reads';
import { DynamoCustomerPerks } from '#adapters/dynamodb/member-perks';
import { StepFunctionsTaskCallbacks, startNamedRun } from '#adapters/stepfunctions/sfn';
import { campaignAdmin } from '#domain/campaigns/admin';
import { ValidationError } from '#domain/shared/errors';
import { campaignDeps } from './_shared/campaigns.ts';
import { type HttpResult, json, rawBody } from './_shared/http.ts';
import { operationsApi } from './_shared/operations-api.ts';
import { clock, db, loadConfig, requireEnv, sfnClient } from './_shared/runtime.ts';

/**
 * Campaigns, A/B tests and the checkout quote (issue #17, docs/rules/campaigns.md), behind the
 * operator authorizer. A PUT starts the launch run (or the experiment's run), named by its id.
 */
const launchArn = requireEnv(process.env.LAUNCH_STATE_MACHINE_ARN, 'LAUNCH_STATE_MACHINE_ARN');
const experimentArn = requireEnv(process.env.EXPERIMENT_STATE_MACHINE_ARN, 'EXPERIMENT_STATE_MACHINE_ARN');
// Key reads sent together go out as one BatchGetItem (decision 38): a quote's first round (the
// cart's prices and catalog items, the identity link, the member and the member policy, the
// coupons) is one call beside the live campaigns' Query, its second (bundles, budgets) one more.
const reads = coalescingReads(db());
// The member tier, new-user perks and the coupon ledger (issue #18), through their ports.
const members = new DynamoCustomerPerks(reads, loadConfig().TABLE_NAME, clock);
const admin = campaignAdmin({
  ...campaignDeps(reads),
  budget: new DynamoCampaignBudget(reads, loadConfig().TABLE_NAME),
  perks: members,
  coupons: members,
  callbacks: new StepFunctionsTaskCallbacks(sfnClient()),
  runs: {
    launch: { start: async (name, input) => void (await startNamedRun(sfnClient(), launchArn, name, input)) },
    experiment: {
      start: async (name, input) => void (await startNamedRun(sfnClient(), experimentArn, name, input)),
    },
  },
});

const body = (event: APIGatewayProxyEventV2, required: boolean): unknown => {
  const text = rawBody(event).toString('utf8');
  if (text.trim() === '') {
    if (required) throw ValidationError.field('(body)', 'a JSON body is required');
    return {};
  }
  try {
    return JSON.parse(text);
  } catch {
    throw ValidationError.field('(body)', 'must be JSON');
  }
};

type Route = (event: APIGatewayProxyEventV2, p: Record<string, string>) => Promise<HttpResult>;
const routes: Record<string, Route> = {
  'PUT /api/campaigns/{campaignId}': async (e, p) => {
    const r = await admin.put(p.campaignId!, body(e, true));
    return json(r.created ? 201 : 200, r.campaign);
  },
  'GET /api/campaigns/{campaignId}': async (_e, p) => json(200, await admin.get(p.campaignId!)),
  'POST /api/campaigns/{campaignId}/approve': async (e, p) =>
    json(200, await admin.approve(p.campaignId!, body(e, true))),
  'POST /api/campaigns/{campaignId}/abort': async (e, p) =>
    json(200, await admin.abort(p.campaignId!, body(e, true))),
  'GET /api/campaigns/{campaignId}/assignment': async (e, p) =>
    json(200, await admin.assignment(p.campaignId!, e.queryStringParameters)),
  'PUT /api/experiments/{experimentId}': async (e, p) => {
    const r = await admin.putExperiment(p.experimentId!, body(e, true));
    return json(r.created ? 201 : 200, r.experiment);
  },
  'GET /api/experiments/{experimentId}': async (_e, p) =>
    json(200, await admin.getExperiment(p.experimentId!)),
  'POST /api/quote': async (e) => json(200, await admin.quote(body(e, true))),
};

export const handler = operationsApi(async (event) => {
  const route = routes[event.routeKey];
  if (!route) throw ValidationError.field('path', `${event.routeKey} is not a campaign route`);
  return route(event, (event.pathParameters ?? {}) as Record<string, string>);
});
