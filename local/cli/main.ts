import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { synthesize } from '../../lib/synth.ts';

const USAGE = `Usage: storeflow <command> [options]

Commands:
  dev      Synthesize the app and show what the local runtime runs (see below)
  help     Show this help

Options for dev:
  --port <n>              Port of the local endpoint (default 4000)
  --data <dir>            Data directory (default .storeflow/)
  --clock real|virtual    Clock of the local runtime (default real)
  --stage dev|prod        Stage to synthesize (default dev)
  --quiet                 Print only errors
`;

export interface DevOptions {
  readonly port: number;
  readonly data: string;
  readonly clock: 'real' | 'virtual';
  readonly stage: 'dev' | 'prod';
  readonly quiet: boolean;
}

export class UsageError extends Error {}

/** Parses and validates `storeflow dev` options, naming the option and the reason on error. */
export function parseDevOptions(args: string[]): DevOptions {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string', default: '4000' },
      data: { type: 'string', default: '.storeflow' },
      clock: { type: 'string', default: 'real' },
      stage: { type: 'string', default: 'dev' },
      quiet: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port: "${values.port}" is not a port number (0-65535)`);
  }
  if (values.clock !== 'real' && values.clock !== 'virtual') {
    throw new UsageError(`--clock: "${values.clock}" must be real or virtual`);
  }
  if (values.stage !== 'dev' && values.stage !== 'prod') {
    throw new UsageError(`--stage: "${values.stage}" must be dev or prod`);
  }
  return { port, data: resolve(values.data), clock: values.clock, stage: values.stage, quiet: values.quiet };
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/** What the synthesized app contains, as the start-up summary shows it. */
export function summarize(outdir: string, stage: string) {
  const assembly = synthesize(outdir, { stage });
  const functions: Array<{ name: string; bundleBytes: number }> = [];
  const routes: string[] = [];
  const rules: string[] = [];
  for (const stack of assembly.stacks) {
    const resources = (stack.template as { Resources: Record<string, TemplateResource> }).Resources;
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type === 'AWS::Lambda::Function') {
        const asset = resource.Metadata?.['aws:asset:path'] as string | undefined;
        const bundleBytes = asset ? statSync(join(outdir, asset, 'index.mjs')).size : 0;
        functions.push({ name: id, bundleBytes });
      }
      if (resource.Type === 'AWS::ApiGatewayV2::Route') routes.push(String(resource.Properties?.RouteKey));
      if (resource.Type === 'AWS::Events::Rule') rules.push(id);
    }
  }
  return { stacks: assembly.stacks.map((s) => s.stackName), functions, routes: routes.sort(), rules };
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  try {
    if (command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (command !== 'dev') throw new UsageError(`unknown command "${command}"`);
    const options = parseDevOptions(rest);
    const outdir = join(options.data, 'cdk.out');
    const summary = summarize(outdir, options.stage);
    if (!options.quiet) {
      const lines = [
        `storeflow ${options.stage}: synthesized ${summary.stacks.join(', ')} into ${outdir}`,
        `functions (${summary.functions.length}):`,
        ...summary.functions.map((f) => `  ${f.name.padEnd(48)} ${(f.bundleBytes / 1024).toFixed(1)} KiB`),
        `routes (${summary.routes.length}):`,
        ...summary.routes.map((r) => `  ${r}`),
        `event rules (${summary.rules.length}):`,
        ...summary.rules.map((r) => `  ${r}`),
        '',
        'The embedded local runtime that serves these on one port (issue #4) is not built yet:',
        `this command synthesizes and checks the app (cdk-nag included) and stops. --port ${options.port},`,
        `--clock ${options.clock} and --data are accepted now and take effect with the runtime.`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`storeflow: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    process.stderr.write(`storeflow: ${(error as Error).stack ?? error}\n`);
    return 1;
  }
}
