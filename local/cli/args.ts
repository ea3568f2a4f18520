import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * The CLI's argument layer: each command declares its options once, in a table that both
 * `util.parseArgs` (strict: an unknown flag is an error) and the command's `--help` are made from,
 * so the help can never list an option the parser does not know, or miss one it does (decision 27).
 */

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** may be given several times (`--set a=1 --set b=2`) */
  readonly multiple?: boolean;
  readonly short?: string;
  /** the value's name in the help (`--port <n>`) */
  readonly arg?: string;
  readonly default?: string | boolean;
  /** one or more lines of help */
  readonly help: string;
}

export interface CommandSpec {
  readonly name: string;
  /** a few words for the command list of `storeflow help` */
  readonly brief: string;
  /** what it does, at the top of its `--help` */
  readonly summary: string;
  /** what follows `storeflow <name>` in the usage line, e.g. `<topic|type> [options]` */
  readonly usage: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** how many positional arguments it takes (default none) */
  readonly positionals?: { readonly min: number; readonly max: number };
  /** paragraphs after the options: examples, environment, exit codes */
  readonly details?: string;
}

/** Where a command writes and what it reads: the process's streams, or a test's capture. */
export interface Io {
  /** stdout; `text` carries its own newlines */
  out(text: string): void;
  /** stderr */
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** asks a yes/no question on the terminal; undefined when there is none (stdin not a TTY) */
  readonly confirm?: (question: string) => Promise<boolean>;
}

/** A mistake in the command line: printed with a pointer to the help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure the operator can act on (no runtime, no secrets file): its message alone, exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'Show this help' };

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
  readonly help: boolean;
}

/**
 * Parses a command's arguments strictly. Errors are {@link UsageError}s naming the flag or
 * argument: `unknown option --nope`, `--port needs a value`, `unexpected argument "x"`.
 */
export function parseCommand(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  const options = { ...spec.options, help: HELP_OPTION };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          {
            type: o.type,
            ...(o.multiple ? { multiple: true } : {}),
            ...(o.short ? { short: o.short } : {}),
            ...(o.default !== undefined ? { default: o.default } : {}),
          },
        ]),
      ) as NonNullable<ParseArgsConfig['options']>,
      strict: true,
      allowPositionals: (spec.positionals?.max ?? 0) > 0,
    });
  } catch (error) {
    throw usageErrorOf(error, spec);
  }
  const values = parsed.values as ParsedArgs['values'];
  const help = values.help === true;
  const positionals = parsed.positionals;
  if (!help) {
    const { min, max } = spec.positionals ?? { min: 0, max: 0 };
    if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max]}"`);
    if (positionals.length < min) throw new UsageError(`missing ${spec.usage.split(' ')[0]}`);
  }
  return { values, positionals, help };
}

/** Node's parseArgs errors, reworded to name the flag the way the help spells it. */
function usageErrorOf(error: unknown, spec: CommandSpec): unknown {
  const e = error as { code?: string; message: string };
  if (!e.code?.startsWith('ERR_PARSE_ARGS')) return error;
  // Node names an option `'-y, --yes'` or `'--count <value>'`: the long name is the one to show.
  const flag = /'[^']*?(--[^' ,<]+)/.exec(e.message)?.[1] ?? /'(-[^' ,]+)/.exec(e.message)?.[1];
  const arg = /'([^']*)'/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option ${flag ?? arg}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument "${arg}"`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = flag?.replace(/^-+/, '') ?? '';
      const known = spec.options[name];
      if (/does not take an argument/.test(e.message)) return new UsageError(`${flag} takes no value`);
      if (known?.type === 'string')
        return new UsageError(`${flag} needs a value (${flag} <${known.arg ?? 'value'}>)`);
      return new UsageError(e.message);
    }
    default:
      return new UsageError(e.message);
  }
}

const wrap = (text: string, width: number): string[] => {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
};

/** `storeflow <command> --help`: usage, summary, the option table, details. */
export function commandHelp(spec: CommandSpec): string {
  const options = { ...spec.options, help: HELP_OPTION };
  const left = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` <${o.arg ?? 'value'}>` : ''}`;
    return { flag, o };
  });
  const column = Math.min(30, Math.max(...left.map((l) => l.flag.length)) + 2);
  const indent = `  ${' '.repeat(column)}`;
  const rows = left.flatMap(({ flag, o }) => {
    const extra =
      o.default !== undefined && o.default !== false && o.default !== ''
        ? ` (default ${String(o.default)})`
        : o.multiple
          ? ' (repeatable)'
          : '';
    const text = wrap(`${o.help}${extra}`, 96 - indent.length);
    // A flag too long for the column gets its own line, its help below it.
    const head =
      flag.length + 2 > column
        ? [`  ${flag}`, `${indent}${text[0]}`]
        : [`  ${flag.padEnd(column)}${text[0]}`];
    return [...head, ...text.slice(1).map((t) => `${indent}${t}`)];
  });
  return [
    `Usage: storeflow ${spec.name} ${spec.usage}`.trimEnd(),
    '',
    ...wrap(spec.summary, 96),
    '',
    'Options:',
    ...rows,
    ...(spec.details ? ['', spec.details.trimEnd()] : []),
    '',
  ].join('\n');
}
