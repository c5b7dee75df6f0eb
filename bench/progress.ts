/**
 * Where the money stands, at size: a fund of N counties (800) whose ledger holds M entries (100,000).
 * - `progress`: GET /v1/funds/{fundId}/progress through the HTTP API against a baseline from the same run, reading the
 *   same N allocation items raw (consistent Queries of the fund's `ALLOC#` items in each of its partitions, pages and all,
 *   nothing else);
 *   median of a few reads each, interleaved; and the SDK calls one API read makes, by command.
 * - `report` (./half-year-pdf.ts): the half-year report's PDF of the same fund, in a child process of its own.
 *
 * Seeding goes through the product's own write paths where they are cheap enough (counties, the fund, every
 * allocation through setAllocation, so each has its first ledger entry and its balances), and the rest of the
 * ledger through the item builder every money move uses (ledger/move.ts ledgerChangeSteps): each county's entries in
 * order (reserved, then paid), written in batches, and the allocation's balances after its last entry set as the
 * move's own update sets them (its condition dropped: one write per county instead of one transaction per entry).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Meter } from './meter.ts';
import type { Phase } from './stack.ts';
import { median } from './stats.ts';

export interface ProgressBenchResult {
  counties: number;
  ledgerEntries: number;
  /** Median seconds of one read, and how many reads each side made. */
  apiSeconds: number;
  rawSeconds: number;
  reads: number;
  /** API ÷ raw (1 = as quick as reading the allocations alone). */
  ratioToRaw: number;
  /** SDK calls of one API read, by command. */
  sdkCallsPerRead: Record<string, number>;
  seedSeconds: number;
}

export interface SeededFund {
  fundId: string;
  countyCodes: string[];
  ledgerEntries: number;
  seedSeconds: number;
}

const ADMIN = { sub: 'bench-admin' };

/** County codes 6 digits, spread over provinces 11..65 as real ones are. */
export const benchCountyCode = (n: number): string => `${11 + (n % 55)}${String(1000 + Math.floor(n / 55)).padStart(4, '0')}`;

/** A fund of `counties` counties with `entries` ledger entries in all (at least one per county: its allocation). */
export async function seedFundOfCounties(counties: number, entries: number, show: (text: string) => void): Promise<SeededFund> {
  const started = performance.now();
  const { putCounty } = await import('#shared/data/counties/items');
  const { createFund } = await import('#shared/data/funds/items');
  const { setAllocation } = await import('#shared/data/funds/allocate');
  const { readPosition } = await import('#shared/data/ledger/items');
  const { ledgerChangeSteps } = await import('#shared/data/ledger/move');
  const { putAll } = await import('#shared/data/platform/bulk');
  const { documents } = await import('#shared/data/platform/clients');
  const now = new Date();
  const codes = Array.from({ length: counties }, (_, n) => benchCountyCode(n));
  const inParallel = async <T>(items: readonly T[], width: number, work: (item: T) => Promise<unknown>) => {
    for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
  };
  await inParallel(codes, 16, (code) =>
    putCounty({ countyCode: code, name: `县 ${code}`, province: `省 ${code.slice(0, 2)}`, modelCounty: false }, now),
  );
  show(`seeding: ${counties} counties`);
  const perCounty = 1_000_000_00;
  const fund = await createFund(
    {
      name: 'Bench fund of many counties',
      totalBudget: perCounty * counties,
      financeSystem: 'bench-finance',
      dualApprovalThreshold: 100_000_000,
      noticePeriod: 'P0D',
    },
    ADMIN,
    now,
  );
  let done = 0;
  await inParallel(codes, 8, async (code) => {
    await setAllocation(fund.fundId, code, perCounty, ADMIN, now);
    if (++done % 100 === 0) show(`seeding: ${done}/${counties} allocations`);
  });
  // The rest of the ledger: each county's entries built in order on its position, written in batches.
  const extra = Math.max(0, entries - counties);
  let written = 0;
  await inParallel(codes, 4, async (code) => {
    const index = codes.indexOf(code);
    const mine = Math.floor(extra / counties) + (index < extra % counties ? 1 : 0);
    let position = (await readPosition(fund.fundId, code))!;
    const items: Record<string, unknown>[] = [];
    let last: ReturnType<typeof ledgerChangeSteps> | undefined;
    for (let k = 0; k < mine; k++) {
      const kind = k % 2 === 0 ? 'reserved' : 'paid';
      const change = ledgerChangeSteps({
        position,
        kind,
        // A reservation, then its payment: the same amount.
        amount: 1_000 + (Math.floor(k / 2) % 7) * 100,
        ref: { disbursementId: `dsb_bench${index}x${Math.floor(k / 2)}` },
        actor: ADMIN.sub,
        now: new Date(now.getTime() + k),
      });
      items.push((change.steps[1]!.item as { Put: { Item: Record<string, unknown> } }).Put.Item);
      const seq = position.seq + 1;
      position = { ...position, ...change.balance, seq, ledgerAt: change.entry.at };
      last = change;
    }
    if (!last) return;
    await putAll(items);
    const { ConditionExpression: _condition, ...update } = (
      last.steps[0]!.item as { Update: { ExpressionAttributeValues: Record<string, unknown> } & Record<string, unknown> }
    ).Update;
    // Without its condition, the update names no `:seq` (the position it expected).
    const { ':seq': _seq, ...values } = update.ExpressionAttributeValues;
    await documents.send(
      new UpdateCommand({ ...update, ExpressionAttributeValues: values } as unknown as ConstructorParameters<typeof UpdateCommand>[0]),
    );
    written += items.length;
    if (index % 100 === 0) show(`seeding: ${written}/${extra} more ledger entries`);
  });
  return { fundId: fund.fundId, countyCodes: codes, ledgerEntries: counties + written, seedSeconds: (performance.now() - started) / 1000 };
}

export async function benchProgress(
  phase: Phase,
  meter: Meter,
  show: (text: string) => void,
  seeded: SeededFund,
  options: { reads: number },
): Promise<ProgressBenchResult> {
  const counties = seeded.countyCodes.length;
  const { queryAll } = await import('#shared/data/platform/query');
  const { allocationPartitions, ALLOCATION_PREFIX } = await import('#shared/data/platform/keys');
  const token = await phase.token('auditor', 'bench-auditor');
  const path = `/v1/funds/${seeded.fundId}/progress`;
  const api = async () => {
    const started = performance.now();
    const reply = await phase.api('GET', path, { token });
    if (reply.status !== 200) throw new Error(`progress: ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
    if ((reply.body.counties as unknown[]).length !== counties) throw new Error('progress: not every county');
    return (performance.now() - started) / 1000;
  };
  // The baseline: the fund's allocation items, read as the progress reads them, and nothing else.
  const raw = async () => {
    const started = performance.now();
    const readPartition = (pk: string) =>
      queryAll({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': ALLOCATION_PREFIX },
        ConsistentRead: true,
      });
    // As the product reads them: the partition of those stored before the shards, then the shards at once.
    const [before, ...shards] = allocationPartitions(seeded.fundId);
    const items = [...(await readPartition(before!)), ...(await Promise.all(shards.map(readPartition))).flat()];
    if (items.length !== counties) throw new Error(`raw read ${items.length} of ${counties} allocations`);
    return (performance.now() - started) / 1000;
  };
  // One of each first: no cold connection or cold table on either side.
  await api();
  await raw();
  const apiTimes: number[] = [];
  const rawTimes: number[] = [];
  for (let i = 0; i < options.reads; i++) {
    show(`progress: read ${i + 1}/${options.reads}`);
    // Alternate who goes first, so a slow moment of the machine does not always hit the same side.
    if (i % 2 === 0) {
      apiTimes.push(await api());
      rawTimes.push(await raw());
    } else {
      rawTimes.push(await raw());
      apiTimes.push(await api());
    }
  }
  meter.start({ capacity: false });
  await api();
  const metered = meter.stop();
  const sdkCallsPerRead: Record<string, number> = {};
  for (const [key, tally] of Object.entries(metered.byOperation)) {
    if (key.startsWith('GET /v1/funds/{fundId}/progress ')) sdkCallsPerRead[key.slice(key.lastIndexOf(' ') + 1)] = tally.calls;
  }
  const apiSeconds = median(apiTimes)!;
  const rawSeconds = median(rawTimes)!;
  return {
    counties,
    ledgerEntries: seeded.ledgerEntries,
    apiSeconds,
    rawSeconds,
    reads: options.reads,
    ratioToRaw: apiSeconds / rawSeconds,
    sdkCallsPerRead,
    seedSeconds: seeded.seedSeconds,
  };
}
