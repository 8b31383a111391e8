import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { embeddedIpv4, parseIp } from '../../lib/registry/ip.ts';
import { AllowListError, blockedRange, parseAllowEntry, SsrfGuard } from '../../lib/registry/ssrf.ts';

function range(address: string) {
  const ip = parseIp(address);
  if (!ip) throw new Error(`not an IP: ${address}`);
  return blockedRange(ip)?.range ?? null;
}

describe('blockedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.1.1', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::10.1.2.3', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['fe80::1%eth0', 'link-local'],
  ])('%s is %s', (address, expected) => {
    expect(range(address)).toBe(expected);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '::ffff:93.184.216.34',
    '2002:5db8:d822::1',
  ])('%s is public', (address) => {
    expect(range(address)).toBeNull();
  });

  it('every IPv4-mapped form is judged like the IPv4 address inside', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        expect(range(`::ffff:${v4}`)).toBe(range(v4));
      }),
    );
  });

  it('parses IPv6 the same way however it is written', () => {
    fc.assert(
      fc.property(fc.ipV6(), (v6) => {
        const ip = parseIp(v6);
        expect(ip?.family).toBe(6);
        expect(ip?.bytes.length).toBe(16);
      }),
    );
    expect(Array.from(parseIp('::ffff:1.2.3.4')?.bytes ?? [])).toEqual(
      Array.from(parseIp('0:0:0:0:0:ffff:102:304')?.bytes ?? []),
    );
    expect(embeddedIpv4(parseIp('::ffff:1.2.3.4')!)?.bytes).toEqual(Uint8Array.from([1, 2, 3, 4]));
  });

  it('does not mistake names for addresses', () => {
    expect(parseIp('localhost')).toBeNull();
    expect(parseIp('2130706433')).toBeNull();
    expect(parseIp('1.2.3')).toBeNull();
  });
});

describe('parseAllowEntry', () => {
  it.each([
    ['registry.internal', { kind: 'name', host: 'registry.internal', port: null }],
    ['Registry.Internal.:5000', { kind: 'name', host: 'registry.internal', port: 5000 }],
    ['127.0.0.1:5000', { kind: 'network', port: 5000 }],
    ['[::1]:5000', { kind: 'network', port: 5000 }],
    ['::1', { kind: 'network', port: null }],
    ['10.0.0.0/8', { kind: 'network', port: null }],
    ['fd00::/8', { kind: 'network', port: null }],
  ])('%s', (text, expected) => {
    expect(parseAllowEntry(text)).toMatchObject(expected);
  });

  it.each(['', 'host:port', 'host:70000', '10.0.0.0/33', 'bad_host!', '10.0.0.0/x'])(
    'rejects %j with a clear error',
    (text) => {
      expect(() => parseAllowEntry(text)).toThrow(AllowListError);
      try {
        parseAllowEntry(text);
      } catch (error) {
        expect((error as AllowListError).code).toBe('allow_host_invalid');
        expect((error as Error).message).toContain(JSON.stringify(text));
      }
    },
  );
});

describe('SsrfGuard', () => {
  it('allows public addresses without any entry', () => {
    expect(new SsrfGuard().check({ host: 'registry.example.com', port: 443 }, '93.184.216.34')).toMatchObject(
      {
        allowed: true,
        public: true,
      },
    );
  });

  it('refuses internal addresses and says how to allow them', () => {
    const decision = new SsrfGuard().check({ host: 'localhost', port: 5000 }, '127.0.0.1');
    expect(decision.allowed).toBe(false);
    if (!decision.allowed) expect(decision.reason).toMatch(/loopback.*localhost:5000/);
  });

  it('a host:port entry opens that name on that port only', () => {
    const guard = new SsrfGuard(['registry.internal:5000']);
    expect(guard.check({ host: 'registry.internal', port: 5000 }, '10.1.2.3').allowed).toBe(true);
    expect(guard.check({ host: 'registry.internal', port: 5001 }, '10.1.2.3').allowed).toBe(false);
    expect(guard.check({ host: 'other.internal', port: 5000 }, '10.1.2.3').allowed).toBe(false);
  });

  it('an IP entry opens that address whatever the name used', () => {
    const guard = new SsrfGuard(['127.0.0.1:5000']);
    expect(guard.check({ host: 'localhost', port: 5000 }, '127.0.0.1').allowed).toBe(true);
    expect(guard.check({ host: 'localhost', port: 5000 }, '127.0.0.2').allowed).toBe(false);
  });

  it('a CIDR entry opens its network', () => {
    const guard = new SsrfGuard(['10.0.0.0/8', 'fd00::/8']);
    expect(guard.check({ host: 'a', port: 443 }, '10.200.1.1').allowed).toBe(true);
    expect(guard.check({ host: 'a', port: 443 }, 'fd00::5').allowed).toBe(true);
    expect(guard.check({ host: 'a', port: 443 }, '192.168.1.1').allowed).toBe(false);
  });

  it('a name entry never opens link-local (metadata) addresses; an explicit IP entry does', () => {
    expect(
      new SsrfGuard(['metadata.internal']).check({ host: 'metadata.internal', port: 80 }, '169.254.169.254')
        .allowed,
    ).toBe(false);
    expect(
      new SsrfGuard(['169.254.169.254']).check({ host: 'metadata.internal', port: 80 }, '169.254.169.254')
        .allowed,
    ).toBe(true);
  });
});
