import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../../local/cli/args.ts';
import { hostWarning, main, parseDevOptions, UsageError } from '../../local/cli/main.ts';
import { acquireDataDirLock, LOCK_FILE } from '../../local/runtime/data-dir.ts';

describe('storeflow dev options', () => {
  it('has the documented defaults', () => {
    expect(parseDevOptions([])).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      clock: 'real',
      stage: 'dev',
      quiet: false,
    });
    expect(parseDevOptions([]).data).toMatch(/\.storeflow$/);
  });

  it('reads every option', () => {
    expect(
      parseDevOptions([
        '--port',
        '0',
        '--data',
        '/tmp/x',
        '--clock',
        'virtual',
        '--quiet',
        '--stage',
        'prod',
        '--host',
        '0.0.0.0',
      ]),
    ).toEqual({
      port: 0,
      host: '0.0.0.0',
      data: '/tmp/x',
      clock: 'virtual',
      stage: 'prod',
      quiet: true,
    });
  });

  it('names the option and the reason on bad input', () => {
    expect(() => parseDevOptions(['--port', '70000'])).toThrow(
      new UsageError('--port: "70000" is not a port number (0-65535)'),
    );
    expect(() => parseDevOptions(['--clock', 'fast'])).toThrow(/--clock: "fast" must be real or virtual/);
    expect(() => parseDevOptions(['--nope'])).toThrow(new UsageError('unknown option --nope'));
    expect(() => parseDevOptions(['--stage', 'Prod'])).toThrow(/^--stage: "Prod" is not a stage name/);
    expect(() => parseDevOptions(['--host', 'http://0.0.0.0'])).toThrow(
      new UsageError('--host: "http://0.0.0.0" is not an IP address or a host name'),
    );
    expect(() => parseDevOptions(['--host', 'a b'])).toThrow(/--host: "a b" is not an IP address/);
  });

  it('takes any stage name', () => {
    expect(parseDevOptions(['--stage', 'staging']).stage).toBe('staging');
  });

  it('--mock-config (or SFN_MOCK_CONFIG) names a mock configuration, checked when parsed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-mocks-'));
    try {
      const good = join(dir, 'mocks.json');
      writeFileSync(
        good,
        JSON.stringify({
          StateMachines: { m: { TestCases: { T: { S: 'R' } } } },
          MockedResponses: { R: { '0': { Return: {} } } },
        }),
      );
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ StateMachines: {}, MockedResponses: { R: { x: { Return: 1 } } } }));
      expect(parseDevOptions(['--mock-config', good]).mockConfig).toBe(good);
      expect(parseDevOptions([], { SFN_MOCK_CONFIG: good }).mockConfig).toBe(good);
      expect(parseDevOptions([]).mockConfig).toBeUndefined();
      expect(() => parseDevOptions(['--mock-config', bad])).toThrow(
        new UsageError(
          '--mock-config: mock configuration: MockedResponses.R.x: attempt keys are "n" or "n-m"',
        ),
      );
      expect(() => parseDevOptions([], { SFN_MOCK_CONFIG: join(dir, 'none.json') })).toThrow(
        /^SFN_MOCK_CONFIG: mock configuration .*none\.json: ENOENT/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes IPv6 addresses with or without brackets, and host names', () => {
    expect(parseDevOptions(['--host', '[::1]']).host).toBe('::1');
    expect(parseDevOptions(['--host', '::']).host).toBe('::');
    expect(parseDevOptions(['--host', 'dev-box.local']).host).toBe('dev-box.local');
  });
});

describe('the --host warning', () => {
  it('says nothing for loopback addresses', () => {
    for (const address of ['127.0.0.1', '127.0.1.1', '::1', '::ffff:127.0.0.1']) {
      expect(hostWarning(address, 4000)).toBeUndefined();
    }
  });

  it('says what the network can then reach, for every other address', () => {
    expect(hostWarning('0.0.0.0', 4000)).toMatch(
      /^warning: listening on every network interface \(port 4000\), not only on this machine: .*webhook secrets and the admin token.*Use --host 127\.0\.0\.1/,
    );
    expect(hostWarning('192.168.1.20', 4000)).toMatch(/listening on 192\.168\.1\.20 \(port 4000\)/);
    expect(hostWarning('fe80::1', 4000)).toMatch(/listening on \[fe80::1\]/);
  });
});

describe('the command line', () => {
  const run = async (argv: string[], more: Partial<Io> = {}) => {
    let out = '';
    let err = '';
    const io: Io = {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
      env: {},
      ...more,
    };
    const code = await main(argv, io);
    return { code, out, err };
  };

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-v'])
      expect(await run([flag])).toEqual({ code: 0, out: `storeflow ${pkg.version}\n`, err: '' });
  });

  it('--help lists every command; <command> --help and help <command> show its options', async () => {
    const overview = await run(['--help']);
    expect(overview.code).toBe(0);
    for (const command of ['dev', 'trigger', 'traffic', 'status', 'runs', 'reset', 'help'])
      expect(overview.out).toMatch(new RegExp(`^  ${command} `, 'm'));
    for (const command of ['dev', 'trigger', 'traffic', 'status', 'runs', 'reset']) {
      const help = await run([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.out).toMatch(new RegExp(`^Usage: storeflow ${command} `));
      expect(help.out).toContain('--data <dir>');
      expect((await run(['help', command])).out).toBe(help.out);
      expect((await run([command, '-h'])).out).toBe(help.out);
    }
  });

  it('a bad flag, command or value: exit code 2, the flag named, a pointer to the help', async () => {
    expect(await run(['trigger', 'orders/paid', '--bogus'])).toEqual({
      code: 2,
      out: '',
      err: 'storeflow: unknown option --bogus\nRun `storeflow trigger --help` for usage.\n',
    });
    expect(await run(['status', '--port'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^storeflow: --port needs a value/),
    });
    expect(await run(['reset', '--yes=no'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^storeflow: --yes takes no value/),
    });
    expect(await run(['traffic', '--days', '1'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--users is required/),
    });
    expect(await run(['traffic', '--users', '10', '--days', '0'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--days: "0" must be a whole number from 1 to 90/),
    });
    expect(await run(['traffic', '--users', '10', '--days', '1', '--conversion', '3x'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--conversion: "3x" must be a share/),
    });
    expect(await run(['dev', '--clock', 'fast'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--clock: "fast" must be real or virtual/),
    });
    expect(await run(['deploy'])).toMatchObject({
      code: 2,
      err: 'storeflow: unknown command "deploy"\nRun `storeflow --help` for usage.\n',
    });
    expect(await run(['--port', '4000'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/^storeflow: unknown option --port \(options come after the command/),
    });
    expect(await run(['trigger', 'orders/shipped'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(
        /^storeflow: unknown topic or type "orders\/shipped": one of orders\/create, .*competitor\.price_observed/,
      ),
    });
    expect(await run(['trigger', 'orders/paid', '--duplicate-rate', '1'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--duplicate-rate: "1" must be a number from 0 up to \(not including\) 1/),
    });
    expect(await run(['trigger', 'orders/paid', '--count', '0'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/--count: "0" must be a whole number from 1/),
    });
  });

  it('trigger without a runtime on the data directory says so (exit 1)', async () => {
    const data = mkdtempSync(join(tmpdir(), 'storeflow-cli-'));
    try {
      expect(await run(['trigger', 'orders/paid', '--data', data])).toEqual({
        code: 1,
        out: '',
        err: `storeflow: no storeflow runtime is running on ${data}: start one (npm start, or storeflow dev --data ${data}), or name it with --port or --url\n`,
      });
      expect(await run(['status', '--data', data])).toEqual({
        code: 3,
        out: `no storeflow runtime is running on ${data}\n`,
        err: '',
      });
      // --print signs without sending: with the environment's secret when it is set…
      const printed = await run(['trigger', 'ticket.opened', '--port', '4000', '--data', data, '--print'], {
        env: { STOREFLOW_WEBHOOK_SECRET: 'from-env' },
      });
      expect(printed.code).toBe(0);
      const [head, body] = printed.out.split('\n\n');
      expect(head).toMatch(
        /^POST http:\/\/127\.0\.0\.1:4000\/webhooks\/storeflow\ncontent-type: application\/json\nstoreflow-signature: t=\d+,v1=[0-9a-f]{64}\n/,
      );
      expect(JSON.parse(body!)).toMatchObject({
        type: 'ticket.opened',
        data: { subject: expect.any(String) },
      });
      // …else from the data directory's secrets.json, which a runtime writes on its first start
      expect(await run(['trigger', 'orders/paid', '--port', '4000', '--data', data, '--print'])).toEqual({
        code: 1,
        out: '',
        err: `storeflow: no ${join(data, 'secrets.json')}: start the runtime once on this data directory (storeflow dev --data ${data}) or set SHOPIFY_WEBHOOK_SECRET\n`,
      });
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('storeflow reset', () => {
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'storeflow-reset-'));
    writeFileSync(join(dir, 'secrets.json'), '{}');
    mkdirSync(join(dir, 'dynamodb'));
    writeFileSync(join(dir, 'dynamodb', 'table'), 'x');
    writeFileSync(join(dir, 'clock.json'), '{}');
    return dir;
  };
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const io = (answer?: boolean): Io & { text: () => string } => {
    let text = '';
    return {
      out: (t) => {
        text += t;
      },
      err: (t) => {
        text += t;
      },
      env: {},
      ...(answer === undefined ? {} : { confirm: async () => answer }),
      text: () => text,
    };
  };

  it('--yes deletes the data directory', async () => {
    const dir = dataDir();
    dirs.push(dir);
    const o = io();
    expect(await main(['reset', '--data', dir, '--yes'], o)).toBe(0);
    expect(o.text()).toBe(`deleted ${dir} (3 entries)\n`);
    expect(existsSync(dir)).toBe(false);
  });

  it('asks on a terminal and deletes nothing when declined; refuses with no terminal and no --yes', async () => {
    const dir = dataDir();
    dirs.push(dir);
    const declined = io(false);
    expect(await main(['reset', '--data', dir], declined)).toBe(1);
    expect(declined.text()).toBe('nothing deleted\n');
    const noTerminal = io();
    expect(await main(['reset', '--data', dir], noTerminal)).toBe(1);
    expect(noTerminal.text()).toBe(
      `storeflow: not deleting ${dir} without confirmation: run it in a terminal, or pass --yes\n`,
    );
    expect(readdirSync(dir).sort()).toEqual(['clock.json', 'dynamodb', 'secrets.json']);
    expect(await main(['reset', '--data', dir], io(true))).toBe(0);
    expect(existsSync(dir)).toBe(false);
  });

  it('--keep-secrets keeps secrets.json and nothing else', async () => {
    const dir = dataDir();
    dirs.push(dir);
    const o = io();
    expect(await main(['reset', '--data', dir, '--yes', '--keep-secrets'], o)).toBe(0);
    expect(o.text()).toBe(`reset ${dir}: 2 entries deleted, secrets.json kept\n`);
    expect(readdirSync(dir)).toEqual(['secrets.json']);
  });

  it('refuses while a runtime holds the directory', async () => {
    const dir = dataDir();
    dirs.push(dir);
    const lock = acquireDataDirLock(dir);
    lock.update({ port: 4123, url: 'http://127.0.0.1:4123' });
    try {
      const o = io(true);
      expect(await main(['reset', '--data', dir, '--yes'], o)).toBe(1);
      expect(o.text()).toBe(
        `storeflow: a storeflow runtime is using ${dir} (pid ${process.pid}, serving http://127.0.0.1:4123): stop it first (Ctrl-C), then reset\n`,
      );
      expect(readdirSync(dir).sort()).toEqual(['clock.json', 'dynamodb', LOCK_FILE, 'secrets.json'].sort());
    } finally {
      lock.release();
    }
  });

  it('never deletes what is not a data directory', async () => {
    const project = mkdtempSync(join(tmpdir(), 'storeflow-reset-'));
    dirs.push(project);
    writeFileSync(join(project, 'package.json'), '{}');
    writeFileSync(join(project, 'secrets.json'), '{}');
    const o = io(true);
    expect(await main(['reset', '--data', project, '--yes'], o)).toBe(1);
    expect(o.text()).toMatch(/^storeflow: not deleting: .* holds a package\.json or \.git/);
    const other = mkdtempSync(join(tmpdir(), 'storeflow-reset-'));
    dirs.push(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect(await main(['reset', '--data', other, '--yes'], io(true))).toBe(1);
    expect(await main(['reset', '--data', homedir(), '--yes'], io(true))).toBe(1);
    expect(existsSync(join(project, 'package.json')) && existsSync(join(other, 'notes.txt'))).toBe(true);
    expect(await main(['reset', '--data', join(other, 'missing'), '--yes'], o)).toBe(0);
  });
});
