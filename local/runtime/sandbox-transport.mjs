// The sandbox half of the in-process transport (the main-thread half is inproc.ts). Installed
// before the function's bundle is imported: `http.request` and `http.get` to the runtime's own
// endpoint (AWS_ENDPOINT_URL) return a client request that is sent to the main thread over a
// MessagePort and answered with an ordinary readable response; every other request is Node's.
// The bundle is not modified: the AWS SDK's Node HTTP handler calls `http.request` as it does on
// Lambda, signs, serializes and parses as it does there; only the socket and the HTTP framing are
// left out. Request and response bytes are the same as over TCP.

import { EventEmitter } from 'node:events';
import http from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { Readable } from 'node:stream';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Statistics for tests: how many requests went in-process, how many to Node's http. */
export const transportStats = { inProcess: 0, passedThrough: 0 };

/**
 * @param {import('node:worker_threads').MessagePort} port
 * @param {string} endpoint e.g. http://127.0.0.1:4000
 */
export function installSandboxTransport(port, endpoint) {
  const target = new URL(endpoint);
  if (target.protocol !== 'http:') return;
  const targetPort = Number(target.port || 80);
  const targetHost = target.hostname;
  let nextId = 0;
  /** @type {Map<number, LocalClientRequest>} */
  const pending = new Map();

  port.on('message', (message) => {
    const req = pending.get(message.id);
    if (!req) return;
    pending.delete(message.id);
    if (message.error !== undefined) {
      req.destroy(Object.assign(new Error(`socket hang up: ${message.error}`), { code: 'ECONNRESET' }));
      return;
    }
    req._respond(message);
  });
  port.unref();

  class LocalSocket extends EventEmitter {
    connecting = false;
    destroyed = false;
    remoteAddress = targetHost;
    remotePort = targetPort;
    /** @type {NodeJS.Timeout | undefined} */
    timer = undefined;
    timeoutMs = 0;
    setKeepAlive() {
      return this;
    }
    setNoDelay() {
      return this;
    }
    ref() {
      return this;
    }
    unref() {
      return this;
    }
    /** Inactivity timeout, as a socket's: fires once if no response came within `ms`. */
    setTimeout(ms, listener) {
      if (listener) this.once('timeout', listener);
      this.timeoutMs = ms;
      clearTimeout(this.timer);
      this.timer = ms > 0 ? setTimeout(() => this.emit('timeout'), ms) : undefined;
      return this;
    }
    _activity() {
      if (this.timer) this.setTimeout(this.timeoutMs);
    }
    _done() {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    destroy() {
      this._done();
      this.destroyed = true;
      return this;
    }
  }

  class LocalResponse extends Readable {
    complete = false;
    constructor(message) {
      super();
      this.statusCode = message.status;
      this.statusMessage = message.statusMessage;
      this.headers = message.headers;
      this.rawHeaders = Object.entries(message.headers).flatMap(([k, v]) =>
        Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, v],
      );
      this.httpVersion = '1.1';
      this.httpVersionMajor = 1;
      this.httpVersionMinor = 1;
      this.trailers = {};
      const body = message.body;
      if (body.byteLength > 0) this.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
      this.push(null);
      this.once('end', () => {
        this.complete = true;
      });
    }
    _read() {}
  }

  /**
   * What `http.request` returns for the runtime's endpoint: the writable side of ClientRequest
   * written by hand (an EventEmitter with write/end/destroy, enough for `end(body)` and for
   * `pipe`), since stream machinery per request showed in the sandboxes' profile.
   */
  class LocalClientRequest extends EventEmitter {
    /** @type {Buffer[]} */
    #chunks = [];
    #id = ++nextId;
    destroyed = false;
    writable = true;
    writableEnded = false;
    writableFinished = false;
    writableNeedDrain = false;
    constructor(options, callback) {
      super();
      this.method = (options.method ?? 'GET').toUpperCase();
      this.path = options.path ?? '/';
      this.host = options.host;
      this.protocol = 'http:';
      this.reusedSocket = false;
      /** @type {Record<string, string | string[]>} */
      this.headersOut = {};
      const headers = options.headers ?? {};
      for (const [k, v] of Array.isArray(headers) ? pairs(headers) : Object.entries(headers)) {
        if (v !== undefined) this.headersOut[k.toLowerCase()] = Array.isArray(v) ? v.map(String) : String(v);
      }
      this.headersOut.host ??= `${options.host}:${options.port}`;
      this.socket = new LocalSocket();
      this.connection = this.socket;
      this.socket.on('timeout', () => this.emit('timeout'));
      if (callback) this.once('response', callback);
      process.nextTick(() => {
        if (!this.destroyed) this.emit('socket', this.socket);
      });
    }
    write(chunk, encoding, callback) {
      if (typeof encoding === 'function') callback = encoding;
      if (this.writableEnded || this.destroyed) {
        const error = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
        process.nextTick(() => (callback ? callback(error) : this.emit('error', error)));
        return false;
      }
      this.#chunks.push(
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8')
          : chunk,
      );
      if (callback) process.nextTick(callback);
      return true;
    }
    end(chunk, encoding, callback) {
      if (typeof chunk === 'function') [chunk, callback] = [undefined, chunk];
      else if (typeof encoding === 'function') [encoding, callback] = [undefined, encoding];
      if (this.writableEnded || this.destroyed) return this;
      if (chunk !== undefined && chunk !== null) this.write(chunk, encoding);
      this.writableEnded = true;
      this.writable = false;
      if (this.headersOut.expect === '100-continue') this.emit('continue');
      const body = this.#chunks.length === 1 ? this.#chunks[0] : Buffer.concat(this.#chunks);
      this.#chunks = [];
      pending.set(this.#id, this);
      transportStats.inProcess++;
      port.postMessage({
        id: this.#id,
        method: this.method,
        path: this.path,
        headers: this.headersOut,
        // An exact copy: a view into Node's 8 KiB buffer pool would clone the whole pool.
        body: Uint8Array.prototype.slice.call(body),
      });
      process.nextTick(() => {
        this.writableFinished = true;
        this.emit('finish');
        callback?.();
      });
      return this;
    }
    destroy(error) {
      if (this.destroyed) return this;
      this.destroyed = true;
      this.writable = false;
      pending.delete(this.#id);
      this.socket.destroy();
      if (this.res && !this.res.complete) this.res.destroy(error ?? undefined);
      process.nextTick(() => {
        if (error) this.emit('error', error);
        this.emit('close');
      });
      return this;
    }
    cork() {}
    uncork() {}
    setHeader(name, value) {
      this.headersOut[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
      return this;
    }
    getHeader(name) {
      return this.headersOut[name.toLowerCase()];
    }
    removeHeader(name) {
      delete this.headersOut[name.toLowerCase()];
    }
    getHeaders() {
      return { ...this.headersOut };
    }
    setTimeout(ms, listener) {
      if (listener) this.once('timeout', listener);
      this.socket.setTimeout(ms);
      return this;
    }
    setNoDelay() {}
    setSocketKeepAlive() {}
    flushHeaders() {}
    abort() {
      this.destroy();
    }
    _respond(message) {
      if (this.destroyed) return;
      this.socket._activity();
      const res = new LocalResponse(message);
      this.res = res;
      res.socket = this.socket;
      res.once('end', () => {
        this.socket._done();
        process.nextTick(() => {
          if (!this.destroyed) this.destroy();
        });
      });
      this.emit('response', res);
    }
  }

  const realRequest = http.request;
  const realGet = http.get;

  /** The target of an `http.request(url?, options?, callback?)` call, when it is the runtime. */
  function local(args) {
    let [input, options, callback] = args;
    if (typeof options === 'function') {
      callback = options;
      options = undefined;
    }
    let opts;
    if (typeof input === 'string' || input instanceof URL) {
      const url = typeof input === 'string' ? new URL(input) : input;
      if (url.protocol !== 'http:') return undefined;
      opts = {
        host: url.hostname,
        port: url.port || 80,
        path: `${url.pathname}${url.search}`,
        ...(options ?? {}),
      };
    } else {
      if (typeof input === 'function') {
        callback = input;
        input = {};
      }
      opts = { ...(input ?? {}), ...(options ?? {}) };
      if (opts.protocol && opts.protocol !== 'http:') return undefined;
    }
    if (opts.socketPath || opts.createConnection) return undefined;
    let host = opts.hostname ?? opts.host ?? 'localhost';
    let portNumber = opts.port;
    if (opts.hostname === undefined && typeof opts.host === 'string' && /^[^[]*:\d+$/.test(opts.host)) {
      const i = opts.host.lastIndexOf(':');
      host = opts.host.slice(0, i);
      portNumber ??= opts.host.slice(i + 1);
    }
    portNumber = Number(portNumber || 80);
    if (portNumber !== targetPort) return undefined;
    if (host !== targetHost && !(LOCAL_HOSTS.has(host) && LOCAL_HOSTS.has(targetHost))) return undefined;
    return { options: { ...opts, host, port: portNumber }, callback };
  }

  http.request = function request(...args) {
    const target = local(args);
    if (!target) {
      transportStats.passedThrough++;
      return realRequest.apply(this, args);
    }
    return new LocalClientRequest(target.options, target.callback);
  };
  http.get = function get(...args) {
    const target = local(args);
    if (!target) return realGet.apply(this, args);
    const req = new LocalClientRequest({ ...target.options, method: 'GET' }, target.callback);
    req.end();
    return req;
  };
  syncBuiltinESMExports();
}

function pairs(flat) {
  const out = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
}
