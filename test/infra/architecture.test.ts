import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local/runtime/build.ts';

/**
 * The lint rules that keep the layers apart (biome.json overrides): domain/ imports no AWS SDK,
 * CDK, middy or Powertools (nor adapters, functions, infrastructure), and a feature's domain does
 * not import another feature's. Checked on probe sources, so the rules cannot silently go away.
 */
let root: string;
beforeAll(() => {
  // The project's biome.json in a scratch tree, so probes never touch the working tree.
  root = mkdtempSync(join(tmpdir(), 'storeflow-lint-'));
  const config = JSON.parse(readFileSync(join(PROJECT_ROOT, 'biome.json'), 'utf8'));
  delete config.$schema;
  config.vcs = { enabled: false };
  writeFileSync(join(root, 'biome.json'), JSON.stringify(config));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let probes = 0;
function lint(path: string, source: string): string {
  const file = join(root, path.replace(/\.ts$/, `-${++probes}.ts`));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, source);
  const result = spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules/@biomejs/biome/bin/biome'), 'lint', file],
    { cwd: root, encoding: 'utf8' },
  );
  return `${result.stdout}${result.stderr}`;
}

describe('architecture lint rules', () => {
  it.each([
    ["import { Duration } from 'aws-cdk-lib';", 'pure business logic'],
    ["import { DynamoDBClient } from '@aws-sdk/client-dynamodb';", 'pure business logic'],
    ["import middy from '@middy/core';", 'pure business logic'],
    ["import { Logger } from '@aws-lambda-powertools/logger';", 'pure business logic'],
    ["import { db } from '#functions/_shared/runtime';", 'pure business logic'],
  ])('refuses %s in domain/', (line, message) => {
    expect(lint('domain/shared/probe.ts', `${line}\nexport const probe = 1;\n`)).toContain(message);
  });

  it('refuses one feature importing another, and allows the shared kernel', () => {
    expect(
      lint('domain/presale/probe.ts', "import { x } from '../restock/rules.ts';\nexport const y = x;\n"),
    ).toContain('must not import another feature');
    const kernel = lint(
      'domain/presale/probe.ts',
      "import { runName } from '../workflow/run.ts';\nimport { money } from '../shared/money.ts';\nexport const y = [runName, money];\n",
    );
    expect(kernel).not.toMatch(/must not import|pure business logic/);
  });
});
