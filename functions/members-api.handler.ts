import { ValidationError } from '#domain/shared/errors';
import { json, rawBody } from './_shared/http.ts';
import { membersUseCases } from './_shared/members.ts';
import { operationsApi } from './_shared/operations-api.ts';

/**
 * The members operations API (issue #18, behind the operator authorizer): the member policy, a
 * customer's tier and receipts, coupons and referral code, coupon redemption, the leaderboards.
 */
const ledger = membersUseCases();

const body = (event: Parameters<Parameters<typeof operationsApi>[0]>[0], required: boolean) => {
  const text = rawBody(event).toString('utf8');
  if (text.trim() === '') {
    if (required) throw ValidationError.field('(body)', 'a JSON body is required');
    return {};
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw ValidationError.field('(body)', 'is not valid JSON');
  }
};

export const handler = operationsApi(async (event) => {
  const p = event.pathParameters ?? {};
  switch (event.routeKey) {
    case 'PUT /api/member-policy': {
      const result = await ledger.putPolicy(body(event, true));
      return json(result.created ? 201 : 200, result.policy);
    }
    case 'GET /api/member-policy':
      return json(200, await ledger.policy());
    case 'GET /api/customers/{customerId}':
      return json(200, await ledger.customer(p.customerId));
    case 'GET /api/customers/{customerId}/coupons':
      return json(200, await ledger.coupons(p.customerId));
    case 'POST /api/customers/{customerId}/referral-code': {
      const result = await ledger.referralCode(p.customerId);
      return json(result.created ? 201 : 200, result);
    }
    case 'POST /api/coupons/{code}/redeem':
      return json(200, await ledger.redeem(p.code, body(event, true)));
    case 'GET /api/referrals/leaderboard':
      return json(200, await ledger.leaderboard(event.queryStringParameters));
    default:
      throw ValidationError.field('path', `${event.routeKey} is not a members route`);
  }
});
