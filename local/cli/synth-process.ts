import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./synth-child.mjs', import.meta.url));
const APP = fileURLToPath(new URL('../../lib/synth.ts', import.meta.url));

export interface SynthProcessOptions {
  readonly outdir: string;
  readonly context: Record<string, unknown>;
  /** print nothing (no step lines); what synthesis printed is shown only if it fails */
  readonly quiet: boolean;
  /**
   * Called once per step instead of the bundler's output (which is captured, and shown only if
   * synthesis fails): a line per bundled function, and any warning the bundler printed.
   */
  readonly onStep?: (line: string) => void;
  /** the module and export that synthesize, `(outdir, context) => void` (default: the app, lib/synth.ts) */
  readonly app?: { readonly module: string; readonly exportName: string };
  /** aborting kills the synthesis */
  readonly signal?: AbortSignal;
}

/** The tail of a synthesis's output that is kept for an error message. */
const KEEP = 64 * 1024;

/**
 * Turns what synthesis prints into one line per step. The CDK announces each asset it bundles
 * (`Bundling asset <stack>/<path>/Code/Stage...`) and esbuild then prints the bundle and its size
 * and `⚡ Done in 626ms`: together, one step `[1] Ingestion/ReceiveShopifyWebhook  462.5 KiB, 626 ms`.
 * Warnings pass through; everything else is noise on success.
 */
export function stepLines(emit: (line: string) => void): { line(text: string): void; end(): void } {
  let steps = 0;
  let current: { name: string; size?: string } | undefined;
  const flush = (ms?: string) => {
    if (!current) return;
    const detail = [current.size, ms ? `${ms} ms` : undefined].filter(Boolean).join(', ');
    emit(`  [${++steps}] bundled ${current.name}${detail ? `  ${detail}` : ''}`);
    current = undefined;
  };
  return {
    line(text) {
      const bundling = /^Bundling asset (.+?)\.\.\.$/.exec(text.trim());
      if (bundling) {
        flush();
        const path = bundling[1]!.split('/').slice(1);
        const name = path.filter((p, i) => i < path.length - 2 || (p !== 'Code' && p !== 'Stage'));
        if (name.at(-1) === 'Function' && name.length > 1) name.pop();
        current = { name: name.join('/') || bundling[1]! };
        return;
      }
      const size = /\s(\d+(?:\.\d+)?)(b|kb|mb)\s*$/i.exec(text);
      if (current && size && /index\.m?js/.test(text)) {
        const kib =
          Number(size[1]) * ({ b: 1 / 1024, kb: 1, mb: 1024 } as const)[size[2]!.toLowerCase() as 'b'];
        current.size = `${kib.toFixed(1)} KiB`;
        return;
      }
      const done = /Done in (\d+)ms/.exec(text);
      if (done) return flush(done[1]);
      if (/warn/i.test(text)) emit(`  ${text.trim()}`);
    },
    end: () => flush(),
  };
}

/**
 * Synthesizes in a child process. NodejsFunction's local bundling runs esbuild with the parent's
 * stdout/stderr descriptors and the CDK writes "Bundling asset …" with `process.stderr.write`, so
 * only another process's stdio keeps them off the console: the child's output is captured, shown
 * as step lines (`onStep`), and in full only when synthesis fails. Resolves with what it printed;
 * rejects naming the exit code, with the output.
 */
export function synthesizeInChild(options: SynthProcessOptions): Promise<string> {
  const app = options.app ?? { module: APP, exportName: 'synthesize' };
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CHILD, app.module, app.exportName, options.outdir, JSON.stringify(options.context)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    const steps = !options.quiet && options.onStep ? stepLines(options.onStep) : undefined;
    let output = '';
    let partial = '';
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-KEEP);
      if (!steps) return;
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) steps.line(line);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error) => {
      if (error.name !== 'AbortError') reject(error);
    });
    child.once('close', (code, signal) => {
      if (partial) steps?.line(partial);
      steps?.end();
      if (code === 0) return resolve(output);
      if (options.signal?.aborted) return reject(new Error('synthesis stopped'));
      reject(new Error(`synthesis failed (${signal ?? `exit code ${code}`})${output ? `:\n${output}` : ''}`));
    });
  });
}
