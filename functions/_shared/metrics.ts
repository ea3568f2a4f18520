import { DynamoMetricsStore } from '#adapters/dynamodb/metrics-store';
import { DEFAULT_EVENTS_PER_SECOND } from '#domain/metrics/access';
import { clock, db, loadConfig, requireEnv } from './runtime.ts';

/** The metrics feature's wiring: the single table, the store's time zone and currency, the clock. */
export function metricsDeps(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(env);
  const store = new DynamoMetricsStore(db(), config.TABLE_NAME);
  return {
    store,
    clock,
    timeZone: requireEnv(env.STORE_TIME_ZONE, 'STORE_TIME_ZONE'),
    currency: config.STORE_CURRENCY,
    origins: (env.STOREFRONT_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    eventsPerSecond: Number(env.STOREFRONT_EVENTS_PER_SECOND ?? DEFAULT_EVENTS_PER_SECOND),
  };
}
