/**
 * Refuses webhook URLs that would make us call into our own network (SSRF): only https, and only
 * global unicast addresses, checked on every address the name resolves to. It runs at registration
 * and again at delivery, where the checked address is the one connected to (a name that re-resolves
 * elsewhere — DNS rebinding — gains nothing).
 *
 * Parsing and range classification are ipaddr.js's (a maintained list of the IANA special-purpose
 * registries), not ours. IP literal forms (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`) are
 * normalised by the WHATWG URL parser before the check; anything else that is not canonical dotted
 * decimal or a valid IPv6 address is refused, never guessed at.
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * The only IPv6 space IANA allocates for global unicast. Everything outside it (IPv4-mapped and
 * -compatible, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, discard-only 100::/64, ULA, link-local,
 * multicast, ...) is refused whatever IPv4 address it may carry: a transition address is a way to
 * reach an IPv4 host through someone's gateway, and a webhook has no business needing one.
 */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * True only for a global unicast address: ipaddr.js classifies it as plain `unicast` (no private,
 * loopback, link-local, CGNAT, documentation, benchmarking, 6to4, Teredo, ORCHID, AS112, AMT,
 * reserved, broadcast or other special-purpose range), and an IPv6 one lies in 2000::/3 and has no
 * zone (a scoped address is local by definition).
 */
export function isPublicAddress(address: string): boolean {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return ipaddr.IPv4.parse(address).range() === 'unicast';
  if (!ipaddr.IPv6.isValid(address)) return false;
  const ipv6 = ipaddr.IPv6.parse(address);
  if (ipv6.zoneId !== undefined) return false;
  return ipv6.match(GLOBAL_UNICAST_V6) && ipv6.range() === 'unicast';
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
export async function checkWebhookUrl(raw: string, options: { allowInsecure: boolean; resolve?: Resolver }): Promise<CheckedUrl> {
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
