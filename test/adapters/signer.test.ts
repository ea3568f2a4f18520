import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { AwsCredentialIdentity, FinalizeRequestMiddleware, MetadataBearer } from '@smithy/types';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reuseSigners } from '#adapters/aws/signer';

/**
 * Signers kept per client (decision 63): the same signatures as the SDK's default, one signer made
 * per auth scheme instead of one per request, and credentials still read at every signature.
 */

/** A transport that records each request's headers and answers `answer`. */
function recording(answer: string, contentType: string) {
  const headers: Array<Record<string, string>> = [];
  return {
    headers,
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => {
        headers.push({ ...request.headers });
        return {
          response: { statusCode: 200, headers: { 'content-type': contentType }, body: Buffer.from(answer) },
        };
      },
    },
  };
}

/** Counts the calls of the client's own signer factory, then applies `reuseSigners` when asked. */
function counted<T extends { config: object }>(client: T, reuse: boolean) {
  const config = client.config as { signer: (scheme?: unknown) => Promise<unknown> };
  const make = config.signer;
  const made: unknown[] = [];
  config.signer = async (scheme) => {
    const signer = await make(scheme);
    made.push(signer);
    return signer;
  };
  return { client: reuse ? reuseSigners(client) : client, made };
}

const dynamo = (credentials: DynamoDBClient['config']['credentials'] | AwsCredentialIdentity) => {
  const wire = recording('{}', 'application/x-amz-json-1.0');
  const client = new DynamoDBClient({
    region: 'eu-west-1',
    credentials: credentials as AwsCredentialIdentity,
    maxAttempts: 1,
    requestHandler: wire.requestHandler,
  });
  // The SDK's invocation id is random per request and signed: fixed here, so two clients' signatures
  // of the same request can be compared.
  client.middlewareStack.addRelativeTo(
    ((next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['amz-sdk-invocation-id'] =
        '00000000-0000-4000-8000-000000000000';
      return next(args);
    }) satisfies FinalizeRequestMiddleware<object, MetadataBearer>,
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'fixInvocationId' },
  );
  return { client, wire };
};

const put = (n: number) =>
  new PutItemCommand({ TableName: 't', Item: { pk: { S: `ORDER#${n}` }, total: { N: String(n * 100) } } });

afterEach(() => {
  vi.useRealTimers();
});

describe('reuseSigners', () => {
  it('signs exactly as the SDK does, with one signer made for many requests', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-05T10:00:00Z'));
    const keys = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' };
    const plain = dynamo(keys);
    const kept = dynamo(keys);
    const plainCount = counted(plain.client, false);
    const keptCount = counted(kept.client, true);
    for (let n = 0; n < 5; n++) {
      await plain.client.send(put(n));
      await kept.client.send(put(n));
    }
    expect(kept.wire.headers).toHaveLength(5);
    expect(kept.wire.headers.map((h) => h.authorization)).toEqual(
      plain.wire.headers.map((h) => h.authorization),
    );
    expect(kept.wire.headers[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261205\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/,
    );
    // distinct bodies, distinct signatures: the kept signer does not replay an old one
    expect(new Set(kept.wire.headers.map((h) => h.authorization)).size).toBe(5);
    expect(plainCount.made).toHaveLength(5);
    expect(keptCount.made).toHaveLength(1);
  });

  it('reads the credentials at every signature, so refreshed credentials are used', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-05T10:00:00Z'));
    let generation = 1;
    // Temporary credentials, as Lambda's role gives: refreshed by the SDK 5 minutes before expiry.
    const provider = async () => ({
      accessKeyId: `AKID${generation}`,
      secretAccessKey: `secret${generation}`,
      expiration: new Date(Date.now() + 15 * 60_000),
    });
    const { client, wire } = dynamo(provider);
    reuseSigners(client);
    await client.send(put(1));
    generation = 2;
    await client.send(put(2));
    vi.setSystemTime(new Date('2026-12-05T10:11:00Z'));
    await client.send(put(3));
    expect(wire.headers.map((h) => /Credential=(\w+)\//.exec(h.authorization ?? '')?.[1])).toEqual([
      'AKID1',
      'AKID1',
      'AKID2',
    ]);
  });

  it('keeps one signer per auth scheme, and EventBridge calls sign for events', async () => {
    const wire = recording(
      '{"FailedEntryCount":0,"Entries":[{"EventId":"e1"}]}',
      'application/x-amz-json-1.1',
    );
    const client = new EventBridgeClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: wire.requestHandler,
    });
    const { made } = counted(client, true);
    const entry = { Source: 'storeflow', DetailType: 'OrderPaid', Detail: '{}', EventBusName: 'bus' };
    await client.send(new PutEventsCommand({ Entries: [entry] }));
    await client.send(new PutEventsCommand({ Entries: [entry, entry] }));
    expect(made).toHaveLength(1);
    expect(wire.headers[1]?.authorization).toContain('/eu-west-1/events/aws4_request');
    const signer = (client.config as unknown as { signer: (scheme?: object) => Promise<unknown> }).signer;
    const a = await signer({ name: 'sigv4', signingName: 'events', signingRegion: 'eu-west-1' });
    const b = await signer({ name: 'sigv4', signingName: 'events', signingRegion: 'us-east-1' });
    expect(a).not.toBe(b);
    expect(await signer({ name: 'sigv4', signingName: 'events', signingRegion: 'us-east-1' })).toBe(b);
  });

  it('tries again after a signer could not be made', async () => {
    let calls = 0;
    const client = {
      config: {
        signer: async () => {
          calls++;
          if (calls === 1) throw new Error('region is missing');
          return { sign: async (request: unknown) => request };
        },
      },
    };
    reuseSigners(client);
    await expect(client.config.signer()).rejects.toThrow('region is missing');
    const second = await client.config.signer();
    expect(await client.config.signer()).toBe(second);
    expect(calls).toBe(2);
  });
});
