/**
 * Payouts written before the listings sorted by creation time (gsi1sk/gsi2sk/gsi3sk = payoutId) and before
 * the settlement-time index (no gsi5 keys) are put in place by the backfill: afterwards they are in the
 * created-range and settled-range lists like new ones, and a second run changes nothing. Also the
 * `npm run backfill` command line: --help, a wrong --part, a run against this file's table.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { sameNodeEnv, tsxArgs } from '#test/support/node-process';
import type { Payout, PayoutStatus } from '#shared/domain/payouts';
import { newId } from '#shared/ids';
import { fixturePayout } from '#test/support/payout-fixture';
import { payoutsContext, PayoutsContext } from '../support/contexts.ts';

const run = promisify(execFile);
const BATCH = newId('batch');
const STATUSES: PayoutStatus[] = ['queued', 'sent', 'settled', 'failed', 'delivery_failed'];
const START = Date.parse('2026-10-01T00:00:00.000Z');
const minute = (n: number) => new Date(START + n * 60_000).toISOString();

let services: LocalServices;
let payouts: PayoutsContext;
let backfillPayouts: typeof import('#shared/data/payouts/backfill').backfillPayouts;
let documents: typeof import('#shared/data/platform/clients').documents;

interface Written {
  payoutId: string;
  status: PayoutStatus;
  batchId: string | null;
  createdAt: string;
  settledAt: string | null;
}

function payoutAt(n: number, batchId: string | null): Payout {
  const createdAt = minute(n);
  const status = STATUSES[n % STATUSES.length]!;
  return fixturePayout(n, {
    payoutId: newId('payout', Date.parse(createdAt)),
    batchId,
    fundId: 'fund_backfill',
    status,
    createdAt,
    settledAt: status === 'settled' || status === 'failed' ? minute(n + 500) : null,
  });
}

/** The item as the code before this change wrote it: list sort keys = payoutId, no settlement-time keys. */
function oldItem(payout: Payout): Record<string, unknown> {
  const item = { ...(payouts.payoutPutStep(payout, newId('message'), { payer: 'finance-1' }).item.Put!.Item as Record<string, unknown>) };
  item.gsi1sk = payout.payoutId;
  item.gsi2sk = payout.payoutId;
  if (payout.batchId) item.gsi3sk = payout.payoutId;
  return item;
}

async function writeAll(items: Record<string, unknown>[]) {
  for (let i = 0; i < items.length; i += 25) {
    const RequestItems = { [services.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) };
    await documents.send(new BatchWriteCommand({ RequestItems }));
  }
}

async function listAll(filter: Omit<Parameters<typeof payouts.listPayouts>[0], 'limit' | 'cursor'>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await payouts.listPayouts({ ...filter, limit: 7, cursor });
    ids.push(...page.items.map((p) => p.payoutId));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

const payoutItems = async () =>
  (await services.scanTable()).filter((i) => i.type === 'payout').sort((a, b) => (String(a.pk) < String(b.pk) ? -1 : 1));
const newestCreatedFirst = (rows: Written[]) => [...rows].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).map((r) => r.payoutId);
const newestSettledFirst = (rows: Written[]) => [...rows].sort((a, b) => (a.settledAt! < b.settledAt! ? 1 : -1)).map((r) => r.payoutId);

const old: Written[] = [];
const fresh: Written[] = [];

beforeAll(async () => {
  services = await useLocalServices();
  payouts = await payoutsContext();
  ({ backfillPayouts } = await import('#shared/data/payouts/backfill'));
  ({ documents } = await import('#shared/data/platform/clients'));
  const items: Record<string, unknown>[] = [];
  // Old and new payouts interleaved in time: after the backfill one order holds them all.
  for (let n = 0; n < 120; n++) {
    const payout = payoutAt(n, n % 2 === 0 ? BATCH : null);
    const row = {
      payoutId: payout.payoutId,
      status: payout.status,
      batchId: payout.batchId,
      createdAt: payout.createdAt,
      settledAt: payout.settledAt,
    };
    if (n % 4 === 3) {
      const item = payouts.payoutPutStep(payout, newId('message'), { payer: 'finance-1' }).item.Put!.Item as Record<string, unknown>;
      items.push(payout.settledAt ? { ...item, ...payouts.payoutSettledKeys(payout.payoutId, payout.settledAt) } : item);
      fresh.push(row);
    } else {
      items.push(oldItem(payout));
      old.push(row);
    }
  }
  await writeAll(items);
});

describe('the payout backfill', () => {
  const all = () => [...old, ...fresh];

  it('puts payouts written the old way into the created-range and settled-range lists; a second run changes nothing', async () => {
    const range = { createdFrom: minute(0), createdTo: minute(119) };
    expect(await listAll(range)).toEqual(newestCreatedFirst(fresh));
    expect(await listAll({ settledFrom: minute(0) })).toEqual(newestSettledFirst(fresh.filter((r) => r.settledAt)));

    const first = await backfillPayouts();
    expect(first).toEqual({ scanned: old.length, updated: old.length });

    expect(await listAll(range)).toEqual(newestCreatedFirst(all()));
    expect(await listAll({})).toEqual(newestCreatedFirst(all()));
    expect(await listAll({ ...range, status: 'sent' })).toEqual(newestCreatedFirst(all().filter((r) => r.status === 'sent')));
    expect(await listAll({ ...range, batchId: BATCH })).toEqual(newestCreatedFirst(all().filter((r) => r.batchId === BATCH)));
    expect(await listAll({ settledFrom: minute(0), batchId: BATCH })).toEqual(
      newestSettledFirst(all().filter((r) => r.settledAt && r.batchId === BATCH)),
    );

    // Every payout now has exactly the keys a new one gets.
    for (const item of await payoutItems()) {
      const payout = payouts.toPayout(item);
      expect(item).toMatchObject(payouts.payoutListKeys(payout));
      if (payout.settledAt) expect(item).toMatchObject(payouts.payoutSettledKeys(payout.payoutId, payout.settledAt));
      else expect(item.gsi5pk).toBeUndefined();
    }

    const before = await payoutItems();
    expect(await backfillPayouts()).toEqual({ scanned: 0, updated: 0 });
    expect(await payoutItems()).toEqual(before);
  });

  it('a payout written the old way after a run is taken by the next one, which reports its progress', async () => {
    const payout = payoutAt(200, null);
    await writeAll([oldItem(payout)]);
    let seen = 0;
    const result = await backfillPayouts({
      onProgress: (counts) => {
        seen = counts.scanned;
      },
    });
    expect(result).toEqual({ scanned: 1, updated: 1 });
    expect(seen).toBe(1);
    expect(await listAll({ createdFrom: minute(200), createdTo: minute(200) })).toEqual([payout.payoutId]);
  });
});

describe('npm run backfill', () => {
  const script = (args: string[]) =>
    run(process.execPath, tsxArgs('scripts/backfill.ts', args), { env: sameNodeEnv({ ...process.env, DATA_DIR: '/nonexistent' }) }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );

  it('--help explains it and exits 0; an unknown part is a usage error (2), nothing done', async () => {
    const help = await script(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--part/);
    const wrong = await script(['--part', 'ledger']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--part must be events, payouts, bank-references, failures, subscriptions or all/);
  });

  it('backfills the payouts of the table TABLE_NAME names, with its counts on stdout; again: nothing to do', async () => {
    const payout = payoutAt(300, BATCH);
    await writeAll([oldItem(payout)]);
    const first = await script(['--part', 'payouts']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/payouts: 1 payout\(s\) to backfill found, 1 updated/);
    expect(await listAll({ createdFrom: minute(300), batchId: BATCH })).toEqual([payout.payoutId]);
    const again = await script([]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/payouts: 0 payout\(s\) to backfill found, 0 updated/);
    expect(again.stdout).toMatch(/events: 0 event\(s\) without listing keys found, 0 updated/);
    expect(again.stdout).toMatch(/subscriptions: 0 webhook endpoint\(s\) read, 0 updated/);
  });

  it('a table that cannot be reached fails with exit 1 and a message, not a stack trace', async () => {
    const down = await run(process.execPath, tsxArgs('scripts/backfill.ts', ['--part', 'payouts']), {
      env: sameNodeEnv({ ...process.env, AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' }),
    }).catch((error: { code: number; stderr: string }) => error);
    expect('code' in down ? down.code : 0).toBe(1);
    expect('stderr' in down ? down.stderr : '').toMatch(/^backfill: could not backfill payouts/m);
  });
});
