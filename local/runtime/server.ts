import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostForUrl } from './guard.ts';

export const DEFAULT_HOST = '127.0.0.1';

/**
 * Binds the runtime's one port before anything slow happens (the CLI binds it before synthesis),
 * so a port in use fails at once. Until the runtime attaches its own handler, every request is
 * answered 503 "starting", as `/health` answers while the runtime starts.
 */
export async function bindServer(port: number, host: string = DEFAULT_HOST): Promise<Server> {
  const server = createServer((req, res) => {
    const aws = typeof req.headers['x-amz-target'] === 'string';
    const body = JSON.stringify(
      aws ? { __type: 'ServiceUnavailable', message: 'starting' } : { status: 'starting' },
    );
    res.writeHead(503, {
      'content-type': aws ? 'application/x-amz-json-1.1' : 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/**
 * The URL the runtime gives its functions and prints: the bound address, or 127.0.0.1 when bound
 * to every interface (`0.0.0.0`, `::`).
 */
export function endpointUrl(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  const local = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;
  return `http://${hostForUrl(local)}:${port}`;
}

/** A request's body, or undefined once it passes `limit` bytes (the rest is drained, not kept). */
export const readBody = (req: IncomingMessage, limit: number): Promise<Buffer | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
