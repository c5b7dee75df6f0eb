import { overdueSource } from '../platform/sweep.ts';
import { CORRECTION_LINK_INDEX, readPendingLinks } from './items.ts';
import { finishLinks } from './payout-links.ts';

/**
 * The outbox sweeper's part in corrections: a correction whose batch was created but whose claims were not all
 * linked (its process crashed in between) still has its pending-links marker once the sweep's cutoff has passed
 * its creation; the sweep links them (idempotent: a payout linked already is left as it is) and removes it.
 */
export const correctionLinkSource = overdueSource({
  name: 'correction-links',
  partition: CORRECTION_LINK_INDEX,
  async each(correction) {
    const payoutIds = await readPendingLinks(correction);
    if (payoutIds === undefined) return false;
    await finishLinks(correction, payoutIds, new Date());
    return true;
  },
});
