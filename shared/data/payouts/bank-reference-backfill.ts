/**
 * Writes the bank-reference items (keys.bankReference, keys.bankReferenceSummary) of payouts settled before
 * settlements wrote them, so reconciliation finds those payouts by reference on any day, not only on their
 * settlement day. A one-off migration that reads the whole table (a parallel Scan), so it runs from a script,
 * never on a request path. Each payout is one transaction whose item Put is conditional: a payout that has its
 * item already (settled since, or backfilled before) is skipped, and its summary is not counted twice, so
 * running it again changes nothing: `npm run backfill -- --part bank-references`.
 */
import type { BackfillCounts, BackfillOptions } from '../platform/backfill.ts';
import { bankReferenceSteps, toPayout } from './items.ts';
import { scanSegments } from '../platform/query.ts';
import { transact } from '../platform/transactions.ts';

class HasReferenceItem extends Error {
  constructor() {
    super('the payout has its bank-reference item');
    this.name = 'HasReferenceItem';
  }
}

export async function backfillBankReferences(options: BackfillOptions = {}): Promise<BackfillCounts> {
  const counts: BackfillCounts = { scanned: 0, updated: 0 };
  await scanSegments(
    {
      filter: '#type = :payout AND #status = :settled AND attribute_exists(bankReference)',
      names: { '#type': 'type', '#status': 'status' },
      values: { ':payout': 'payout', ':settled': 'settled' },
      consistentRead: true,
      segments: options.segments ?? 4,
    },
    async (item) => {
      counts.scanned++;
      const payout = toPayout(item);
      if (payout.bankReference && payout.settledAt && payout.payer) {
        try {
          await transact(bankReferenceSteps(payout, payout.bankReference, payout.settledAt, { onceOnly: () => new HasReferenceItem() }));
          counts.updated++;
        } catch (error) {
          if (!(error instanceof HasReferenceItem)) throw error;
        }
      }
      options.onProgress?.({ ...counts });
    },
  );
  return counts;
}
