import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const CLI = fileURLToPath(new URL('../../bin/storeflow-cli.js', import.meta.url));

export interface RuntimeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** everything the process printed so far */
  output(): string;
  /** SIGKILL, and wait for the process to be gone */
  kill9(): Promise<void>;
  /** SIGTERM, and wait for a clean exit; resolves with the exit code */
  stop(): Promise<number | null>;
}

/**
 * Starts `storeflow dev` as a child process (so a test can kill -9 it) and resolves once it
 * prints its ready line with the endpoint.
 */
export function spawnRuntime(args: string[]): Promise<RuntimeProcess> {
  const child = spawn(process.execPath, [CLI, 'dev', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const ready = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (ready) {
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString('utf8');
        });
        resolve({
          url: ready[1]!,
          child,
          output: () => out,
          async kill9() {
            child.kill('SIGKILL');
            await exited;
          },
          async stop() {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    void exited.then((code) => reject(new Error(`storeflow dev exited (${code}) before ready:\n${out}`)));
  });
}

/**
 * The runtimes and data directories a crash test starts: each runtime killed (if still running)
 * and each directory removed after every test.
 */
export function runtimeProcesses(prefix: string) {
  const dirs: string[] = [];
  const running: RuntimeProcess[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) if (r.child.exitCode === null) await r.kill9();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    /** A fresh data directory, removed after the test. */
    dataDir(): string {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    /** `storeflow dev` with `args`, killed after the test. */
    async spawn(args: string[]): Promise<RuntimeProcess> {
      const runtime = await spawnRuntime(args);
      running.push(runtime);
      return runtime;
    },
  };
}

/**
 * Polls another process's state (not a timing assumption) until `probe` gives a value, up to `ms`
 * real milliseconds; a probe that throws (the process restarting) counts as not yet.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
