import { createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../shared/errors.ts';

/** Compares two byte strings in constant time (for equal lengths; a length mismatch fails fast). */
function constantTimeEqual(expected: Buffer, actual: Buffer): boolean {
  if (expected.length !== actual.length) {
    // Still spend the comparison so timing does not reveal where the mismatch is.
    timingSafeEqual(expected, expected);
    return false;
  }
  return timingSafeEqual(expected, actual);
}

/** Shopify: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the raw body with the app secret. */
export function verifyShopifySignature(rawBody: Buffer, header: string | undefined, secret: string): void {
  if (!header) throw new SignatureError('missing X-Shopify-Hmac-Sha256 header');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(header.trim()))
    throw new SignatureError('malformed X-Shopify-Hmac-Sha256 header');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  if (!constantTimeEqual(expected, Buffer.from(header.trim(), 'base64'))) {
    throw new SignatureError('X-Shopify-Hmac-Sha256 does not match the body');
  }
}

export function signShopify(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/** The storeflow format's replay window: |now − t| must not exceed it. */
export const STOREFLOW_REPLAY_WINDOW_SECONDS = 300;

/**
 * storeflow: `Storeflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * Several v1 values are accepted (secret rotation); any match verifies.
 */
export function verifyStoreflowSignature(
  rawBody: Buffer,
  header: string | undefined,
  secret: string,
  now: Date,
  windowSeconds = STOREFLOW_REPLAY_WINDOW_SECONDS,
): { timestamp: number } {
  if (!header) throw new SignatureError('missing Storeflow-Signature header');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 0) continue;
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new SignatureError('malformed Storeflow-Signature header: expected t=<unix seconds>,v1=<hex>');
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  const matched = signatures
    .map((s) => constantTimeEqual(expected, Buffer.from(s, 'hex')))
    .reduce((a, b) => a || b, false);
  if (!matched) throw new SignatureError('Storeflow-Signature does not match the body');
  const skew = Math.abs(now.getTime() / 1000 - timestamp);
  if (skew > windowSeconds) {
    throw new SignatureError(`Storeflow-Signature timestamp is outside the ${windowSeconds} s replay window`);
  }
  return { timestamp };
}

export function signStoreflow(rawBody: Buffer | string, secret: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.`).update(rawBody).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}
