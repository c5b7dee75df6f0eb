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
    await expect(checkWebhookUrl('https://finance.example.com/hook', { allowInsecure: false, resolve })).rejects.toThrow(
      'private',
    );
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
