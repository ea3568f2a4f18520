import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { stageNameProblem } from '../../lib/stage-name.ts';
import { MockConfig } from '../engine/mocks.ts';
import { prepareAssembly } from '../runtime/build.ts';
import { acquireDataDirLock, prepareDataDir } from '../runtime/data-dir.ts';
import { hostForUrl, isLoopback } from '../runtime/guard.ts';
import type { Runtime, RuntimeSummary } from '../runtime/runtime.ts';
import { SECRET_ENVIRONMENT } from '../runtime/secrets.ts';
import { bindServer, DEFAULT_HOST, endpointUrl } from '../runtime/server.ts';
import { type CommandSpec, parseCommand, UsageError } from './args.ts';
import { watchParent } from './parent.ts';
import { synthesizeInChild } from './synth-process.ts';

export const DEV: CommandSpec = {
  name: 'dev',
  brief: 'Run the whole app on this machine (npm start)',
  summary:
    'Runs the whole app on this machine: the synthesized cloud assembly (functions, workflows, rules, routes) on the local runtime, one port, no AWS account.',
  usage: '[options]',
  options: {
    port: {
      type: 'string',
      arg: 'n',
      default: '4000',
      help: 'Port of the local endpoint (0 picks a free one)',
    },
    host: {
      type: 'string',
      arg: 'address',
      default: DEFAULT_HOST,
      help: 'Address to listen on (127.0.0.1: this machine only). Any other address lets the network read the secrets and use the AWS endpoints',
    },
    data: {
      type: 'string',
      arg: 'dir',
      default: '.storeflow',
      help: 'Data directory: tables, executions, queues, events, clock, secrets',
    },
    clock: {
      type: 'string',
      arg: 'real|virtual',
      default: 'real',
      help: 'Clock of the runtime; virtual moves only via POST /_local/clock/advance',
    },
    stage: {
      type: 'string',
      arg: 'name',
      default: 'dev',
      help: 'Stage to synthesize (dev, prod or any stage name)',
    },
    'dynamodb-endpoint': {
      type: 'string',
      arg: 'url',
      help: 'Use this DynamoDB endpoint (e.g. DynamoDB Local) instead of the embedded store',
    },
    assembly: {
      type: 'string',
      arg: 'dir',
      help: 'Run this synthesized cloud assembly instead of synthesizing the app',
    },
    'mock-config': {
      type: 'string',
      arg: 'file',
      help: "Mocked service integrations (Step Functions Local's mock configuration format): start an execution on <stateMachineArn>#<test case> to run a test case (default: $SFN_MOCK_CONFIG, if set)",
    },
    quiet: { type: 'boolean', default: false, help: 'Print only the ready line and errors' },
  },
  details: `Environment (each overrides <data>/secrets.json's value and is never written to it):
  ${Object.values(SECRET_ENVIRONMENT).join(', ')}`,
};

export interface DevOptions {
  readonly port: number;
  readonly host: string;
  readonly data: string;
  readonly clock: 'real' | 'virtual';
  readonly stage: string;
  readonly quiet: boolean;
  readonly dynamodbEndpoint?: string;
  readonly assembly?: string;
  /** A mock configuration file (checked when the options are parsed). */
  readonly mockConfig?: string;
}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Parses and validates `storeflow dev` options, naming the option and the reason on error. */
export function parseDevOptions(
  args: string[],
  env: Readonly<Record<string, string | undefined>> = {},
): DevOptions {
  const { values: parsed } = parseCommand(DEV, args);
  const values = parsed as {
    port: string;
    host: string;
    data: string;
    clock: string;
    stage: string;
    quiet: boolean;
    'dynamodb-endpoint'?: string;
    assembly?: string;
    'mock-config'?: string;
  };
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    throw new UsageError(`--port: "${values.port}" is not a port number (0-65535)`);
  }
  const host = /^\[.*\]$/.test(values.host) ? values.host.slice(1, -1) : values.host;
  if (isIP(host) === 0 && !HOST_NAME.test(host)) {
    throw new UsageError(`--host: "${values.host}" is not an IP address or a host name`);
  }
  if (values.clock !== 'real' && values.clock !== 'virtual') {
    throw new UsageError(`--clock: "${values.clock}" must be real or virtual`);
  }
  const stageProblem = stageNameProblem(values.stage);
  if (stageProblem) throw new UsageError(`--stage: ${stageProblem}`);
  const endpoint = values['dynamodb-endpoint'];
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new UsageError(`--dynamodb-endpoint: "${endpoint}" is not an http(s) URL`);
  }
  if (values.assembly !== undefined && !existsSync(join(values.assembly, 'manifest.json'))) {
    throw new UsageError(`--assembly: "${values.assembly}" is not a cloud assembly (no manifest.json)`);
  }
  const mockFlag = values['mock-config'] !== undefined;
  const mockFile = values['mock-config'] ?? (env.SFN_MOCK_CONFIG || undefined);
  if (mockFile !== undefined) {
    try {
      MockConfig.load(mockFile);
    } catch (e) {
      throw new UsageError(`${mockFlag ? '--mock-config' : 'SFN_MOCK_CONFIG'}: ${(e as Error).message}`);
    }
  }
  return {
    port,
    host,
    data: resolve(values.data),
    clock: values.clock,
    stage: values.stage,
    quiet: values.quiet,
    ...(endpoint !== undefined ? { dynamodbEndpoint: endpoint } : {}),
    ...(values.assembly !== undefined ? { assembly: resolve(values.assembly) } : {}),
    ...(mockFile !== undefined ? { mockConfig: resolve(mockFile) } : {}),
  };
}

/** The start-up summary, as printed. */
export function formatSummary(s: RuntimeSummary, adminHint: boolean): string {
  const section = (title: string, items: string[]) =>
    items.length ? [`${title} (${items.length}):`, ...items.map((i) => `  ${i}`)] : [`${title}: none`];
  return [
    `storeflow local runtime ready on ${s.endpoint}`,
    ...(s.console ? [`  console    ${s.console} (sign in with the admin token)`] : []),
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
    ...section(
      'queues',
      s.queues.map((q) => (s.deadLetterQueues.includes(q) ? `${q} (dead letters)` : q)),
    ),
    `AWS SDK / CLI: endpoint ${s.endpoint}, region us-east-1, any credentials`,
    'Ctrl-C stops; the next start resumes from the data directory.',
    '',
  ].join('\n');
}

/** The warning for a runtime bound to an address other machines can reach; none for loopback. */
export function hostWarning(address: string, port: number): string | undefined {
  if (isLoopback(address)) return undefined;
  const where =
    address === '0.0.0.0' || address === '::' ? 'every network interface' : `${hostForUrl(address)}`;
  return (
    `warning: listening on ${where} (port ${port}), not only on this machine: anything that can reach ` +
    'it on the network can read the webhook secrets and the admin token (Secrets Manager API), read ' +
    'and write the table, start runs and put events. Use --host 127.0.0.1 unless that is what you want.'
  );
}

/** `storeflow dev`: runs until a stop request (a signal, or the parent process gone). */
export async function dev(options: DevOptions): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const err = (line: string) => process.stderr.write(`storeflow: ${line}\n`);
  const stream = options.quiet
    ? () => {}
    : (line: string) => out(`${new Date().toISOString().slice(11, 23)} ${line}`);
  // Output with nowhere to go (a supervisor's pipe closed under it) must not crash a clean shutdown.
  for (const s of [process.stdout, process.stderr]) s.on('error', () => {});

  // A stop request (a signal, or the parent process gone) ends start-up or the runtime cleanly; a
  // second signal exits at once.
  const stop = new AbortController();
  let stopReason = '';
  const requestStop = (reason: string) => {
    if (stop.signal.aborted) return;
    stopReason = reason;
    stop.abort();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      err(`${signal} again, exiting without a clean shutdown`);
      process.exit(1);
    }
    requestStop(signal);
  };
  // SIGHUP (the terminal closed) stops cleanly too (Node resets it to "terminate" at start-up anyway).
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  const unwatch = watchParent((pid) => requestStop(`the parent process (pid ${pid}) exited`));
  try {
    for (const line of prepareDataDir(options.data)) err(line);
    // Before anything slow: the data directory's lock, then the port.
    const lock = acquireDataDirLock(options.data);
    let server: Server | undefined;
    let runtime: Runtime;
    try {
      server = await bindServer(options.port, options.host);
      const { address, port } = server.address() as AddressInfo;
      lock.update({ port, url: endpointUrl(server) });
      const warning = hostWarning(address, port);
      if (warning) err(warning);

      let assemblyDir = options.assembly;
      if (!assemblyDir) {
        assemblyDir = join(options.data, 'cdk.out');
        const started = performance.now();
        const state = await prepareAssembly(
          assemblyDir,
          { stage: options.stage },
          async (outdir, context) => {
            if (!options.quiet)
              out(`synthesizing the app (stage ${options.stage}, bundling every function)...`);
            // One line per bundled function instead of esbuild's output; nothing when quiet.
            await synthesizeInChild({
              outdir,
              context,
              quiet: options.quiet,
              onStep: out,
              signal: stop.signal,
            });
          },
        );
        if (!options.quiet) {
          out(
            state === 'reused'
              ? `cloud assembly up to date in ${assemblyDir}`
              : `synthesized into ${assemblyDir} in ${((performance.now() - started) / 1000).toFixed(1)}s`,
          );
        }
      }
      if (stop.signal.aborted) throw new Error('stopped');
      const { startRuntime } = await import('../runtime/runtime.ts');
      runtime = await startRuntime({
        assemblyDir,
        dataDir: options.data,
        port: options.port,
        host: options.host,
        server,
        lock,
        environment: process.env,
        clock: options.clock,
        ...(options.dynamodbEndpoint ? { dynamodbEndpoint: options.dynamodbEndpoint } : {}),
        ...(options.mockConfig ? { mockConfig: options.mockConfig } : {}),
        log: stream,
      });
    } catch (error) {
      server?.close();
      lock.release();
      if (stop.signal.aborted) {
        if (!options.quiet) out(`${stopReason}: stopped while starting`);
        return 0;
      }
      throw error;
    }
    if (!stop.signal.aborted) {
      if (options.quiet) out(`storeflow local runtime ready on ${runtime.url}`);
      else out(formatSummary(runtime.summary, true));
      await new Promise((resolveStop) => stop.signal.addEventListener('abort', resolveStop, { once: true }));
    }
    if (!options.quiet) out(`${stopReason}: shutting down (flushing the data directory)...`);
    try {
      await runtime.close();
      return 0;
    } catch (error) {
      err(`shutdown failed: ${(error as Error).message}`);
      return 1;
    }
  } finally {
    unwatch();
    for (const signal of signals) process.off(signal, onSignal);
  }
}
