import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { synthesizeInChild } from '../../local/cli/synth-process.ts';
import { LOCK_FILE } from '../../local/runtime/data-dir.ts';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * `storeflow dev` as a process, the way an operator or a supervisor runs it: one runtime per data
 * directory, the port checked before synthesis, a quiet start, and an end when its parent ends.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'storeflow-cli.js');

const dirs: string[] = [];
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'storeflow-cli-'));
  dirs.push(dir);
  return dir;
};
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Cli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** resolves with the URL of the ready line, or rejects with the output if the process exits first */
  ready(): Promise<string>;
  exited(): Promise<number | null>;
}

function run(command: string, args: string[]): Cli {
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  children.push(child);
  let out = '';
  let err = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString('utf8');
    });
    void exit.then((code) => reject(new Error(`exited (${code}) before ready:\n${out}\n${err}`)));
  });
  ready.catch(() => {});
  return { child, stdout: () => out, stderr: () => err, ready: () => ready, exited: () => exit };
}

const storeflow = (args: string[]) => run(process.execPath, [CLI, 'dev', ...args]);

/** Polls a condition of another process with a deadline (no assumption about how long it takes). */
async function until(what: string, probe: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a pid is gone (or a zombie: exited, not yet reaped by whoever adopted it). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** Whether something accepts connections and answers on the URL. */
const answers = (url: string, host?: string) =>
  new Promise<number | undefined>((resolve) => {
    const req = request(`${url}/health`, { headers: host ? { host } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });

const lockOf = (dir: string) =>
  JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as {
    pid: number;
    port: number;
    url: string;
    startedAt: string;
  };

describe('one runtime per data directory', () => {
  it('a second `storeflow dev` on a running runtime’s directory stops at once, naming both', async () => {
    const data = tmp();
    const runtime: Runtime = await startRuntime({
      assemblyDir: inject('fixtureAssembly'),
      dataDir: data,
      port: 0,
      clock: 'virtual',
    });
    cleanups.push(() => runtime.close());
    const second = storeflow(['--port', '0', '--data', data]); // no --assembly: it would synthesize
    expect(await second.exited()).toBe(1);
    expect(second.stderr()).toBe(
      `storeflow: the data directory ${data} is in use by another storeflow runtime (pid ${process.pid}, ` +
        `serving ${runtime.url}, since ${lockOf(data).startedAt}): stop it first, or give this one ` +
        `another --data. If no runtime is running there, delete ${join(data, LOCK_FILE)}\n`,
    );
    expect(existsSync(join(data, 'cdk.out'))).toBe(false); // stopped before synthesis
    expect(lockOf(data).pid).toBe(process.pid);
    expect(await answers(runtime.url)).toBe(200);
  });

  it('the lock of a runtime killed with -9 is taken over by the next start', async () => {
    const data = tmp();
    const args = ['--port', '0', '--data', data, '--assembly', inject('fixtureAssembly'), '--quiet'];
    const first = storeflow(args);
    await first.ready();
    const firstPid = lockOf(data).pid;
    expect(firstPid).toBe(first.child.pid);
    first.child.kill('SIGKILL');
    await first.exited();
    expect(lockOf(data).pid).toBe(firstPid); // left behind

    const second = storeflow(args);
    const url = await second.ready();
    expect(lockOf(data)).toMatchObject({ pid: second.child.pid, url });
    second.child.kill('SIGTERM');
    expect(await second.exited()).toBe(0);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false); // released on a clean stop
  });
});

describe('the port', () => {
  it('is checked before synthesis: a port in use fails at once', async () => {
    const data = tmp();
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as { port: number }).port;
    const cli = storeflow(['--port', String(port), '--data', data]);
    expect(await cli.exited()).toBe(1);
    expect(cli.stderr()).toMatch(
      /^storeflow: the port is in use \(.*EADDRINUSE.*\); pick another with --port\n$/,
    );
    expect(cli.stdout()).toBe('');
    expect(existsSync(join(data, 'cdk.out'))).toBe(false);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  });
});

describe('--host', () => {
  it('bound to every interface: warns on stderr, and answers this machine’s name', async () => {
    const data = tmp();
    const cli = storeflow([
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--data',
      data,
      '--assembly',
      inject('fixtureAssembly'),
      '--quiet',
    ]);
    const url = await cli.ready();
    expect(cli.stderr()).toMatch(
      /^storeflow: warning: listening on every network interface \(port \d+\), not only on this machine: anything that can reach it on the network can read the webhook secrets/,
    );
    const port = new URL(url).port;
    expect(await answers(url, `${hostname()}:${port}`)).toBe(200);
    expect(await answers(url, `evil.example:${port}`)).toBe(403);
    cli.child.kill('SIGTERM');
    expect(await cli.exited()).toBe(0);
  });
});

describe('--quiet', () => {
  it('prints only the ready line on a fresh start, synthesis and bundling included', {
    timeout: 180_000,
  }, async () => {
    const data = tmp();
    const cli = storeflow(['--quiet', '--port', '0', '--data', data]);
    const url = await cli.ready();
    expect(existsSync(join(data, 'cdk.out', 'manifest.json'))).toBe(true); // it did synthesize
    expect(cli.stdout()).toBe(`storeflow local runtime ready on ${url}\n`);
    expect(cli.stderr()).toBe('');
    cli.child.kill('SIGTERM');
    expect(await cli.exited()).toBe(0);
    expect(cli.stdout()).toBe(`storeflow local runtime ready on ${url}\n`);
  });
});

describe('synthesis in a child process', () => {
  const app = (dir: string) => {
    const module = join(dir, 'app.mjs');
    writeFileSync(
      module,
      `export async function synth(outdir, context) {
        process.stderr.write('Bundling asset fixture/Step...\\n');
        if (context.fail) throw new Error('the template is broken');
        if (context.hang) await new Promise(() => setInterval(() => {}, 1000));
      }`,
    );
    return { module, exportName: 'synth' };
  };

  it('quiet: captures what synthesis prints, and shows it when synthesis fails', async () => {
    const dir = tmp();
    const quiet = { outdir: dir, quiet: true, app: app(dir) };
    expect(await synthesizeInChild({ ...quiet, context: {} })).toBe('Bundling asset fixture/Step...\n');
    await expect(synthesizeInChild({ ...quiet, context: { fail: true } })).rejects.toThrow(
      /^synthesis failed \(exit code 1\):\nBundling asset fixture\/Step\.\.\.\n[\s\S]*the template is broken/,
    );
  });

  it('not quiet: one line per bundled function instead of the bundler’s output', async () => {
    const dir = tmp();
    const module = join(dir, 'bundling.mjs');
    // What the CDK and esbuild print (both on stderr) while bundling two functions, and a warning.
    writeFileSync(
      module,
      `export async function synth() {
        const out = (t) => process.stderr.write(t);
        out('Bundling asset app-stack/Orders/Receive/Function/Code/Stage...\\n\\n');
        out('  ...5c1a-building/index.mjs  462.5kb\\n\\n⚡ Done in 626ms\\n');
        out('Bundling asset app-stack/Step/Code/Stage...\\n');
        out('▲ [WARNING] "import.meta" is not available\\n');
        out('  ...9f1d-building/index.mjs  1.2mb\\n');
        out('⚡ Done in 1365ms\\n');
      }`,
    );
    const steps: string[] = [];
    const output = await synthesizeInChild({
      outdir: dir,
      quiet: false,
      onStep: (line) => steps.push(line),
      app: { module, exportName: 'synth' },
      context: {},
    });
    expect(steps).toEqual([
      '  [1] bundled Orders/Receive  462.5 KiB, 626 ms',
      '  ▲ [WARNING] "import.meta" is not available',
      '  [2] bundled Step  1228.8 KiB, 1365 ms',
    ]);
    expect(output).toContain('⚡ Done in 626ms'); // all of it kept, for a failure's message
    const quiet: string[] = [];
    await synthesizeInChild({
      outdir: dir,
      quiet: true,
      onStep: (line) => quiet.push(line),
      app: { module, exportName: 'synth' },
      context: {},
    });
    expect(quiet).toEqual([]);
  });

  it('is killed by a stop request', async () => {
    const dir = tmp();
    const stop = new AbortController();
    const running = synthesizeInChild({
      outdir: dir,
      quiet: true,
      app: app(dir),
      context: { hang: true },
      signal: stop.signal,
    });
    stop.abort();
    await expect(running).rejects.toThrow('synthesis stopped');
  });
});

describe('the binary', () => {
  it('--version, and a bad flag: exit code 2 naming it', async () => {
    const version = run(process.execPath, [CLI, '--version']);
    expect(await version.exited()).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout()).toBe(`storeflow ${pkg.version}\n`);
    const bad = run(process.execPath, [CLI, 'trigger', 'orders/paid', '--bogus']);
    expect(await bad.exited()).toBe(2);
    expect(bad.stderr()).toBe(
      'storeflow: unknown option --bogus\nRun `storeflow trigger --help` for usage.\n',
    );
    expect(bad.stdout()).toBe('');
  });
});

describe('stopped by a supervisor', () => {
  it('`npm start` under SIGTERM: the runtime shuts down cleanly instead of serving on, orphaned', async () => {
    const data = tmp();
    const npm = run('npm', [
      'start',
      '--',
      '--port',
      '0',
      '--data',
      data,
      '--assembly',
      inject('fixtureAssembly'),
    ]);
    const url = await npm.ready();
    const runtimePid = lockOf(data).pid;
    cleanups.push(() => {
      if (!gone(runtimePid)) process.kill(runtimePid, 'SIGKILL'); // the test failed: no orphan left behind
    });
    expect(runtimePid).not.toBe(npm.child.pid); // npm → sh -c → node: the runtime is a grandchild

    npm.child.kill('SIGTERM');
    await npm.exited();
    await until('the runtime process to end', () => gone(runtimePid));
    expect(await answers(url)).toBeUndefined();
    expect(existsSync(join(data, LOCK_FILE))).toBe(false); // a clean shutdown released it
  });

  it('a closed terminal (SIGHUP) stops it cleanly too', async () => {
    const data = tmp();
    const cli = storeflow(['--port', '0', '--data', data, '--assembly', inject('fixtureAssembly')]);
    await cli.ready();
    cli.child.kill('SIGHUP');
    expect(await cli.exited()).toBe(0);
    expect(cli.stdout()).toMatch(/SIGHUP: shutting down \(flushing the data directory\)\.\.\.\n$/);
    expect(existsSync(join(data, LOCK_FILE))).toBe(false);
  });
});
