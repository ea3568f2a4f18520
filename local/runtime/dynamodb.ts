import type { IncomingMessage, ServerResponse } from 'node:http';
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
import type { LocalResource } from './assembly.ts';
import { type DynaliteStore, openDynaliteStore } from './dynalite-store.ts';

/** dynalite's own request size limit. */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/**
 * DynamoDB for the local runtime: dynalite embedded in the process and persisted under the data
 * directory (its store and actions driven directly, see dynalite-store.ts: served on the runtime's
 * own port, no second listener, no HTTP server of its own), or a proxy to an
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

export function embeddedDynamoDb(dataDir: string): LocalDynamoDb & { readonly store: DynaliteStore } {
  const path = join(dataDir, 'dynamodb');
  const store = openDynaliteStore({ path });
  return {
    store,
    handle: storeHandler(store),
    ensureTables: (tables, endpoint) => ensureTables(tables, endpoint),
    description: `embedded (dynalite) in ${path}`,
    close: () => store.close(),
  };
}

/**
 * Serves DynamoDB JSON API requests (the body not yet read) from an embedded store, as dynalite's
 * own server answers them; the runtime's port and the adapter tests' store both use it.
 */
export function storeHandler(store: DynaliteStore): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        res.writeHead(413, { 'content-length': 0 });
        res.end();
        return;
      }
      const contentType = String(req.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim();
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      if (body && contentType !== 'application/json' && contentType !== 'application/x-amz-json-1.0') {
        res.writeHead(404, { 'content-length': 29 });
        res.end('<UnknownOperationException/>\n');
        return;
      }
      const auth = req.headers.authorization;
      if (auth ? !auth.trim().startsWith('AWS4-') : !(req.url ?? '').includes('X-Amz-Algorithm=')) {
        // as dynalite's server answers an unsigned request
        const text = JSON.stringify({
          __type: 'com.amazon.coral.service#MissingAuthenticationTokenException',
          message: 'Request is missing Authentication Token',
        });
        res.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
        return;
      }
      store
        .execute(String(req.headers['x-amz-target'] ?? ''), body, contentType)
        .then((reply) => {
          res.writeHead(reply.status, reply.headers);
          res.end(reply.body);
        })
        .catch((error: Error) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'InternalServerError', message: error.message }));
        });
    });
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
