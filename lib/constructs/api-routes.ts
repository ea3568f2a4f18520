import { Validations } from 'aws-cdk-lib';
import {
  type HttpApi,
  HttpMethod,
  type HttpRoute,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';

/** The routes of the HTTP API, in one place (tests and docs read them from here). */
export const ROUTES = {
  shopifyWebhook: 'POST /webhooks/shopify',
  storeflowWebhook: 'POST /webhooks/storeflow',
  orderTimeline: 'GET /api/orders/{orderId}/timeline',
  skuTimeline: 'GET /api/skus/{sku}/timeline',
  ticketTimeline: 'GET /api/tickets/{ticketId}/timeline',
  putPresale: 'PUT /api/presales/{presaleId}',
  getPresale: 'GET /api/presales/{presaleId}',
  getPresaleOrder: 'GET /api/presale-orders/{orderId}',
  putSupplier: 'PUT /api/suppliers/{supplierId}',
  getSupplier: 'GET /api/suppliers/{supplierId}',
  listSuppliers: 'GET /api/suppliers',
  putSku: 'PUT /api/skus/{sku}',
  getSku: 'GET /api/skus/{sku}',
  listSkus: 'GET /api/skus',
  checkSku: 'POST /api/skus/{sku}/check',
  putRestockPolicy: 'PUT /api/restock-policy',
  getRestockPolicy: 'GET /api/restock-policy',
  listPurchaseOrders: 'GET /api/purchase-orders',
  getPurchaseOrder: 'GET /api/purchase-orders/{poId}',
  approvePurchaseOrder: 'POST /api/purchase-orders/{poId}/approve',
  rejectPurchaseOrder: 'POST /api/purchase-orders/{poId}/reject',
  receivePurchaseOrder: 'POST /api/purchase-orders/{poId}/receive',
  putPromisePolicy: 'PUT /api/promise-policies/{policyId}',
  listPromisePolicies: 'GET /api/promise-policies',
  orderPromises: 'GET /api/orders/{orderId}/promises',
  ticketPromises: 'GET /api/tickets/{ticketId}/promises',
  slaLedger: 'GET /api/sla/ledger',
  putPricingRules: 'PUT /api/pricing-rules',
  getPricingRules: 'GET /api/pricing-rules',
  putBundle: 'PUT /api/bundles/{bundleId}',
  getBundle: 'GET /api/bundles/{bundleId}',
  repricingDryRun: 'POST /api/repricing/dry-run',
  repricingWhatIf: 'POST /api/repricing/what-if',
  repricingWhatIfJob: 'GET /api/repricing/what-if/{jobId}',
  skuPrices: 'GET /api/skus/{sku}/prices',
  listRuns: 'GET /api/runs',
  getRun: 'GET /api/runs/{id}',
  stopRun: 'POST /api/runs/{id}/stop',
  redriveRun: 'POST /api/runs/{id}/redrive',
  listDeadLetters: 'GET /api/dead-letters',
  deadLetterMessages: 'GET /api/dead-letters/{name}/messages',
  redriveDeadLetters: 'POST /api/dead-letters/{name}/redrive',
  replayDeadLetter: 'POST /api/dead-letters/{name}/messages/{id}/replay',
  overview: 'GET /api/overview',
  putCampaign: 'PUT /api/campaigns/{campaignId}',
  getCampaign: 'GET /api/campaigns/{campaignId}',
  approveCampaign: 'POST /api/campaigns/{campaignId}/approve',
  abortCampaign: 'POST /api/campaigns/{campaignId}/abort',
  campaignAssignment: 'GET /api/campaigns/{campaignId}/assignment',
  campaignTimeline: 'GET /api/campaigns/{campaignId}/timeline',
  putExperiment: 'PUT /api/experiments/{experimentId}',
  getExperiment: 'GET /api/experiments/{experimentId}',
  experimentTimeline: 'GET /api/experiments/{experimentId}/timeline',
  quote: 'POST /api/quote',
  storefrontEvents: 'POST /events/storefront',
  storefrontPreflight: 'OPTIONS /events/storefront',
  metricsFunnel: 'GET /api/metrics/funnel',
  metricsGmv: 'GET /api/metrics/gmv',
  metricsChannels: 'GET /api/metrics/channels',
  metricsSellThrough: 'GET /api/metrics/sell-through',
  metricsRetention: 'GET /api/metrics/retention',
  putChannel: 'PUT /api/channels/{channelId}',
  putMemberPolicy: 'PUT /api/member-policy',
  getMemberPolicy: 'GET /api/member-policy',
  getCustomer: 'GET /api/customers/{customerId}',
  customerCoupons: 'GET /api/customers/{customerId}/coupons',
  customerReferralCode: 'POST /api/customers/{customerId}/referral-code',
  customerTimeline: 'GET /api/customers/{customerId}/timeline',
  redeemCoupon: 'POST /api/coupons/{code}/redeem',
  referralLeaderboard: 'GET /api/referrals/leaderboard',
} as const;

/**
 * Adds a feature's routes to the one HTTP API: webhooks open (each request is authenticated by its
 * signature in the handler, acknowledged for cdk-nag with that reason), the operations API behind
 * the operator authorizer (IAM, or JWT when configured).
 */
export class ApiRoutes {
  constructor(
    readonly api: HttpApi,
    private readonly operatorAuthorizer: IHttpRouteAuthorizer,
  ) {}

  /** A platform webhook: no authorizer, the handler verifies the HMAC signature. */
  webhook(routeKey: string, handler: IFunction): HttpRoute[] {
    const routes = this.#add(routeKey, handler);
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Platform webhooks cannot carry AWS credentials or a JWT; the handler authenticates each request by its HMAC-SHA256 signature (constant-time) before anything is stored.',
      });
    }
    return routes;
  }

  /** The storefront events endpoint: no authorizer, the handler checks the store's write key. */
  storefront(routeKey: string, handler: IFunction): HttpRoute[] {
    const routes = this.#add(routeKey, handler);
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Browsers send storefront events with the store’s write key (X-Storeflow-Write-Key, meant to ship in a storefront’s JavaScript and only able to add storefront events); the handler compares it in constant time and rate-limits per key before anything is stored. CORS preflights carry no credentials by definition.',
      });
    }
    return routes;
  }

  /** An operations API route, behind the operator authorizer. */
  operator(routeKey: string, handler: IFunction): HttpRoute[] {
    return this.#add(routeKey, handler, this.operatorAuthorizer);
  }

  /**
   * One integration per function, shared by all its routes: CloudFormation's 500-resource stack
   * limit counted an integration and a Lambda permission per route (70 routes). The permission lets
   * this API (any of its routes) invoke the function, since one permission serves every route the
   * integration is on.
   */
  readonly #integrations = new Map<IFunction, HttpLambdaIntegration>();

  #add(routeKey: string, handler: IFunction, authorizer?: IHttpRouteAuthorizer): HttpRoute[] {
    const [method, path] = routeKey.split(' ') as [keyof typeof HttpMethod, string];
    let integration = this.#integrations.get(handler);
    if (!integration) {
      const integrationId = `${handler.node.scope?.node.id ?? handler.node.id}Integration`;
      integration = new HttpLambdaIntegration(integrationId, handler, { scopePermissionToRoute: false });
      this.#integrations.set(handler, integration);
    }
    return this.api.addRoutes({ path, methods: [HttpMethod[method]], integration, authorizer });
  }
}
