import { PullwatchError } from '../errors.ts';
import { type Cidr, cidrContains, embeddedIpv4, formatIp, type IpAddress, parseCidr, parseIp } from './ip.ts';

/**
 * The SSRF guard (DESIGN.md §7). The probe fetches URLs that come from outside (image names in events,
 * token realms and redirects chosen by registries), so by default it never connects to an address that
 * reaches inside: loopback, link-local (the cloud metadata endpoints), private, CGNAT, unique-local,
 * unspecified, multicast and reserved space — including those addresses dressed as IPv6 (IPv4-mapped,
 * IPv4-compatible, NAT64, 6to4). It judges resolved addresses, not names, and the caller connects to exactly
 * the address judged, so a name that re-resolves elsewhere (DNS rebinding) gains nothing.
 */

export type AddressRange =
  | 'unspecified'
  | 'loopback'
  | 'link-local'
  | 'private'
  | 'cgnat'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'reserved';

interface RangeRule {
  cidr: Cidr;
  range: AddressRange;
  label: string;
}

type RangeEntry = [cidr: string, range: AddressRange, label: string];

/**
 * Parsed on first use, not at import: parsing runs node:net's IPv6 check, whose first call compiles a large
 * regular expression (~5–20 ms), and three of the four Lambdas load this module (through the config schema)
 * without ever judging an address.
 */
function rules(entries: RangeEntry[]): () => RangeRule[] {
  let parsed: RangeRule[] | null = null;
  return () => {
    parsed ??= entries.map(([text, range, label]) => ({ cidr: parseCidr(text)!, range, label }));
    return parsed;
  };
}

const V4_RULES = rules([
  ['0.0.0.0/8', 'unspecified', 'unspecified ("this network")'],
  ['10.0.0.0/8', 'private', 'private (RFC 1918)'],
  ['100.64.0.0/10', 'cgnat', 'carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback', 'loopback'],
  ['169.254.169.254/32', 'link-local', 'link-local (cloud instance metadata)'],
  ['169.254.0.0/16', 'link-local', 'link-local'],
  ['172.16.0.0/12', 'private', 'private (RFC 1918)'],
  ['192.0.0.0/24', 'reserved', 'reserved (IETF protocol assignments)'],
  ['192.168.0.0/16', 'private', 'private (RFC 1918)'],
  ['198.18.0.0/15', 'reserved', 'reserved (benchmarking)'],
  ['224.0.0.0/4', 'multicast', 'multicast'],
  ['240.0.0.0/4', 'reserved', 'reserved'],
]);

const V6_RULES = rules([
  ['::/128', 'unspecified', 'unspecified'],
  ['::1/128', 'loopback', 'loopback'],
  ['64:ff9b:1::/48', 'private', 'private (local-use NAT64)'],
  ['100::/64', 'reserved', 'reserved (discard-only)'],
  ['fd00:ec2::254/128', 'unique-local', 'unique-local (cloud instance metadata)'],
  ['fc00::/7', 'unique-local', 'unique-local'],
  ['fe80::/10', 'link-local', 'link-local'],
  ['fec0::/10', 'site-local', 'site-local'],
  ['ff00::/8', 'multicast', 'multicast'],
]);

export interface BlockedRange {
  range: AddressRange;
  /** e.g. `loopback`, `IPv4-mapped 169.254.169.254: link-local (cloud instance metadata)`. */
  description: string;
}

/** The internal range an address falls in, or null when it is a public address. */
export function blockedRange(ip: IpAddress): BlockedRange | null {
  for (const rule of ip.family === 4 ? V4_RULES() : V6_RULES()) {
    if (cidrContains(rule.cidr, ip)) return { range: rule.range, description: rule.label };
  }
  const inner = embeddedIpv4(ip);
  if (inner) {
    const blocked = blockedRange(inner);
    if (blocked)
      return { range: blocked.range, description: `${formatIp(inner)} inside IPv6: ${blocked.description}` };
  }
  return null;
}

/** One allow-list entry: a host name or IP (optionally with a port) or a CIDR network. */
export type AllowEntry =
  | { kind: 'name'; host: string; port: number | null; text: string }
  | { kind: 'network'; cidr: Cidr; port: number | null; text: string };

export class AllowListError extends PullwatchError {
  override readonly name: string = 'AllowListError';
}

/** Lower case, no trailing dot, no IPv6 brackets: the form names are compared in. */
export function normalizeHost(host: string): string {
  let value = host.trim().toLowerCase();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  return value.endsWith('.') ? value.slice(0, -1) : value;
}

/**
 * Parses `registry.internal`, `registry.internal:5000`, `127.0.0.1:5000`, `[::1]:5000`, `::1`,
 * `10.0.0.0/8` or `fd00::/8`. Throws AllowListError (code `allow_host_invalid`) naming the entry otherwise.
 */
export function parseAllowEntry(text: string): AllowEntry {
  const value = text.trim();
  const invalid = (why: string) =>
    new AllowListError('allow_host_invalid', `allow-list entry ${JSON.stringify(text)}: ${why}`);
  if (value === '') throw invalid('empty');
  if (value.includes('/')) {
    const cidr = parseCidr(value);
    if (!cidr) throw invalid('not a CIDR network (expected e.g. 10.0.0.0/8 or fd00::/8)');
    return { kind: 'network', cidr, port: null, text: value };
  }
  let host = value;
  let port: number | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) {
    host = bracketed[1] ?? '';
    port = bracketed[2] === undefined ? null : Number(bracketed[2]);
  } else if ((value.match(/:/g) ?? []).length === 1) {
    const [name = '', rawPort = ''] = value.split(':');
    if (!/^\d{1,5}$/.test(rawPort)) throw invalid('port must be a number');
    host = name;
    port = Number(rawPort);
  }
  if (port !== null && (port < 1 || port > 65535)) throw invalid('port must be 1–65535');
  const ip = parseIp(host);
  if (ip) return { kind: 'network', cidr: { ip, prefix: ip.family === 4 ? 32 : 128 }, port, text: value };
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(host)) {
    throw invalid('not a host name, IP address or CIDR network');
  }
  return { kind: 'name', host: normalizeHost(host), port, text: value };
}

export type GuardDecision =
  | { allowed: true; address: string; public: boolean; via?: string }
  | { allowed: false; address: string; range: AddressRange; reason: string };

export class SsrfGuard {
  readonly entries: readonly AllowEntry[];

  constructor(allow: readonly string[] = []) {
    this.entries = allow.map(parseAllowEntry);
  }

  /**
   * May the probe connect to `address` for a request to `host:port`? A name on the allow-list opens the
   * internal ranges for that name, except link-local: the metadata endpoints stay shut unless the address
   * itself is allow-listed (as an IP or CIDR), so a rebinding allow-listed name cannot reach them.
   */
  check(target: { host: string; port: number }, address: string): GuardDecision {
    const ip = parseIp(address);
    if (!ip) return { allowed: false, address, range: 'reserved', reason: `${address} is not an IP address` };
    const blocked = blockedRange(ip);
    if (!blocked) return { allowed: true, address, public: true };
    const host = normalizeHost(target.host);
    for (const entry of this.entries) {
      if (entry.port !== null && entry.port !== target.port) continue;
      if (entry.kind === 'network' && cidrContains(entry.cidr, ip)) {
        return { allowed: true, address, public: false, via: entry.text };
      }
      if (entry.kind === 'name' && entry.host === host && blocked.range !== 'link-local') {
        return { allowed: true, address, public: false, via: entry.text };
      }
    }
    const hostPort = host.includes(':') ? `[${host}]:${target.port}` : `${host}:${target.port}`;
    const hint = blocked.range === 'link-local' ? `${address}${ip.family === 4 ? '/32' : '/128'}` : hostPort;
    return {
      allowed: false,
      address,
      range: blocked.range,
      reason: `${address} is ${blocked.description}; probing it needs an allow-list entry (e.g. ${hint})`,
    };
  }
}
