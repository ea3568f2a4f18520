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

/** Longest platform delivery id we keep (Shopify's are UUIDs, 36 characters). */
export const MAX_DELIVERY_ID_LENGTH = 128;
/** A hostname is at most 253 characters. */
const MAX_SHOP_DOMAIN_LENGTH = 253;

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
    throw PayloadTooLargeError.field(
      '(body)',
      `is ${body.length} bytes; the limit is ${MAX_WEBHOOK_BYTES} bytes (256 KB)`,
    );
  }
}

function requiredHeader(headers: RawWebhook['headers'], name: string): string {
  const value = headers[name.toLowerCase()]?.trim();
  if (!value) throw ValidationError.field(name, 'header is required');
  return value;
}

/**
 * A platform delivery id from a header: one value (API Gateway and Node join repeated headers with
 * commas, which must not make up a new id), printable ASCII, bounded.
 */
function deliveryIdHeader(headers: RawWebhook['headers'], name: string): string {
  const value = requiredHeader(headers, name);
  if (value.includes(',')) {
    throw ValidationError.field(name, 'must be a single delivery id; the header was sent more than once');
  }
  if (value.length > MAX_DELIVERY_ID_LENGTH) {
    throw ValidationError.field(name, `must be at most ${MAX_DELIVERY_ID_LENGTH} characters`);
  }
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw ValidationError.field(name, 'must be printable ASCII without spaces');
  }
  return value;
}

function shopDomainHeader(headers: RawWebhook['headers']): string | null {
  const value = headers['x-shopify-shop-domain']?.trim();
  if (!value) return null;
  if (value.length > MAX_SHOP_DOMAIN_LENGTH || !/^[a-z0-9.-]+$/i.test(value)) {
    throw ValidationError.field(
      'X-Shopify-Shop-Domain',
      `must be a hostname such as demo.myshopify.com (at most ${MAX_SHOP_DOMAIN_LENGTH} characters)`,
    );
  }
  return value.toLowerCase();
}

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** `POST /webhooks/shopify`: verify, parse, normalize, accept exactly once per business fact. */
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
    const deliveryId = deliveryIdHeader(webhook.headers, 'X-Shopify-Webhook-Id');
    const shopDomain = shopDomainHeader(webhook.headers);
    if (!isShopifyTopic(topic)) {
      throw ValidationError.field(
        'X-Shopify-Topic',
        `unsupported topic "${topic.slice(0, 64)}"; expected one of ${SHOPIFY_TOPICS.join(', ')}`,
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
      factKey: normalized.factKey,
      name: topic,
      origin: shopDomain ? `shopify:${shopDomain}` : 'shopify',
      bodySha256: sha256(webhook.body),
      bodyBytes: webhook.body.length,
      events: normalized.events,
      extraKeys: normalized.extraKeys,
      sizeField: normalized.sizeField,
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
      // The envelope id is signed with the body: it is both the delivery and the fact.
      deliveryId: envelope.id,
      factKey: envelope.id,
      name: envelope.type,
      origin: 'storeflow',
      bodySha256: sha256(webhook.body),
      bodyBytes: webhook.body.length,
      events,
      sizeField: 'data',
    });
  };
