import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostWarning, parseDevOptions, UsageError } from '../../local/cli/main.ts';

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
    expect(() => parseDevOptions(['--nope'])).toThrow(/Unknown option '--nope'/);
    expect(() => parseDevOptions(['--host', 'http://0.0.0.0'])).toThrow(
      new UsageError('--host: "http://0.0.0.0" is not an IP address or a host name'),
    );
    expect(() => parseDevOptions(['--host', 'a b'])).toThrow(/--host: "a b" is not an IP address/);
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
