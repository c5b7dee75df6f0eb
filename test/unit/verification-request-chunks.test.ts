/**
 * The verification request job's chunks (shared/data/verifications/plan.ts): a chunk is ONE transaction, so its
 * worst mix of accounts must stay within DynamoDB's 100 items: every account new (verification, lookup, event),
 * or one answered `no_match` (its rows flagged: counter shard, head and the report's figures) beside new ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';

let plan: typeof import('#shared/data/verifications/plan');
let stats: typeof import('#shared/data/reports/stats');

beforeAll(async () => {
  process.env.TABLE_NAME ??= 'unit-table';
  process.env.DELIVERY_QUEUE_URL ??= 'http://127.0.0.1:1/000000000000/delivery';
  process.env.EXPANSION_QUEUE_URL ??= 'http://127.0.0.1:1/000000000000/expansion';
  process.env.APP_SECRETS_FILE ??= '/nonexistent/secrets.json';
  plan = await import('#shared/data/verifications/plan');
  stats = await import('#shared/data/reports/stats');
});

const now = new Date('2026-12-02T10:00:00.000Z');
const batch = { batchId: 'bat_1', fundId: 'fnd_1', payer: 'finance-1', status: 'pending_approval', flags: { byCode: {} } };
const account = (i: number) => ({
  key: `key${i}`,
  rows: [i],
  account: { bankName: 'Agricultural Bank of China', accountName: `Grower ${i}`, accountNumber: `62228181${String(i).padStart(8, '0')}` },
});
const accounts = () => Array.from({ length: plan.REQUEST_CHUNK_ACCOUNTS }, (_, i) => account(i));
const answered = (status: string) => ({
  verificationId: 'ver_old',
  status,
  bankAccountName: null,
  requestedAt: '2026-11-30T10:00:00.000Z',
  checkedAt: '2026-11-30T11:00:00.000Z',
});
const pendingLookup = {
  verificationId: 'ver_pending',
  status: 'pending',
  bankAccountName: null,
  requestedAt: '2026-12-01T10:00:00.000Z',
  checkedAt: null,
};

/** The chunk's transaction as the job commits it: its steps and the report's figures of the flags it raises. */
const transaction = (lookups: Map<string, Record<string, unknown>>) => {
  const step = plan.requestChunkSteps(batch, { chunk: 0, accounts: accounts() }, lookups, now);
  return [...step.steps, ...stats.reportStatsSteps(batch.fundId, now, stats.reportFigures.flagsRaised(step.flagCodes), batch.batchId)];
};

describe('a verification request chunk', () => {
  it('takes 33 accounts, every mix of them within one transaction of at most 100 items', () => {
    expect(plan.REQUEST_CHUNK_ACCOUNTS).toBe(33);
    // Every account new: the marker and three items each.
    expect(transaction(new Map())).toHaveLength(100);
    // One answered no_match: its row flagged (head, counter shard, report figures), the rest new.
    const flagged = transaction(new Map([['key0', answered('no_match')]]));
    expect(flagged.length).toBeLessThanOrEqual(100);
    expect(flagged.some((s) => s.item.Update?.Key?.sk === 'BAT')).toBe(true);
    // Every account waiting on a pending request: a check and a waiter each.
    expect(transaction(new Map(accounts().map((a) => [a.key, pendingLookup])))).toHaveLength(1 + 2 * plan.REQUEST_CHUNK_ACCOUNTS);
  });
});
