import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkWebhookUrl, isPublicAddress, UnsafeWebhookUrl } from '#shared/webhooks/url-guard';

const strict = { allowInsecure: false, resolve: async () => [{ address: '93.184.216.34', family: 4 }] };

describe('webhook URL guard', () => {
  it.each([
    'https://127.0.0.1/hook',
    'https://localhost.localdomain.invalid/hook',
    'https://10.1.2.3/',
    'https://172.16.0.1/',
    'https://192.168.1.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://100.64.0.1/',
    'https://0.0.0.0/',
    'https://[::1]/',
    'https://[fd00:ec2::254]/',
    'https://[fc00::1]/',
    'https://[fe80::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://2130706433/', // decimal 127.0.0.1
    'https://0177.0.0.1/', // octal
    'https://0x7f.0.0.1/', // hex
    'https://0x7f000001/',
    'https://017700000001/',
    'https://[::]/',
    'https://224.0.0.1/',
  ])('refuses %s', async (url) => {
    const resolve = async () => [{ address: '127.0.0.1', family: 4 }];
    await expect(checkWebhookUrl(url, { allowInsecure: false, resolve })).rejects.toBeInstanceOf(UnsafeWebhookUrl);
  });

  it('refuses plain http and credentials in the URL', async () => {
    await expect(checkWebhookUrl('http://pay.example.com/hook', strict)).rejects.toThrow('https');
    await expect(checkWebhookUrl('https://u:p@pay.example.com/hook', strict)).rejects.toThrow('credentials');
    await expect(checkWebhookUrl('not a url', strict)).rejects.toThrow('valid URL');
  });

  it('refuses a name that resolves to a private address, even among public ones', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    await expect(checkWebhookUrl('https://finance.example.com/hook', { allowInsecure: false, resolve })).rejects.toThrow('private');
  });

  it('accepts a public https URL and returns the checked address to connect to', async () => {
    const checked = await checkWebhookUrl('https://finance.example.com/hook', strict);
    expect(checked).toMatchObject({ address: '93.184.216.34', family: 4 });
    expect(checked.url.hostname).toBe('finance.example.com');
  });

  it('accepts http and loopback only when insecure webhooks are allowed (local work)', async () => {
    const checked = await checkWebhookUrl('http://127.0.0.1:9000/hook', { allowInsecure: true });
    expect(checked.address).toBe('127.0.0.1');
  });

  it('classifies every address in the private IPv4 ranges as non-public', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (a, b) => {
        expect(isPublicAddress(`10.${a}.${b}.1`)).toBe(false);
        expect(isPublicAddress(`192.168.${a}.${b}`)).toBe(false);
        expect(isPublicAddress(`127.${a}.${b}.9`)).toBe(false);
        expect(isPublicAddress(`::ffff:10.${a}.${b}.1`)).toBe(false);
      }),
    );
    expect(isPublicAddress('8.8.8.8')).toBe(true);
    expect(isPublicAddress('2606:4700:4700::1111')).toBe(true);
  });
});

/**
 * The IANA special-purpose registries (IPv4 and IPv6), written out here rather than taken from the
 * library under test: a range the library forgot must still fail this suite. IPv6 outside 2000::/3 is
 * not global unicast at all, so the property below also draws from the rest of the address space.
 */
const REFUSED_V4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.31.196.0', 24],
  ['192.52.193.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['192.175.48.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
  ['255.255.255.255', 32],
];
const REFUSED_V6: [string, number][] = [
  ['::', 3], // everything below 2000::/3: unspecified, loopback, IPv4-mapped/compatible, NAT64, discard...
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23], // IETF protocol assignments: Teredo, benchmarking, AMT, AS112, ORCHID, ORCHIDv2, DRIP
  ['2001::', 32],
  ['2001:2::', 48],
  ['2001:10::', 28],
  ['2001:20::', 28],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['2620:4f:8000::', 48],
  ['3fff::', 20],
  ['5f00::', 16],
  ['4000::', 2], // 4000::/2 and c000::/3 and e000::/3 hold no global unicast either
  ['c000::', 3],
  ['e000::', 3],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

// Two lists: one BlockList would also match IPv4 addresses against IPv6 rules, as mapped addresses.
const refusedV4 = new BlockList();
for (const [net, prefix] of REFUSED_V4) refusedV4.addSubnet(net, prefix, 'ipv4');
const refusedV6 = new BlockList();
for (const [net, prefix] of REFUSED_V6) refusedV6.addSubnet(net, prefix, 'ipv6');

function bytesOf(net: string, family: 4 | 6): number[] {
  if (family === 4) return net.split('.').map(Number);
  const [head, tail = ''] = net.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.flatMap((g) => [g >> 8, g & 255]);
}

function format(bytes: number[], family: 4 | 6): string {
  if (family === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** An address inside `net/prefix`, its host bits taken from `noise`. */
function inside(net: string, prefix: number, family: 4 | 6, noise: number[]): string {
  const base = bytesOf(net, family);
  return format(
    base.map((b, i) => {
      const fixed = Math.max(0, Math.min(8, prefix - i * 8));
      const mask = fixed === 0 ? 0 : (0xff << (8 - fixed)) & 0xff;
      return (b & mask) | (noise[i]! & ~mask & 0xff);
    }),
    family,
  );
}

describe('webhook URL guard: only global unicast addresses', () => {
  it.each([
    '2002:7f00:1::', // 6to4 wrapping 127.0.0.1
    '2002:a9fe:a9fe::1',
    '64:ff9b:1::a9fe:a9fe', // local-use NAT64
    '64:ff9b::808:808', // well-known NAT64, even wrapping a public IPv4 address
    '2001::1', // Teredo
    '2001:2::1', // benchmarking
    '2001:10::1', // ORCHID
    '2001:20::1', // ORCHIDv2
    '2001:db8::1', // documentation
    '3fff::1', // documentation (RFC 9637)
    '100::1', // discard-only
    '::ffff:8.8.8.8', // IPv4-mapped, even of a public address
    '::8.8.8.8', // IPv4-compatible
    'fd00:ec2::254', // EC2 metadata over IPv6
    'fe80::1%eth0',
    'ff02::1',
    'fec0::1',
    '5f00::1',
    '192.0.0.9',
    '192.88.99.1',
    '198.18.0.1',
    '240.0.0.1',
    '255.255.255.255',
    '169.254.169.254',
    '100.127.255.254',
    '0177.0.0.1', // only canonical dotted decimal is read as an address
    '2130706433',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['2002:7f00:1::', '64:ff9b:1::7f00:1', '2001::1', '::ffff:8.8.8.8'])('refuses https://[%s]/ at registration', async (address) => {
    await expect(checkWebhookUrl(`https://[${address}]/hook`, strict)).rejects.toBeInstanceOf(UnsafeWebhookUrl);
  });

  it('refuses a name that resolves to a 6to4 address', async () => {
    const resolve = async () => [{ address: '2002:7f00:1::1', family: 6 }];
    await expect(checkWebhookUrl('https://finance.example.com/hook', { allowInsecure: false, resolve })).rejects.toThrow('private');
  });

  it.each(['8.8.8.8', '93.184.216.34', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e', '2400:cb00::1'])(
    'admits the global unicast address %s',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it('admits no address inside any IANA special-purpose range (property)', () => {
    const ranges = fc.oneof(
      fc.constantFrom(...REFUSED_V4.map(([net, prefix]) => ({ net, prefix, family: 4 as const }))),
      fc.constantFrom(...REFUSED_V6.map(([net, prefix]) => ({ net, prefix, family: 6 as const }))),
    );
    fc.assert(
      fc.property(ranges, fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), (range, noise) => {
        const address = inside(range.net, range.prefix, range.family, noise);
        expect(isPublicAddress(address), `${address} in ${range.net}/${range.prefix}`).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('admits every address outside those ranges (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (bytes) => {
        const address = format(bytes, 4);
        expect(isPublicAddress(address), address).toBe(!refusedV4.check(address, 'ipv4'));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }), (noise) => {
        const address = inside('2000::', 3, 6, noise);
        expect(isPublicAddress(address), address).toBe(!refusedV6.check(address, 'ipv6'));
      }),
      { numRuns: 2000 },
    );
  });
});
