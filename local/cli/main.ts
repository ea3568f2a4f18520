import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UnsupportedResourceError } from '../runtime/assembly.ts';
import { prepareAssembly } from '../runtime/build.ts';
import type { Runtime, RuntimeSummary } from '../runtime/runtime.ts';

const USAGE = `Usage: storeflow <command> [options]

Commands:
  dev      Run the whole app on this machine: the local runtime on one port
  help     Show this help

Options for dev:
  --port <n>                  Port of the local endpoint (default 4000; 0 picks a free one)
  --data <dir>                Data directory: tables, executions, queues, events, clock (default .storeflow/)
  --clock real|virtual        Clock of the runtime (default real); virtual moves only via
                              POST /_local/clock/advance
  --stage dev|prod            Stage to synthesize (default dev)
  --dynamodb-endpoint <url>   Use this DynamoDB endpoint (e.g. DynamoDB Local) instead of the
                              embedded store
  --assembly <dir>            Run this synthesized cloud assembly instead of synthesizing the app
  --quiet                     Print only the ready line and errors
`;

export interface DevOptions {
  readonly port: number;
  readonly data: string;
  readonly clock: 'real' | 'virtual';
  readonly stage: 'dev' | 'prod';
  readonly quiet: boolean;
  readonly dynamodbEndpoint?: string;
  readonly assembly?: string;
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
      'dynamodb-endpoint': { type: 'string' },
      assembly: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new UsageError(`--port: "${values.port}" is not a port number (0-65535)`);
  }
  if (values.clock !== 'real' && values.clock !== 'virtual') {
    throw new UsageError(`--clock: "${values.clock}" must be real or virtual`);
  }
  if (values.stage !== 'dev' && values.stage !== 'prod') {
    throw new UsageError(`--stage: "${values.stage}" must be dev or prod`);
  }
  const endpoint = values['dynamodb-endpoint'];
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new UsageError(`--dynamodb-endpoint: "${endpoint}" is not an http(s) URL`);
  }
  if (values.assembly !== undefined && !existsSync(join(values.assembly, 'manifest.json'))) {
    throw new UsageError(`--assembly: "${values.assembly}" is not a cloud assembly (no manifest.json)`);
  }
  return {
    port,
    data: resolve(values.data),
    clock: values.clock,
    stage: values.stage,
    quiet: values.quiet,
    ...(endpoint !== undefined ? { dynamodbEndpoint: endpoint } : {}),
    ...(values.assembly !== undefined ? { assembly: resolve(values.assembly) } : {}),
  };
}

/** The start-up summary, as printed. */
export function formatSummary(s: RuntimeSummary, adminHint: boolean): string {
  const section = (title: string, items: string[]) =>
    items.length ? [`${title} (${items.length}):`, ...items.map((i) => `  ${i}`)] : [`${title}: none`];
  return [
    `storeflow local runtime ready on ${s.endpoint}`,
    `  data       ${s.dataDir}`,
    `  clock      ${s.clock}`,
    `  dynamodb   ${s.dynamodb}: ${s.tables.join(', ')}`,
    `  secrets    ${s.secretsFile}${adminHint ? ' (admin token and webhook signing secrets)' : ''}`,
    ...(s.secretsFromEnvironment.length
      ? [`             overridden by the environment: ${s.secretsFromEnvironment.join(', ')}`]
      : []),
    ...section(
      'functions',
      s.functions.map((f) => `${f.name.padEnd(56)} ${f.bundleKiB.toFixed(1)} KiB`),
    ),
    ...section('workflows', s.workflows),
    ...section(
      'routes',
      s.routes.map((r) => `${r.padEnd(40)} ${s.endpoint}${r.split(' ')[1] ?? ''}`),
    ),
    ...section('event buses', s.buses),
    ...section('event rules', s.rules),
    ...section('schedules', s.schedules),
    ...section('queues', s.queues),
    `AWS SDK / CLI: endpoint ${s.endpoint}, region us-east-1, any credentials`,
    'Ctrl-C stops; the next start resumes from the data directory.',
    '',
  ].join('\n');
}

async function dev(options: DevOptions): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const stream = options.quiet
    ? () => {}
    : (line: string) => out(`${new Date().toISOString().slice(11, 23)} ${line}`);
  let assemblyDir = options.assembly;
  if (!assemblyDir) {
    assemblyDir = join(options.data, 'cdk.out');
    const started = performance.now();
    const state = await prepareAssembly(assemblyDir, { stage: options.stage }, async (outdir, context) => {
      if (!options.quiet) out(`synthesizing the app (stage ${options.stage}, bundling every function)...`);
      const { synthesize } = await import('../../lib/synth.ts');
      synthesize(outdir, context);
    });
    if (!options.quiet) {
      out(
        state === 'reused'
          ? `cloud assembly up to date in ${assemblyDir}`
          : `synthesized into ${assemblyDir} in ${((performance.now() - started) / 1000).toFixed(1)}s`,
      );
    }
  }
  const { startRuntime } = await import('../runtime/runtime.ts');
  const runtime: Runtime = await startRuntime({
    assemblyDir,
    dataDir: options.data,
    port: options.port,
    environment: process.env,
    clock: options.clock,
    ...(options.dynamodbEndpoint ? { dynamodbEndpoint: options.dynamodbEndpoint } : {}),
    log: stream,
  });
  if (options.quiet) out(`storeflow local runtime ready on ${runtime.url}`);
  else out(formatSummary(runtime.summary, true));

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write(`storeflow: ${signal} again, exiting without a clean shutdown\n`);
        process.exit(1);
      }
      stopping = true;
      if (!options.quiet) out(`${signal}: shutting down (flushing the data directory)...`);
      runtime.close().then(
        () => resolveExit(0),
        (error: Error) => {
          process.stderr.write(`storeflow: shutdown failed: ${error.message}\n`);
          resolveExit(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  try {
    if (command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (command !== 'dev') throw new UsageError(`unknown command "${command}"`);
    return await dev(parseDevOptions(rest));
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`storeflow: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    const e = error as Error;
    if (error instanceof UnsupportedResourceError) {
      process.stderr.write(`storeflow: cannot run this app locally: ${e.message}\n`);
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`storeflow: the port is in use (${e.message}); pick another with --port\n`);
      return 1;
    }
    process.stderr.write(`storeflow: ${e.stack ?? e}\n`);
    return 1;
  }
}
