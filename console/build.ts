import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/** The console's sources (console/src, console/index.html). */
export const CONSOLE_SOURCE = dirname(fileURLToPath(import.meta.url));

/** The files a built console is made of (index.html loads the other two). */
export const CONSOLE_FILES = ['index.html', 'app.js', 'app.css'] as const;

/**
 * Builds the web console into `outDir`: one minified ES module bundle (Preact, dagre and the app),
 * its stylesheet and index.html. Synchronous, so the CDK asset's local bundling can call it during
 * synthesis (lib/constructs/console.ts); ~100 ms. `config.json` is not part of the build: it is
 * written per deployment (the API URL) or served by the local runtime.
 */
export function buildConsole(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  buildSync({
    entryPoints: { app: join(CONSOLE_SOURCE, 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: outDir,
    legalComments: 'none',
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(join(CONSOLE_SOURCE, 'index.html'), join(outDir, 'index.html'));
}
