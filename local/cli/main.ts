import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { UnsupportedResourceError } from '../runtime/assembly.ts';
import { DataDirLockedError } from '../runtime/data-dir.ts';
import { CliError, type CommandSpec, commandHelp, type Io, parseCommand, UsageError } from './args.ts';
import { DEV, dev, parseDevOptions } from './dev.ts';
import { RESET, reset } from './reset.ts';
import { RUNS, runs } from './runs.ts';
import { STATUS, status } from './status.ts';
import { TRAFFIC, traffic } from './traffic.ts';
import { TRIGGER, trigger } from './trigger.ts';

export { UsageError } from './args.ts';
export { formatSummary, hostWarning, parseDevOptions } from './dev.ts';

/** Every command: its spec (options and help) and what runs it. */
const COMMANDS: ReadonlyArray<{
  spec: CommandSpec;
  run: (args: readonly string[], io: Io) => Promise<number>;
}> = [
  {
    spec: DEV,
    run: async (args, io) => {
      if (parseCommand(DEV, args).help) {
        io.out(commandHelp(DEV));
        return 0;
      }
      return dev(parseDevOptions([...args], io.env));
    },
  },
  { spec: TRIGGER, run: trigger },
  { spec: TRAFFIC, run: traffic },
  { spec: STATUS, run: status },
  { spec: RUNS, run: runs },
  { spec: RESET, run: reset },
];

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    'Usage: storeflow <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.brief}`),
    `  ${'help'.padEnd(width)}Show this help, or a command's: storeflow help <command>`,
    '',
    'Options:',
    '  -h, --help     Show help (storeflow <command> --help for a command’s options)',
    '  -v, --version  Print the version',
    '',
    '`npm start` runs `storeflow dev`; `npx storeflow <command>` runs the others.',
    '',
  ].join('\n');
}

/** The process's streams, and a yes/no question on its terminal when it has one. */
export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  ...(process.stdin.isTTY
    ? {
        confirm: async (question: string) => {
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
          } finally {
            rl.close();
          }
        },
      }
    : {}),
};

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [first = 'help', ...rest] = argv;
  let command: (typeof COMMANDS)[number] | undefined;
  try {
    if (first === '--version' || first === '-v' || first === 'version') {
      io.out(`storeflow ${version()}\n`);
      return 0;
    }
    if (first === 'help' || first === '--help' || first === '-h') {
      const about = COMMANDS.find((c) => c.spec.name === rest[0]);
      if (rest[0] !== undefined && !about) throw new UsageError(`unknown command "${rest[0]}"`);
      io.out(about ? commandHelp(about.spec) : overview());
      return 0;
    }
    command = COMMANDS.find((c) => c.spec.name === first);
    if (!command) {
      throw new UsageError(
        first.startsWith('-')
          ? `unknown option ${first} (options come after the command: storeflow <command> ${first})`
          : `unknown command "${first}"`,
      );
    }
    return await command.run(rest, io);
  } catch (error) {
    const who = 'storeflow';
    if (error instanceof UsageError) {
      const help = command ? `storeflow ${command.spec.name} --help` : 'storeflow --help';
      io.err(`storeflow: ${error.message}\nRun \`${help}\` for usage.\n`);
      return 2;
    }
    const e = error as Error;
    if (error instanceof CliError || error instanceof DataDirLockedError) {
      io.err(`${who}: ${e.message}\n`);
      return 1;
    }
    if (error instanceof UnsupportedResourceError) {
      io.err(`${who}: cannot run this app locally: ${e.message}\n`);
      return 1;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      io.err(`storeflow: the port is in use (${e.message}); pick another with --port\n`);
      return 1;
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      io.err(`storeflow: --host: not an address of this machine (${e.message})\n`);
      return 1;
    }
    if (code === 'EACCES') {
      io.err(`storeflow: --port: not allowed to listen there (${e.message})\n`);
      return 1;
    }
    io.err(`${who}: ${e.stack ?? e}\n`);
    return 1;
  }
}
