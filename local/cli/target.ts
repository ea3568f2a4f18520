import { resolve } from 'node:path';
import { runtimeHolding } from '../runtime/data-dir.ts';
import { CliError, UsageError } from './args.ts';

/** Where a command finds the runtime: `--url`, `--port`, or the runtime using `--data`. */
export interface Target {
  readonly url: string;
  /** false for `--url`: a deployed API, where the local controls (`/_local/*`) do not exist */
  readonly local: boolean;
}

export const parsePort = (value: string, flag = '--port'): number => {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) {
    throw new UsageError(`${flag}: "${value}" is not a port number (1-65535)`);
  }
  return port;
};

export function runtimeTarget(options: { data: string; port?: string; url?: string }): Target {
  if (options.url !== undefined && options.port !== undefined) {
    throw new UsageError('--url and --port name the same thing: give one');
  }
  if (options.url !== undefined) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new UsageError(`--url: "${options.url}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new UsageError(`--url: "${options.url}" is not an http(s) URL`);
    }
    return { url: url.href.replace(/\/+$/, ''), local: false };
  }
  if (options.port !== undefined) return { url: `http://127.0.0.1:${parsePort(options.port)}`, local: true };
  const data = resolve(options.data);
  const holder = runtimeHolding(data);
  if (!holder?.url) {
    throw new CliError(
      holder
        ? `the runtime on ${data} (pid ${holder.pid}) is still starting: try again in a moment`
        : `no storeflow runtime is running on ${data}: start one (npm start, or storeflow dev --data ${options.data}), or name it with --port or --url`,
    );
  }
  return { url: holder.url, local: true };
}
