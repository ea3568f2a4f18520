import { webhookSecret } from '#adapters/secrets/webhook-secrets';
import { ingestShopifyWebhook } from '#domain/ingestion/ingest-webhook';
import { ingestionDeps } from './_shared/ingestion.ts';
import { webhookHandler } from './_shared/webhook.ts';

/** POST /webhooks/shopify — verify, dedupe, normalize, publish; 200 once durably recorded. */
export const handler = webhookHandler(
  'shopify',
  ingestShopifyWebhook({ ...ingestionDeps(), secret: webhookSecret('SHOPIFY_WEBHOOK_SECRET') }),
);
