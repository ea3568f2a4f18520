import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { lambdaClient, sqsClient } from '../../functions/_shared/operations.ts';
import { CACHED_MIDDLEWARE, db, eventBridgeClient, sfnClient } from '../../functions/_shared/runtime.ts';

/**
 * The plain SDK clients the handlers share resolve their middleware once per command class
 * (decision 57). What that must not change: every call still sends its own command.
 */
describe('the handlers’ SDK clients', () => {
  it('resolve their middleware stack once per command class', () => {
    expect(eventBridgeClient().config.cacheMiddleware).toBe(true);
    expect(sfnClient().config.cacheMiddleware).toBe(true);
    expect(sqsClient().config.cacheMiddleware).toBe(true);
    expect(lambdaClient().config.cacheMiddleware).toBe(true);
    // the document client through its cached DynamoDB client (decision 60)
    expect(db().client.config.cacheMiddleware).toBe(true);
  });

  it('still send each command’s own input through the cached stack', async () => {
    const bodies: string[] = [];
    const client = new EventBridgeClient({
      ...CACHED_MIDDLEWARE,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          bodies.push(new TextDecoder().decode(request.body as Uint8Array));
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'application/x-amz-json-1.1' },
              body: Buffer.from(`{"FailedEntryCount":0,"Entries":[{"EventId":"e${bodies.length}"}]}`),
            },
          };
        },
      },
    });
    const entry = (id: string) => ({
      Source: 'storeflow.test',
      DetailType: 'T',
      Detail: JSON.stringify({ id }),
    });
    const first = await client.send(new PutEventsCommand({ Entries: [entry('one')] }));
    const second = await client.send(new PutEventsCommand({ Entries: [entry('two')] }));
    expect(bodies.map((b) => JSON.parse(JSON.parse(b).Entries[0].Detail).id)).toEqual(['one', 'two']);
    expect([first.Entries?.[0]?.EventId, second.Entries?.[0]?.EventId]).toEqual(['e1', 'e2']);
    // the handler was resolved once and reused: the client keeps it by command class
    expect(
      (client as unknown as { handlers?: WeakMap<object, unknown> }).handlers?.has(PutEventsCommand),
    ).toBe(true);
  });
});
