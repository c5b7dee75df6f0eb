/**
 * Writes the bank-reference items (keys.bankReference, keys.bankReferenceSummary) of payouts settled before
 * settlements wrote them, so reconciliation finds those payouts by reference on any day, not only on their
 * settlement day. A one-off migration that reads the whole table (a parallel Scan), so it runs from a script,
 * never on a request path. Each payout is one transaction whose item Put is conditional: a payout that has its
 * item already (settled since, or backfilled before) is skipped, and its summary is not counted twice, so
 * running it again changes nothing. Belongs with the other parts of `npm run backfill` (shared/data/backfill.ts).
 */
import { bankReferenceSteps, toPayout } from './payouts.ts';
import { scanSegments } from './query.ts';
import { transact } from './transactions.ts';

const SEGMENTS = 4;

class HasReferenceItem extends Error {
  constructor() {
    super('the payout has its bank-reference item');
    this.name = 'HasReferenceItem';
  }
}

export async function backfillBankReferences(): Promise<{ scanned: number; written: number }> {
  let scanned = 0;
  let written = 0;
  await scanSegments(
    {
      filter: '#type = :payout AND #status = :settled AND attribute_exists(bankReference)',
      names: { '#type': 'type', '#status': 'status' },
      values: { ':payout': 'payout', ':settled': 'settled' },
      consistentRead: true,
      segments: SEGMENTS,
    },
    async (item) => {
      scanned++;
      const payout = toPayout(item);
      if (!payout.bankReference || !payout.settledAt || !payout.payer) return;
      try {
        await transact(bankReferenceSteps(payout, payout.bankReference, payout.settledAt, () => new HasReferenceItem()));
        written++;
      } catch (error) {
        if (!(error instanceof HasReferenceItem)) throw error;
      }
    },
  );
  return { scanned, written };
}
