/**
 * Refuses webhook URLs that would make us call into our own network (SSRF): only https, and no
 * private, loopback, link-local, metadata, multicast or otherwise special address, checked on every
 * address the name resolves to. It runs at registration and again at delivery, where the checked
 * address is the one connected to (a name that re-resolves elsewhere — DNS rebinding — gains nothing).
 *
 * IP literal forms (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`) are normalised by the
 * WHATWG URL parser before the check; IPv4-mapped and NAT64 IPv6 addresses are checked as the IPv4
 * address they embed.
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, incl. fd00:ec2::254 metadata
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 address carries (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`). */
function embeddedIpv4(address: string): string | undefined {
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const high = groups.slice(0, 6).join(':');
  const isMapped = high === '0:0:0:0:0:ffff';
  const isCompatible = high === '0:0:0:0:0:0';
  const isNat64 = high === '64:ff9b:0:0:0:0';
  if (!isMapped && !isCompatible && !isNat64) return undefined;
  const [a, b] = [parseInt(groups[6]!, 16), parseInt(groups[7]!, 16)];
  return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
}

function expandIpv6(address: string): string[] | undefined {
  let text = address.toLowerCase().replace(/^\[|\]$/g, '').split('%')[0]!;
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4) {
    const parts = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((parts[0]! << 8) | parts[1]!).toString(16)}:${((parts[2]! << 8) | parts[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  const groups = [...h, ...Array<string>(Math.max(fill, 0)).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return groups.map((g) => parseInt(g || '0', 16).toString(16));
}

export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !blocked.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== undefined) return !blocked.check(v4, 'ipv4');
    return !blocked.check(address, 'ipv6');
  }
  return false;
}

export class UnsafeWebhookUrl extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'UnsafeWebhookUrl';
  }
}

export interface CheckedUrl {
  url: URL;
  /** The address to connect to: checked, so delivery does not resolve the name a second time. */
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Checks a webhook URL and resolves the address to deliver to.
 * With `allowInsecure` (local work only) http and private addresses are accepted.
 */
export async function checkWebhookUrl(
  raw: string,
  options: { allowInsecure: boolean; resolve?: Resolver },
): Promise<CheckedUrl> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeWebhookUrl('not a valid URL');
  }
  const insecure = options.allowInsecure;
  if (url.protocol !== 'https:' && !(insecure && url.protocol === 'http:')) {
    throw new UnsafeWebhookUrl('must use https');
  }
  if (url.username || url.password) throw new UnsafeWebhookUrl('must not carry credentials');
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (!hostname) throw new UnsafeWebhookUrl('has no host');

  const literal = isIP(hostname);
  let addresses: { address: string; family: number }[];
  if (literal) {
    addresses = [{ address: hostname, family: literal }];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolver)(hostname);
    } catch {
      throw new UnsafeWebhookUrl('host name does not resolve');
    }
  }
  if (addresses.length === 0) throw new UnsafeWebhookUrl('host name does not resolve');
  if (!insecure) {
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad) throw new UnsafeWebhookUrl('resolves to a private, loopback, link-local or reserved address');
  }
  const chosen = addresses[0]!;
  return { url, address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}
