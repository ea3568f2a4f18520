import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

/**
 * Serves the operations console at `/console/` from the build the assembly's console deployment
 * carries (the same files CloudFront serves on AWS), with a `config.json` of its own: the API on
 * this origin, signed in with the admin token. Read once; a new build comes with a new assembly.
 */

export const CONSOLE_PATH = '/console';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'config.json': 'application/json',
};

/** The browser's rules for the console's pages, as on AWS (lib/constructs/console.ts): this origin only. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

export function consoleHandler(dir: string | undefined, options: { stage?: string } = {}): ConsoleHandler {
  const files = new Map<string, Buffer>();
  if (dir) {
    for (const name of ['index.html', 'app.js', 'app.css']) {
      try {
        files.set(name, readFileSync(join(dir, name)));
      } catch {
        // a build without this file: 404 below
      }
    }
    files.set(
      'config.json',
      Buffer.from(JSON.stringify({ apiUrl: '', auth: 'admin-token', stage: options.stage ?? 'local' })),
    );
  }
  return (req, res, path) => {
    const send = (
      status: number,
      type: string,
      body: Buffer | string,
      extra: Record<string, string> = {},
    ) => {
      res.writeHead(status, {
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        ...SECURITY_HEADERS,
        ...extra,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(
        405,
        'application/json',
        JSON.stringify({ message: `${req.method} ${path}: the console is read-only` }),
        {
          allow: 'GET, HEAD',
        },
      );
    }
    if (path === CONSOLE_PATH) {
      res.writeHead(308, { location: `${CONSOLE_PATH}/`, 'content-length': 0 });
      return res.end();
    }
    const name = path.slice(CONSOLE_PATH.length + 1) || 'index.html';
    const body = files.get(name);
    if (!body) {
      const message = dir ? `${path} is not part of the console` : 'this app has no console';
      return send(404, 'application/json', JSON.stringify({ message }));
    }
    return send(200, TYPES[name]!, body);
  };
}
