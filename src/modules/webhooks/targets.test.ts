import { describe, expect, it } from 'vitest';
import { guardedLookup, parseTarget, refusedAddress, resolveTarget } from './targets.ts';

const production = { NODE_ENV: 'production' as const };
const development = { NODE_ENV: 'development' as const };

describe('webhook targets', () => {
  it('refuses every address that is not public unicast, and only those', () => {
    // Written from the IANA special-purpose registries, not from the list in targets.ts.
    const refused = [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.254',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd12:3456::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'ff02::1',
      '64:ff9b::a00:1',
    ];
    const allowed = ['93.184.216.34', '8.8.8.8', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2606:4700::6810:85e5', '2a00:1450:4001:82a::200e'];
    for (const address of refused) expect(refusedAddress(address), address).toMatch(/not a public address/);
    for (const address of allowed) expect(refusedAddress(address), address).toBeUndefined();
  });

  it('wants https in production and allows http (and loopback) in development', async () => {
    expect(() => parseTarget(production, 'http://example.org/hook')).toThrow('must be an https URL');
    expect(parseTarget(development, 'http://127.0.0.1:9999/hook').hostname).toBe('127.0.0.1');
    await expect(resolveTarget(development, 'http://localhost:9999/hook')).resolves.toBeInstanceOf(URL);
    await expect(resolveTarget(production, 'https://localhost/hook')).rejects.toThrow(/is not a public address/);
    await expect(resolveTarget(production, 'https://[::ffff:7f00:1]/hook')).rejects.toThrow(/is not a public address/);
  });

  it('refuses a private address at connection time too (a name may change its answer after the check)', async () => {
    const lookup = guardedLookup(production)!;
    const error = await new Promise<unknown>((resolve) => lookup('localhost', { all: true }, (e) => resolve(e)));
    expect(String(error)).toMatch(/is not a public address/);
    expect(guardedLookup(development)).toBeUndefined();
  });
});
