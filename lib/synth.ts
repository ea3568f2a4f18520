import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { createApp } from './app.ts';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * Synthesizes the app in-process exactly as `cdk synth` does: the context from cdk.json plus the
 * caller's, into `outdir`. Used by the CLI and the benchmarks so they see what deploys.
 */
export function synthesize(outdir: string, context: Record<string, unknown> = {}): CloudAssembly {
  const cdkJson = JSON.parse(readFileSync(`${root}cdk.json`, 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const { app } = createApp({
    outdir,
    // As the CLI does: record each asset's path in the template metadata.
    context: { 'aws:cdk:enable-asset-metadata': true, ...cdkJson.context, ...context },
  });
  return app.synth();
}
