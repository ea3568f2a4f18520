import { webhookSecret } from '#adapters/secrets/webhook-secrets';
import { ingestStoreflowWebhook } from '#domain/ingestion/ingest-webhook';
import { ingestionDeps } from './_shared/ingestion.ts';
import { webhookHandler } from './_shared/webhook.ts';

/** POST /webhooks/storeflow — verify (with the 300 s replay window), dedupe, normalize, publish. */
export const handler = webhookHandler(
  'storeflow',
  ingestStoreflowWebhook({ ...ingestionDeps(), secret: webhookSecret('STOREFLOW_WEBHOOK_SECRET') }),
);
