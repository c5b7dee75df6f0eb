/**
 * The ledger check: proves the books from the records that should be holding money.
 *
 * For every allocation it recomputes `reserved` and `paid` from what holds them:
 * - open payouts (`queued`, `sent`, `delivery_failed`) reserve their amount; settled ones are paid;
 * - approved disbursements without a payout yet reserve their amount (none should persist: the payout
 *   is created in the approval's own transaction), and so do disbursements in their public notice;
 * - batches in notice, approved or processing reserve what their rows not yet expanded into payouts add up to
 *   (less the rows an upheld objection withdrew and released);
 * - campaign subsidies still `reserved` hold their undrawn remainder;
 * - a settled payout whose roll-up is still pending (API 1.2) is reserved, not yet paid, on its allocation: the
 *   pending item moves its amount back from paid to reserved, so `reserved + pending = what it was` exactly, and
 *   a pending roll-up older than two sweeps is reported (nothing settled is left out of a roll-up);
 * and replays the allocation's ledger entries from zero: the replay must give the allocation exactly,
 * each entry's `balance` must be the replay right after it, and `seq` must count the entries.
 * Fund totals must equal the sums of their allocations. Every difference is reported.
 *
 * It reads the whole table (a parallel Scan): it runs on a schedule, not on a request path. It is not a
 * snapshot, so a deployed run checks again what differed and reports only what differs twice.
 */
import { applyEntry, EMPTY_LINE, isBalanced, type LedgerKind, type LedgerLine } from '../../domain/ledger.ts';
import { config } from '../../config.ts';
import { scanSegments } from '../platform/query.ts';

import type { LedgerDifference } from './items.ts';

export interface LedgerCheckResult {
  allocations: number;
  entries: number;
  differences: LedgerDifference[];
}

const OPEN_PAYOUT = new Set(['queued', 'sent', 'delivery_failed']);
const RESERVING_BATCH = new Set(['in_notice', 'approved', 'processing']);
const TYPES = ['fund', 'allocation', 'payout', 'disbursement', 'batch', 'campaign', 'ledger-entry', 'settlement-rollup'];
const SEGMENTS = 4;

async function scanAll(onItem: (item: Record<string, unknown>) => void): Promise<void> {
  const values = Object.fromEntries(TYPES.map((t, i) => [`:t${i}`, t]));
  await scanSegments(
    {
      filter: `#type IN (${Object.keys(values).join(', ')})`,
      names: { '#type': 'type' },
      values,
      consistentRead: true,
      segments: SEGMENTS,
    },
    onItem,
  );
}

interface Expected {
  reserved: number;
  paid: number;
}

export async function checkLedger(): Promise<LedgerCheckResult> {
  const funds = new Map<string, Record<string, unknown>>();
  const allocations = new Map<string, Record<string, unknown>>();
  const expected = new Map<string, Expected>();
  const entries = new Map<string, { seq: number; kind: LedgerKind; amount: number; balance: LedgerLine; entryId: string }[]>();
  const batchPayouts = new Map<string, number>();
  const batches: Record<string, unknown>[] = [];
  const storedTwice: Record<string, unknown>[] = [];
  const overdue: Record<string, unknown>[] = [];
  const rollUpsOverdue: Record<string, unknown>[] = [];
  const keyOf = (fundId: unknown, countyCode: unknown) => `${String(fundId)}#${String(countyCode)}`;
  const hold = (fundId: unknown, countyCode: unknown, field: keyof Expected, amount: number) => {
    const key = keyOf(fundId, countyCode);
    const e = expected.get(key) ?? { reserved: 0, paid: 0 };
    e[field] += amount;
    expected.set(key, e);
  };

  await scanAll((item) => {
    switch (item.type) {
      case 'fund':
        funds.set(item.fundId as string, item);
        break;
      case 'allocation':
        // One item an allocation: at its key, or where it was stored before the shards until a write moved it.
        if (allocations.has(keyOf(item.fundId, item.countyCode))) storedTwice.push(item);
        allocations.set(keyOf(item.fundId, item.countyCode), item);
        break;
      case 'payout': {
        const amount = item.amount as number;
        if (OPEN_PAYOUT.has(item.status as string)) hold(item.fundId, item.countyCode, 'reserved', amount);
        if (item.status === 'settled') hold(item.fundId, item.countyCode, 'paid', amount);
        if (item.batchId) batchPayouts.set(item.batchId as string, (batchPayouts.get(item.batchId as string) ?? 0) + amount);
        break;
      }
      case 'disbursement':
        // In its public notice (公示) the money is reserved and no payout holds it yet.
        if ((item.status === 'approved' && !item.payoutId) || item.status === 'in_notice')
          hold(item.fundId, item.countyCode, 'reserved', item.amount as number);
        break;
      case 'batch':
        if (RESERVING_BATCH.has(item.status as string)) batches.push(item);
        break;
      case 'campaign': {
        const subsidy = item.subsidy as { fundId?: string; status?: string; remaining?: number } | undefined;
        if (subsidy?.fundId && subsidy.status !== 'released') {
          hold(subsidy.fundId, item.countyCode, 'reserved', subsidy.remaining ?? 0);
          // Reserved past its claim period (with two sweeps' grace) is money held by nothing.
          const releaseAt = typeof item.gsi4sk === 'string' ? Date.parse(item.gsi4sk.slice(0, item.gsi4sk.indexOf('#'))) : NaN;
          if (releaseAt < Date.now() - 2 * config().OUTBOX_SWEEP_SECONDS * 1000) overdue.push(item);
        }
        break;
      }
      case 'settlement-rollup': {
        const amount = item.amount as number;
        hold(item.fundId, item.countyCode, 'reserved', amount);
        hold(item.fundId, item.countyCode, 'paid', -amount);
        if (Date.parse(item.at as string) < Date.now() - 2 * config().OUTBOX_SWEEP_SECONDS * 1000) rollUpsOverdue.push(item);
        break;
      }
      case 'ledger-entry': {
        const key = keyOf(item.fundId, item.countyCode);
        const list = entries.get(key) ?? [];
        list.push({
          seq: item.seq as number,
          kind: item.kind as LedgerKind,
          amount: item.amount as number,
          balance: item.balance as LedgerLine,
          entryId: item.entryId as string,
        });
        entries.set(key, list);
        break;
      }
    }
  });
  // A batch's reservation covers its rows until each becomes a payout (which then holds its own amount).
  // Rows an upheld objection withdrew were released (`withdrawnAmount`); a completed batch holds nothing.
  for (const b of batches) {
    const withdrawn = (b.withdrawnAmount as number | undefined) ?? 0;
    hold(b.fundId, b.countyCode, 'reserved', (b.totalAmount as number) - withdrawn - (batchPayouts.get(b.batchId as string) ?? 0));
  }

  const differences: LedgerDifference[] = [];
  const differ = (fundId: string, countyCode: string | null, what: string, want: number | string, have: number | string) => {
    if (want !== have) differences.push({ fundId, countyCode, what, expected: want, actual: have });
  };

  for (const [key, a] of allocations) {
    const fundId = a.fundId as string;
    const countyCode = a.countyCode as string;
    const line: LedgerLine = {
      allocated: a.allocated as number,
      reserved: a.reserved as number,
      paid: a.paid as number,
      available: a.available as number,
    };
    const want = expected.get(key) ?? { reserved: 0, paid: 0 };
    differ(
      fundId,
      countyCode,
      'reserved (from open payouts, unexpanded batch rows, approved disbursements and undrawn subsidies)',
      want.reserved,
      line.reserved,
    );
    differ(fundId, countyCode, 'paid (from settled payouts)', want.paid, line.paid);
    if (!isBalanced(line))
      differ(fundId, countyCode, 'available = allocated − reserved − paid ≥ 0', line.allocated - line.reserved - line.paid, line.available);

    // Replaying the ledger from zero gives the allocation, entry by entry.
    const list = (entries.get(key) ?? []).sort((x, y) => x.seq - y.seq);
    let replayed = EMPTY_LINE;
    for (const [n, entry] of list.entries()) {
      differ(fundId, countyCode, `ledger entry ${entry.entryId} seq`, n + 1, entry.seq);
      try {
        replayed = applyEntry(replayed, entry.kind, entry.amount);
      } catch {
        differ(fundId, countyCode, `ledger entry ${entry.entryId} replays to a balanced line`, 'balanced', 'unbalanced');
        break;
      }
      for (const field of ['allocated', 'reserved', 'paid', 'available'] as const) {
        differ(fundId, countyCode, `ledger entry ${entry.entryId} balance.${field}`, replayed[field], entry.balance?.[field] ?? NaN);
      }
    }
    for (const field of ['allocated', 'reserved', 'paid', 'available'] as const) {
      differ(fundId, countyCode, `ledger replay ${field}`, replayed[field], line[field]);
    }
    differ(fundId, countyCode, 'ledger entries counted by seq', list.length, (a.seq as number | undefined) ?? 0);
  }
  for (const c of overdue) {
    const subsidy = c.subsidy as { fundId: string; remaining?: number };
    differ(
      subsidy.fundId,
      c.countyCode as string,
      `subsidy of campaign ${String(c.campaignId)} released after its claim period`,
      'released',
      'still reserved',
    );
  }
  for (const r of rollUpsOverdue) {
    differ(
      r.fundId as string,
      r.countyCode as string,
      `settlement of payout ${String(r.payoutId)} rolled up within one sweep`,
      'rolled up',
      'still pending',
    );
  }
  for (const a of storedTwice) differ(a.fundId as string, a.countyCode as string, 'allocation items', 1, 2);
  // Money held against an allocation that does not exist.
  for (const [key, want] of expected) {
    if (!allocations.has(key) && (want.reserved !== 0 || want.paid !== 0)) {
      const [fundId, countyCode] = key.split('#') as [string, string];
      differ(fundId, countyCode, 'reserved or paid without an allocation', 0, want.reserved + want.paid);
    }
  }
  // Fund totals are the sums of their allocations; the budget bounds them.
  for (const [fundId, f] of funds) {
    const allocated = [...allocations.values()].filter((a) => a.fundId === fundId).reduce((s, a) => s + (a.allocated as number), 0);
    differ(fundId, null, 'fund allocated = Σ allocations', allocated, f.allocated as number);
    differ(fundId, null, 'fund unallocated = totalBudget − allocated', (f.totalBudget as number) - allocated, f.unallocated as number);
  }
  return { allocations: allocations.size, entries: [...entries.values()].reduce((s, l) => s + l.length, 0), differences };
}

/**
 * A check that tolerates work in flight: what differs is checked once more after `pauseMs`, and only
 * differences seen both times are reported.
 */
export async function checkLedgerSettled(pauseMs = 2_000): Promise<LedgerCheckResult> {
  const first = await checkLedger();
  if (first.differences.length === 0) return first;
  await new Promise((r) => setTimeout(r, pauseMs));
  const second = await checkLedger();
  const seen = new Set(first.differences.map((d) => JSON.stringify(d)));
  return { ...second, differences: second.differences.filter((d) => seen.has(JSON.stringify(d))) };
}
