import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonPreservingBigIntegers } from '#domain/ingestion/json';
import {
  signShopify,
  signStoreflow,
  verifyShopifySignature,
  verifyStoreflowSignature,
} from '#domain/ingestion/signatures';
import { SignatureError } from '#domain/shared/errors';

const secret = 'topsecret';
const body = Buffer.from('{"id":1}');

describe('Shopify signature', () => {
  it('accepts the base64 HMAC-SHA256 of the raw body', () => {
    // Known vector: HMAC-SHA256("topsecret", '{"id":1}')
    expect(() => verifyShopifySignature(body, signShopify(body, secret), secret)).not.toThrow();
  });

  it('refuses a missing, malformed, forged or truncated signature', () => {
    expect(() => verifyShopifySignature(body, undefined, secret)).toThrow(/missing/);
    expect(() => verifyShopifySignature(body, 'not base64!', secret)).toThrow(/malformed/);
    expect(() => verifyShopifySignature(body, signShopify(body, 'other'), secret)).toThrow(SignatureError);
    expect(() => verifyShopifySignature(body, signShopify(body, secret).slice(0, 20), secret)).toThrow(
      SignatureError,
    );
  });

  it('refuses any change to the body', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(() => verifyShopifySignature(Buffer.from(b), signShopify(a, secret), secret)).toThrow(
          SignatureError,
        );
      }),
    );
  });
});

describe('storeflow signature', () => {
  const now = new Date('2026-11-24T00:00:00Z');
  const t = now.getTime() / 1000;

  it('accepts t=<unix>,v1=<hex> over "<t>.<body>" inside the window', () => {
    expect(verifyStoreflowSignature(body, signStoreflow(body, secret, t), secret, now)).toEqual({
      timestamp: t,
    });
    expect(() =>
      verifyStoreflowSignature(body, signStoreflow(body, secret, t - 300), secret, now),
    ).not.toThrow();
  });

  it('accepts any one of several v1 values (secret rotation)', () => {
    const good = signStoreflow(body, secret, t);
    const other = signStoreflow(body, 'old-secret', t).split(',')[1];
    expect(() => verifyStoreflowSignature(body, `${good},${other}`, secret, now)).not.toThrow();
  });

  it('refuses outside the 300 s replay window, in either direction', () => {
    expect(() => verifyStoreflowSignature(body, signStoreflow(body, secret, t - 301), secret, now)).toThrow(
      /replay window/,
    );
    expect(() => verifyStoreflowSignature(body, signStoreflow(body, secret, t + 301), secret, now)).toThrow(
      /replay window/,
    );
  });

  it('refuses a timestamp that was changed after signing', () => {
    const [, v1] = signStoreflow(body, secret, t - 1000).split(',');
    expect(() => verifyStoreflowSignature(body, `t=${t},${v1}`, secret, now)).toThrow(/does not match/);
  });

  it('refuses missing and malformed headers', () => {
    expect(() => verifyStoreflowSignature(body, undefined, secret, now)).toThrow(/missing/);
    expect(() => verifyStoreflowSignature(body, 'v1=abc', secret, now)).toThrow(/malformed/);
    expect(() => verifyStoreflowSignature(body, `t=${t}`, secret, now)).toThrow(/malformed/);
  });
});

describe('JSON with 64-bit ids', () => {
  it('keeps integers beyond 2^53 exact as strings and leaves everything else alone', () => {
    const parsed = parseJsonPreservingBigIntegers(
      '{"id": 820982911946154508, "small": 450789469, "price": 19.99, "note": "id 820982911946154508", "neg": -9007199254740993, "exp": 1e21}',
    ) as Record<string, unknown>;
    expect(parsed).toEqual({
      id: '820982911946154508',
      small: 450789469,
      price: 19.99,
      note: 'id 820982911946154508',
      neg: '-9007199254740993',
      exp: 1e21,
    });
  });

  it('handles escaped quotes inside strings', () => {
    expect(parseJsonPreservingBigIntegers('{"a":"x\\"1234567890123456789","b":1234567890123456789}')).toEqual(
      {
        a: 'x"1234567890123456789',
        b: '1234567890123456789',
      },
    );
  });

  it('agrees with JSON.parse on any JSON without big integers', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        fc.pre(!JSON.stringify(value).match(/\d{16,}/));
        const text = JSON.stringify(value);
        expect(parseJsonPreservingBigIntegers(text)).toEqual(JSON.parse(text));
      }),
    );
  });
});
