import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
// dynalite ships no types.
// @ts-expect-error -- untyped CommonJS module
import dynalite from 'dynalite';
import type { LocalResource } from './assembly.ts';

/**
 * DynamoDB for the local runtime: dynalite embedded in the process and persisted under the data
 * directory (served on the runtime's own port, in-process, no second listener), or a proxy to an
 * external DynamoDB-compatible endpoint (`--dynamodb-endpoint`, e.g. DynamoDB Local).
 */
export interface LocalDynamoDb {
  /** Serves one DynamoDB JSON API request (the body not yet read). */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Creates every table of the template that does not exist yet; returns what it did per table. */
  ensureTables(tables: LocalResource[], endpoint: string): Promise<string[]>;
  readonly description: string;
  close(): Promise<void>;
}

export function embeddedDynamoDb(dataDir: string): LocalDynamoDb {
  const path = join(dataDir, 'dynamodb');
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  const listener = server.listeners('request')[0] as RequestListener;
  return {
    handle: (req, res) => listener(req, res),
    ensureTables: (tables, endpoint) => ensureTables(tables, endpoint),
    description: `embedded (dynalite) in ${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        // dynalite's close also closes its LevelDB store; the HTTP part was never listening.
        server.close(() => resolve());
      }),
  };
}

export function externalDynamoDb(url: string): LocalDynamoDb {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return {
    handle(req, res) {
      const upstream = send(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      upstream.on('error', (error) => {
        if (res.headersSent) return res.destroy(error);
        res.writeHead(502, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: `DynamoDB endpoint ${url} is unreachable: ${error.message}`,
          }),
        );
      });
      req.pipe(upstream);
    },
    ensureTables: (tables) => ensureTables(tables, url),
    description: `external at ${url}`,
    close: async () => {},
  };
}

async function ensureTables(tables: LocalResource[], endpoint: string): Promise<string[]> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const report: string[] = [];
  try {
    for (const table of tables) {
      const p = table.properties as {
        KeySchema: KeySchemaElement[];
        AttributeDefinitions: AttributeDefinition[];
        GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
        LocalSecondaryIndexes?: LocalSecondaryIndex[];
      };
      try {
        const existing = await client.send(new DescribeTableCommand({ TableName: table.name }));
        const want = JSON.stringify(p.KeySchema);
        const have = JSON.stringify(
          existing.Table?.KeySchema?.map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
        );
        if (want !== have) {
          throw new Error(
            `table ${table.name} exists with key schema ${have}, but the template declares ${want}; reset the data directory or migrate it`,
          );
        }
        report.push(`${table.name} (existing)`);
        continue;
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
      await client.send(
        new CreateTableCommand({
          TableName: table.name,
          KeySchema: p.KeySchema,
          AttributeDefinitions: p.AttributeDefinitions,
          BillingMode: 'PAY_PER_REQUEST',
          ...(p.GlobalSecondaryIndexes?.length
            ? {
                GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map((g) => ({
                  IndexName: g.IndexName,
                  KeySchema: g.KeySchema,
                  Projection: g.Projection,
                })),
              }
            : {}),
          ...(p.LocalSecondaryIndexes?.length
            ? {
                LocalSecondaryIndexes: p.LocalSecondaryIndexes.map((l) => ({
                  IndexName: l.IndexName,
                  KeySchema: l.KeySchema,
                  Projection: l.Projection,
                })),
              }
            : {}),
        }),
      );
      report.push(`${table.name} (created)`);
    }
  } finally {
    client.destroy();
  }
  return report;
}
