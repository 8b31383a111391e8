import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

/** Parses a textual IPv4/IPv6 address (brackets and an IPv6 zone id are accepted); null when it is not one. */
export function parseIp(text: string): IpAddress | null {
  let value = text.trim();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  const zone = value.indexOf('%');
  if (zone >= 0) value = value.slice(0, zone);
  if (isIPv4(value)) return { family: 4, bytes: parseV4(value) };
  if (isIPv6(value)) return { family: 6, bytes: parseV6(value) };
  return null;
}

function parseV4(value: string): Uint8Array {
  return Uint8Array.from(value.split('.').map(Number));
}

// Only called on strings node:net already accepted as IPv6, so the grammar is known to be valid here.
function parseV6(value: string): Uint8Array {
  const bytes = new Uint8Array(16);
  const [head = '', tail] = value.split('::');
  const headGroups = groups(head);
  const tailGroups = tail === undefined ? [] : groups(tail);
  const all =
    tail === undefined
      ? headGroups
      : [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill(0), ...tailGroups];
  all.forEach((group, i) => {
    bytes[i * 2] = group >> 8;
    bytes[i * 2 + 1] = group & 0xff;
  });
  return bytes;
}

function groups(part: string): number[] {
  if (part === '') return [];
  const out: number[] = [];
  for (const piece of part.split(':')) {
    if (piece.includes('.')) {
      const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
      out.push((a << 8) | b, (c << 8) | d);
    } else {
      out.push(Number.parseInt(piece, 16));
    }
  }
  return out;
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2)
    parts.push((((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0)).toString(16));
  return parts.join(':');
}

/** A network: an address and a prefix length. */
export interface Cidr {
  ip: IpAddress;
  prefix: number;
}

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128). Null when not a network. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.lastIndexOf('/');
  const ip = parseIp(slash >= 0 ? text.slice(0, slash) : text);
  if (!ip) return null;
  const max = ip.family === 4 ? 32 : 128;
  if (slash < 0) return { ip, prefix: max };
  const raw = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(raw)) return null;
  const prefix = Number(raw);
  return prefix <= max ? { ip, prefix } : null;
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.ip.family !== ip.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.ip.bytes[i] ?? 0) & mask) !== ((ip.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * The IPv4 address an IPv6 address carries, for the forms that route to it: IPv4-mapped (::ffff:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::). Null otherwise.
 */
export function embeddedIpv4(ip: IpAddress): IpAddress | null {
  if (ip.family !== 6) return null;
  const b = ip.bytes;
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const last4 = () => ({ family: 4 as const, bytes: b.slice(12, 16) });
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return last4();
  if (zeros(0, 12) && !zeros(12, 16)) return last4();
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return last4();
  if (b[0] === 0x20 && b[1] === 0x02) return { family: 4, bytes: b.slice(2, 6) };
  return null;
}
