import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import { PayloadTooLargeError, ValidationError } from '../shared/errors.ts';
import type { AcceptResult, CatalogRepository, DeliveryInput } from './accept-delivery.ts';
import { parseJsonPreservingBigIntegers } from './json.ts';
import { isShopifyTopic, normalizeShopify, SHOPIFY_TOPICS } from './shopify.ts';
import { verifyShopifySignature, verifyStoreflowSignature } from './signatures.ts';
import { normalizeStoreflow, parseStoreflowEnvelope } from './storeflow.ts';

/** Largest webhook body accepted (SPEC §1: 413 over 256 KB). */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

/** A webhook as the transport hands it over: lower-cased header names and the raw bytes. */
export interface RawWebhook {
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface IngestDeps {
  readonly accept: (input: DeliveryInput) => Promise<AcceptResult>;
  /** Reads the signing secret (cached by the adapter); never logged. */
  readonly secret: () => Promise<string>;
  readonly clock: Clock;
}

function checkSize(body: Buffer): void {
  if (body.length > MAX_WEBHOOK_BYTES) {
    throw new PayloadTooLargeError(`body is ${body.length} bytes; the limit is ${MAX_WEBHOOK_BYTES}`);
  }
}

function requiredHeader(headers: RawWebhook['headers'], name: string): string {
  const value = headers[name.toLowerCase()]?.trim();
  if (!value) throw ValidationError.field(name, 'header is required');
  return value;
}

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** `POST /webhooks/shopify`: verify, parse, normalize, accept exactly once. */
export const ingestShopifyWebhook =
  (
    deps: IngestDeps & {
      readonly storeCurrency: string;
      readonly catalog: Pick<CatalogRepository, 'skuForInventoryItem'>;
    },
  ) =>
  async (webhook: RawWebhook): Promise<AcceptResult> => {
    checkSize(webhook.body);
    verifyShopifySignature(webhook.body, webhook.headers['x-shopify-hmac-sha256'], await deps.secret());
    const topic = requiredHeader(webhook.headers, 'X-Shopify-Topic');
    const deliveryId = requiredHeader(webhook.headers, 'X-Shopify-Webhook-Id');
    const shopDomain = webhook.headers['x-shopify-shop-domain']?.trim() || null;
    if (!isShopifyTopic(topic)) {
      throw ValidationError.field(
        'X-Shopify-Topic',
        `unsupported topic "${topic}"; expected one of ${SHOPIFY_TOPICS.join(', ')}`,
      );
    }
    const payload = parseJsonPreservingBigIntegers(webhook.body.toString('utf8'));
    const normalized = await normalizeShopify(topic, payload, {
      shopDomain,
      storeCurrency: deps.storeCurrency,
      skuForInventoryItem: (id) => deps.catalog.skuForInventoryItem(id),
    });
    return deps.accept({
      source: 'shopify',
      deliveryId,
      name: topic,
      origin: shopDomain ? `shopify:${shopDomain}` : 'shopify',
      bodySha256: sha256(webhook.body),
      bodyBytes: webhook.body.length,
      events: normalized.events,
      extraKeys: normalized.extraKeys,
    });
  };

/** `POST /webhooks/storeflow`: verify with the replay window, parse, normalize, accept exactly once. */
export const ingestStoreflowWebhook =
  (deps: IngestDeps) =>
  async (webhook: RawWebhook): Promise<AcceptResult> => {
    checkSize(webhook.body);
    verifyStoreflowSignature(
      webhook.body,
      webhook.headers['storeflow-signature'],
      await deps.secret(),
      deps.clock.now(),
    );
    const envelope = parseStoreflowEnvelope(parseJsonPreservingBigIntegers(webhook.body.toString('utf8')));
    const events = normalizeStoreflow(envelope);
    return deps.accept({
      source: 'storeflow',
      deliveryId: envelope.id,
      name: envelope.type,
      origin: 'storeflow',
      bodySha256: sha256(webhook.body),
      bodyBytes: webhook.body.length,
      events,
    });
  };
