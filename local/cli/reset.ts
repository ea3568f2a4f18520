import { existsSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, parse, resolve } from 'node:path';
import { PROJECT_ROOT } from '../runtime/build.ts';
import { acquireDataDirLock, LOCK_FILE, runtimeHolding } from '../runtime/data-dir.ts';
import { CliError, type CommandSpec, commandHelp, type Io, parseCommand } from './args.ts';

export const RESET: CommandSpec = {
  name: 'reset',
  brief: 'Delete a data directory (refused while a runtime uses it)',
  summary:
    'Deletes the data directory: tables, runs, queued events and messages, schedules, the clock, logs, the synthesized assembly and (unless --keep-secrets) the secrets. Refuses while a runtime uses it.',
  usage: '[options]',
  options: {
    data: { type: 'string', arg: 'dir', default: '.storeflow', help: 'Data directory to delete' },
    yes: { type: 'boolean', short: 'y', help: 'Do not ask for confirmation' },
    'keep-secrets': {
      type: 'boolean',
      help: 'Keep secrets.json (the admin token and webhook secrets your tools use)',
    },
  },
  details: `Without --yes it asks on the terminal, and refuses when there is none (a script: pass --yes).
It deletes only a directory a runtime made (one holding secrets.json, a lock, an assembly, tables or
runs), never a project or home directory.`,
};

/** What a runtime leaves in its data directory: one of them marks a directory as one (README). */
const MARKERS = ['secrets.json', LOCK_FILE, 'clock.json', 'cdk.out', 'dynamodb', 'sfn', 'events', 'sqs'];

/** Why `dir` must not be deleted as a data directory, or undefined. */
function notADataDir(dir: string): string | undefined {
  if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
  if ([PROJECT_ROOT.replace(/\/$/, ''), homedir(), parse(dir).root].includes(dir)) {
    return `${dir} is the project, home or root directory, not a data directory`;
  }
  const entries = readdirSync(dir);
  if (entries.includes('package.json') || entries.includes('.git')) {
    return `${dir} holds a package.json or .git: it looks like a project, not a data directory`;
  }
  if (entries.length && !entries.some((e) => MARKERS.includes(e))) {
    return `${dir} does not look like a storeflow data directory (none of ${MARKERS.join(', ')})`;
  }
  return undefined;
}

export async function reset(args: readonly string[], io: Io): Promise<number> {
  const { values, help } = parseCommand(RESET, args);
  if (help) {
    io.out(commandHelp(RESET));
    return 0;
  }
  const dir = resolve(values.data as string);
  const keepSecrets = values['keep-secrets'] === true;
  if (!existsSync(dir)) {
    io.out(`nothing to reset: there is no ${dir}\n`);
    return 0;
  }
  const problem = notADataDir(dir);
  if (problem) throw new CliError(`not deleting: ${problem}`);
  const holder = runtimeHolding(dir);
  if (holder) {
    throw new CliError(
      `a storeflow runtime is using ${dir} (pid ${holder.pid}${holder.url ? `, serving ${holder.url}` : ''}): stop it first (Ctrl-C), then reset`,
    );
  }
  if (values.yes !== true) {
    if (!io.confirm) {
      throw new CliError(`not deleting ${dir} without confirmation: run it in a terminal, or pass --yes`);
    }
    const what = keepSecrets
      ? 'everything in it but secrets.json'
      : 'it and everything in it, the admin token and webhook secrets included';
    if (!(await io.confirm(`Delete ${dir}: ${what}?`))) {
      io.out('nothing deleted\n');
      return 1;
    }
  }
  // Held while deleting, so a runtime starting meanwhile stops at the lock instead of reading a
  // half-deleted directory (and a runtime that started since the check above stops this).
  const lock = acquireDataDirLock(dir);
  let removed = 0;
  try {
    for (const entry of readdirSync(dir)) {
      if (entry === LOCK_FILE || (keepSecrets && entry === 'secrets.json')) continue;
      rmSync(join(dir, entry), { recursive: true, force: true });
      removed++;
    }
  } finally {
    lock.release();
  }
  if (!keepSecrets) {
    try {
      rmdirSync(dir);
    } catch (error) {
      // something appeared meanwhile (a runtime that just took the lock): leave it
      throw new CliError(`emptied ${dir} but could not remove it: ${(error as Error).message}`);
    }
  }
  io.out(
    keepSecrets
      ? `reset ${dir}: ${removed} entries deleted, secrets.json kept\n`
      : `deleted ${dir} (${removed} entries)\n`,
  );
  return 0;
}
