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
