import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./synth-child.mjs', import.meta.url));
const APP = fileURLToPath(new URL('../../lib/synth.ts', import.meta.url));

export interface SynthProcessOptions {
  readonly outdir: string;
  readonly context: Record<string, unknown>;
  /** capture the output (bundling lines, cdk-nag) instead of letting it through; shown only on failure */
  readonly quiet: boolean;
  /** the module and export that synthesize, `(outdir, context) => void` (default: the app, lib/synth.ts) */
  readonly app?: { readonly module: string; readonly exportName: string };
  /** aborting kills the synthesis */
  readonly signal?: AbortSignal;
}

/** The tail of a quiet synthesis's output that is kept for an error message. */
const KEEP = 64 * 1024;

/**
 * Synthesizes in a child process. NodejsFunction's local bundling runs esbuild with the parent's
 * stdout/stderr descriptors and the CDK writes "Bundling asset …" with `process.stderr.write`, so
 * only another process's stdio can keep them off the console. Resolves with what it printed when
 * quiet (empty otherwise); rejects naming the exit code, with the output when it was captured.
 */
export function synthesizeInChild(options: SynthProcessOptions): Promise<string> {
  const app = options.app ?? { module: APP, exportName: 'synthesize' };
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CHILD, app.module, app.exportName, options.outdir, JSON.stringify(options.context)],
      {
        stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-KEEP);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error) => {
      if (error.name !== 'AbortError') reject(error);
    });
    child.once('close', (code, signal) => {
      if (code === 0) return resolve(output);
      if (options.signal?.aborted) return reject(new Error('synthesis stopped'));
      reject(
        new Error(
          `synthesis failed (${signal ?? `exit code ${code}`})${options.quiet && output ? `:\n${output}` : ''}`,
        ),
      );
    });
  });
}
