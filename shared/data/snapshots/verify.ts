/**
 * The snapshot chains' check, for `npm run ledger-check`: every snapshot's hash recomputed from its stored body,
 * every link to the snapshot before it, and each chain's head naming its last snapshot (a removed or an appended
 * snapshot shows too). Differences come in the ledger check's own form.
 */
import { chainBreaks, type Snapshot } from '../../domain/snapshots.ts';
import type { LedgerDifference } from '../ledger/items.ts';
import { scanSegments } from '../platform/query.ts';
import { fundOfSnapshotItem, toSnapshot } from './items.ts';

export interface ChainCheckResult {
  snapshots: number;
  differences: LedgerDifference[];
}

export async function checkSnapshotChains(): Promise<ChainCheckResult> {
  const chains = new Map<string, { seq: number; snapshot: Snapshot }[]>();
  const heads = new Map<string, { seq: number; hash: string }>();
  let snapshots = 0;
  await scanSegments(
    {
      filter: '#type IN (:snapshot, :head)',
      names: { '#type': 'type' },
      values: { ':snapshot': 'snapshot', ':head': 'snapshotHead' },
      consistentRead: true,
      segments: 4,
    },
    (item) => {
      const fundId = fundOfSnapshotItem(item);
      if (item.type === 'snapshotHead') {
        heads.set(fundId, { seq: item.seq as number, hash: item.hash as string });
        return;
      }
      snapshots += 1;
      const list = chains.get(fundId) ?? [];
      list.push({ seq: item.seq as number, snapshot: toSnapshot(item) });
      chains.set(fundId, list);
    },
  );
  const differences: LedgerDifference[] = [];
  for (const fundId of new Set([...chains.keys(), ...heads.keys()])) {
    const chain = (chains.get(fundId) ?? []).sort((a, b) => a.seq - b.seq);
    for (const b of chainBreaks(chain.map((c) => c.snapshot))) {
      differences.push({
        fundId,
        countyCode: null,
        what: `snapshot ${b.snapshotId} ${b.reason}`,
        expected: 'an unbroken chain',
        actual: b.detail,
      });
    }
    const head = heads.get(fundId);
    const last = chain.at(-1);
    if (head?.seq !== chain.length || head.hash !== last?.snapshot.hash) {
      differences.push({
        fundId,
        countyCode: null,
        what: 'snapshot chain head',
        expected: `${chain.length} snapshot(s), last ${last?.snapshot.hash ?? 'none'}`,
        actual: head ? `${head.seq}, last ${head.hash}` : 'no head',
      });
    }
  }
  return { snapshots, differences };
}
