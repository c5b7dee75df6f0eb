/**
 * `npm start`'s DynamoDB Local and SQS emulator have no authentication (webhook secrets and full accounts are in
 * them): they listen on the loopback interface only, never on every interface. Read from the kernel's own socket
 * table, so that it is the listening address itself that is checked.
 */
import { readFile } from 'node:fs/promises';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, startSqsEmulator, type RunningService } from '#local/services';

/** The local address of every socket listening on `port` (IPv4 and IPv6), from /proc/net/tcp and tcp6. */
async function listeningAddresses(port: number): Promise<string[]> {
  const addresses: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A: LISTEN
      const [hex, portHex] = local.split(':');
      if (parseInt(portHex!, 16) === port) addresses.push(decode(hex!));
    }
  }
  return addresses;
}

/** /proc's hex address (each 32-bit word little-endian) as text: 0100007F → 127.0.0.1. */
function decode(hex: string): string {
  const bytes = (word: string) =>
    word
      .match(/../g)!
      .reverse()
      .map((b) => parseInt(b, 16));
  if (hex.length === 8) return bytes(hex).join('.');
  const all = hex.match(/.{8}/g)!.flatMap(bytes);
  if (all.slice(0, 10).every((b) => b === 0) && all[10] === 255 && all[11] === 255) return `::ffff:${all.slice(12).join('.')}`;
  return ipaddr.fromByteArray(all).toString();
}

const LOOPBACK = ['127.0.0.1', '::ffff:127.0.0.1', '::1'];

let dynamo: RunningService | undefined;
let sqs: RunningService | undefined;

beforeAll(async () => {
  [dynamo, sqs] = await Promise.all([startDynamoDbLocal({ readyTimeoutMs: 120_000 }), startSqsEmulator()]);
}, 150_000);

afterAll(async () => {
  await Promise.all([dynamo?.stop(), sqs?.stop()]);
});

describe('the local services listen on 127.0.0.1 only', () => {
  it('decodes /proc addresses (the reading below can tell loopback from every interface)', () => {
    expect(decode('0100007F')).toBe('127.0.0.1');
    expect(decode('00000000')).toBe('0.0.0.0');
    expect(decode('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1');
    expect(decode('00000000000000000000000000000000')).toBe('::');
  });

  it('DynamoDB Local', async () => {
    const addresses = await listeningAddresses(dynamo!.port);
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(LOOPBACK, `DynamoDB Local listens on ${address}`).toContain(address);
  });

  it('the SQS emulator', async () => {
    const addresses = await listeningAddresses(sqs!.port);
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(LOOPBACK, `the SQS emulator listens on ${address}`).toContain(address);
  });
});
