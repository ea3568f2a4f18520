import { describe, expect, it } from 'vitest';
import { parseDevOptions, UsageError } from '../../local/cli/main.ts';

describe('storeflow dev options', () => {
  it('has the documented defaults', () => {
    expect(parseDevOptions([])).toMatchObject({ port: 4000, clock: 'real', stage: 'dev', quiet: false });
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
      ]),
    ).toEqual({
      port: 0,
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
  });
});
