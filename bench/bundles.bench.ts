/**
 * Each handler's deployed bundle: its size (minified, AWS SDK bundled, as `cdk synth` builds it)
 * and its cold import time in a fresh Node process, beside an empty Node start measured in the
 * same run. Fails when a bundle exceeds its budget of 500 KiB.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { synthesize } from '../lib/synth.ts';

/**
 * One budget for every function. The operations API (four SDK clients) had 600 KiB until the
 * bundles stopped carrying the SDK's default credential chain (~120 KiB each; decision 39).
 */
const BUDGET_BYTES = 500 * 1024;
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall time of one fresh `node` process running `code`, in ms. */
function timeNode(code: string, env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, ['--input-type=module', '-e', code], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface FunctionResource {
  Type: string;
  Metadata?: Record<string, string>;
  Properties?: { Runtime?: string; Environment?: { Variables?: Record<string, unknown> } };
}

/**
 * The function's own environment from the template, so its cold start finds every variable its
 * configuration requires (functions/_shared/runtime.ts fails the import naming a missing one, e.g.
 * STATE_MACHINE_ARN). References to other resources (Ref, Fn::GetAtt) become placeholders.
 */
function environmentOf(resource: FunctionResource): Record<string, string> {
  const vars = resource.Properties?.Environment?.Variables ?? {};
  return Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, rendered(name, value)]));
}

/**
 * A template value as the deployed function would see it, with placeholders for what only a
 * deployment knows: Fn::Join is joined (a JSON document built by `stack.toJsonString` stays
 * JSON), a Ref or Fn::GetAtt becomes a plausible name or ARN.
 */
function rendered(name: string, value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown> | null;
  if (v && Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => rendered(name, part)).join(separator);
  }
  if (v && ('Ref' in v || 'Fn::GetAtt' in v)) {
    const target = String('Ref' in v ? v.Ref : (v['Fn::GetAtt'] as unknown[])[0]).toLowerCase();
    if (target.startsWith('aws::')) return target.includes('region') ? 'us-east-1' : '000000000000';
    return name.endsWith('_ARN') || String(JSON.stringify(v)).includes('Arn')
      ? `arn:aws:states:us-east-1:000000000000:stateMachine:bench-${target}`
      : `bench-${target}`;
  }
  return `bench-${name.toLowerCase()}`;
}

export async function run(): Promise<{ ok: boolean }> {
  const outdir = mkdtempSync(join(tmpdir(), 'storeflow-bench-'));
  try {
    const assembly = synthesize(outdir);
    const base = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    };
    const rows: Array<{ name: string; bytes: number; importMs: number; emptyMs: number }> = [];
    for (const stack of assembly.stacks) {
      const resources = (stack.template as { Resources: Record<string, FunctionResource> }).Resources;
      for (const [id, resource] of Object.entries(resources)) {
        if (resource.Type !== 'AWS::Lambda::Function') continue;
        // Ours only: CDK's own deploy-time handlers (the console's BucketDeployment, in Python)
        // are not bundles of this app.
        if (!resource.Properties?.Runtime?.startsWith('nodejs')) continue;
        const env = { ...base, ...environmentOf(resource) };
        const bundle = join(outdir, resource.Metadata?.['aws:asset:path'] ?? '', 'index.mjs');
        const code = `await import(${JSON.stringify(pathToFileURL(bundle).href)});`;
        timeNode(code, env); // warm the file cache; not counted
        // Baseline and handler runs alternate, so load on the machine weighs on both alike.
        const emptyRuns: number[] = [];
        const importRuns: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          emptyRuns.push(timeNode('', env));
          importRuns.push(timeNode(code, env));
        }
        rows.push({
          name: id.replace(/Function[0-9A-F]{8}$/, ''),
          bytes: statSync(bundle).size,
          importMs: median(importRuns),
          emptyMs: median(emptyRuns),
        });
      }
    }
    console.log(
      `\nHandler bundles (medians of ${RUNS} fresh processes, alternating with an empty node start)`,
    );
    console.log(
      '| handler | bundle KiB | budget | empty node ms | node + import ms | vs empty node | import alone ms |',
    );
    console.log('|---|---:|:---:|---:|---:|---:|---:|');
    for (const r of rows) {
      console.log(
        `| ${r.name} | ${(r.bytes / 1024).toFixed(1)} | ${r.bytes <= BUDGET_BYTES ? 'ok' : 'OVER'} | ${r.emptyMs.toFixed(1)} | ${r.importMs.toFixed(1)} | ${(r.importMs / r.emptyMs).toFixed(2)}x | ${(r.importMs - r.emptyMs).toFixed(1)} |`,
      );
    }
    return { ok: rows.every((r) => r.bytes <= BUDGET_BYTES) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
