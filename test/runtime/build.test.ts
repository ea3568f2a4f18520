import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareAssembly } from '../../local/runtime/build.ts';

const dir = mkdtempSync(join(tmpdir(), 'storeflow-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prepareAssembly', () => {
  it('reuses an assembly while nothing changed, and synthesizes a new one into an empty directory', async () => {
    const outdir = join(dir, 'cdk.out');
    const synths: string[] = [];
    /** A synthesis as the CDK's: a manifest and the asset directories it bundled. */
    const synth = (stage: string, assets: string[]) => (out: string) => {
      synths.push(stage);
      writeFileSync(join(out, 'manifest.json'), '{}');
      for (const asset of assets) writeFileSync(join(out, asset), 'bundle');
    };
    expect(await prepareAssembly(outdir, { stage: 'dev' }, synth('dev', ['asset.a']))).toBe('synthesized');
    expect(await prepareAssembly(outdir, { stage: 'dev' }, synth('dev', ['asset.a']))).toBe('reused');
    expect(synths).toEqual(['dev']);
    // Another context: a new synthesis, and the earlier one's asset is gone with it.
    expect(await prepareAssembly(outdir, { stage: 'staging' }, synth('staging', ['asset.b']))).toBe(
      'synthesized',
    );
    expect(synths).toEqual(['dev', 'staging']);
    expect(existsSync(join(outdir, 'asset.a'))).toBe(false);
    expect(existsSync(join(outdir, 'asset.b'))).toBe(true);
  });
});
