import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, OutgoingHttpHeader, OutgoingHttpHeaders, Server } from 'node:http';
import { Readable } from 'node:stream';

/**
 * The main-thread half of the sandboxes' in-process transport (the worker half is
 * sandbox-transport.mjs). A handler's unmodified AWS SDK client sends its request as usual; inside
 * the sandbox `http.request` to the runtime's own endpoint is answered through a MessagePort
 * instead of a TCP connection, and here the request is handed to the runtime's HTTP request
 * listener as a request/response pair that has no socket: same dispatcher, same checks, same
 * handlers, same bytes back, without the loopback connection, the HTTP framing on both sides and
 * the socket wake-ups of two threads.
 */
export interface LocalHttpRequest {
  readonly method: string;
  readonly path: string;
  /** lower-case names */
  readonly headers: Record<string, string | string[]>;
  readonly body: Uint8Array;
}

export interface LocalHttpResponse {
  readonly status: number;
  readonly statusMessage: string;
  /** lower-case names */
  readonly headers: Record<string, string | string[]>;
  readonly body: Uint8Array;
}

export type LocalHttpDispatcher = (request: LocalHttpRequest) => Promise<LocalHttpResponse>;

/** What a sandbox needs to reach the runtime in-process. */
export interface SandboxServices {
  /** The endpoint the sandboxes are given (AWS_ENDPOINT_URL): requests to it go in-process. */
  readonly endpoint: string;
  readonly dispatch: LocalHttpDispatcher;
  /**
   * Asked before serving a call a sandbox makes while it runs a background invocation: undefined
   * to serve it now, or a promise to wait for first (see ForegroundFirst.backgroundRequest).
   */
  readonly backgroundGate?: () => Promise<void> | undefined;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The request side: a readable body with the fields the runtime's handlers read. */
class LocalIncomingMessage extends Readable {
  readonly httpVersion = '1.1';
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor = 1;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly socket: { remoteAddress: string; remotePort: number; encrypted: boolean; destroy(): void };
  complete = false;
  aborted = false;

  constructor(request: LocalHttpRequest, remoteAddress: string) {
    super();
    this.method = request.method;
    this.url = request.path;
    this.headers = request.headers as IncomingHttpHeaders;
    this.rawHeaders = Object.entries(request.headers).flatMap(([k, v]) =>
      Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, v],
    );
    this.socket = { remoteAddress, remotePort: 0, encrypted: false, destroy: () => this.destroy() };
    if (request.body.byteLength > 0) {
      this.push(Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength));
    }
    this.push(null);
    this.once('end', () => {
      this.complete = true;
    });
  }

  override _read(): void {}

  get connection() {
    return this.socket;
  }
}

/** The response side: collects what the handler writes and resolves with it on `end`. */
class LocalServerResponse extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  writableEnded = false;
  finished = false;
  readonly #headers = new Map<string, OutgoingHttpHeader>();
  readonly #chunks: Buffer[] = [];

  constructor(
    private readonly done: (response: LocalHttpResponse) => void,
    private readonly fail: (error: Error) => void,
  ) {
    super();
  }

  setHeader(name: string, value: OutgoingHttpHeader): this {
    this.#headers.set(name.toLowerCase(), value);
    return this;
  }
  getHeader(name: string): OutgoingHttpHeader | undefined {
    return this.#headers.get(name.toLowerCase());
  }
  getHeaders(): OutgoingHttpHeaders {
    return Object.fromEntries(this.#headers);
  }
  hasHeader(name: string): boolean {
    return this.#headers.has(name.toLowerCase());
  }
  removeHeader(name: string): void {
    this.#headers.delete(name.toLowerCase());
  }
  writeHead(
    status: number,
    messageOrHeaders?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    this.statusCode = status;
    let h = headers;
    if (typeof messageOrHeaders === 'string') this.statusMessage = messageOrHeaders;
    else h = messageOrHeaders;
    if (Array.isArray(h)) {
      for (let i = 0; i + 1 < h.length; i += 2) this.setHeader(String(h[i]), h[i + 1] as OutgoingHttpHeader);
    } else if (h) {
      for (const [k, v] of Object.entries(h)) if (v !== undefined) this.setHeader(k, v);
    }
    this.headersSent = true;
    return this;
  }
  flushHeaders(): void {
    this.headersSent = true;
  }
  write(chunk: string | Uint8Array, encoding?: BufferEncoding | (() => void), cb?: () => void): boolean {
    this.headersSent = true;
    this.#chunks.push(
      typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8')
        : Buffer.from(chunk),
    );
    const callback = typeof encoding === 'function' ? encoding : cb;
    if (callback) queueMicrotask(callback);
    return true;
  }
  end(
    chunk?: string | Uint8Array | (() => void),
    encoding?: BufferEncoding | (() => void),
    cb?: () => void,
  ): this {
    if (this.writableEnded) return this;
    if (typeof chunk === 'function') cb = chunk;
    else if (chunk !== undefined && chunk !== null)
      this.write(chunk, typeof encoding === 'string' ? encoding : undefined);
    if (typeof encoding === 'function') cb = encoding;
    this.headersSent = true;
    this.writableEnded = true;
    this.finished = true;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of this.#headers) headers[k] = Array.isArray(v) ? v.map(String) : String(v);
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.done({
      status: this.statusCode,
      statusMessage: this.statusMessage || STATUS_TEXT[this.statusCode] || '',
      headers,
      body,
    });
    queueMicrotask(() => {
      this.emit('finish');
      this.emit('close');
      cb?.();
    });
    return this;
  }
  destroy(error?: Error): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    this.fail(error ?? new Error('the response was destroyed before it ended'));
    queueMicrotask(() => this.emit('close'));
    return this;
  }
}

/**
 * Serves in-process requests with `server`'s request listeners (the runtime's dispatcher), as if
 * they had arrived on its port from `remoteAddress`.
 */
export function serveInProcess(server: Server, remoteAddress = '127.0.0.1'): LocalHttpDispatcher {
  return (request) =>
    new Promise<LocalHttpResponse>((resolve, reject) => {
      const req = new LocalIncomingMessage(request, remoteAddress);
      const res = new LocalServerResponse(resolve, reject);
      server.emit('request', req, res);
    });
}
