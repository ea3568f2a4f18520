import { parseJsonPreservingBigIntegers } from '#domain/ingestion/json';
import { metricsQueries } from '#domain/metrics/queries';
import { ValidationError } from '#domain/shared/errors';
import { json, rawBody } from './_shared/http.ts';
import { metricsDeps } from './_shared/metrics.ts';
import { operationsApi } from './_shared/operations-api.ts';

/**
 * The metrics API (issue #16, behind the operator authorizer): the funnel, the GMV decomposition,
 * channels and their ROI, sell-through and cohort retention.
 */
const deps = metricsDeps();
const metrics = metricsQueries({ ...deps, reader: deps.store, writer: deps.store });

export const handler = operationsApi(async (event) => {
  const q = event.queryStringParameters;
  switch (event.routeKey) {
    case 'GET /api/metrics/funnel':
      return json(200, await metrics.funnel(q));
    case 'GET /api/metrics/gmv':
      return json(200, await metrics.gmv(q));
    case 'GET /api/metrics/channels':
      return json(200, await metrics.channels(q));
    case 'GET /api/metrics/sell-through':
      return json(200, await metrics.sellThrough(q));
    case 'GET /api/metrics/retention':
      return json(200, await metrics.retention(q));
    case 'PUT /api/channels/{channelId}': {
      const text = rawBody(event).toString('utf8');
      if (text.trim() === '')
        throw ValidationError.field('(body)', 'a JSON channel { "name", "spend" } is required');
      const result = await metrics.putChannel(
        event.pathParameters?.channelId,
        parseJsonPreservingBigIntegers(text),
      );
      return json(result.created ? 201 : 200, result.channel);
    }
    default:
      throw ValidationError.field('path', `${event.routeKey} is not a metrics route`);
  }
});
