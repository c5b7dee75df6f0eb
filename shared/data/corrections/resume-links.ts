import { overdueIn, type SweepSource } from '../platform/outbox.ts';
import { CORRECTION_LINK_INDEX, readPendingLinks } from './items.ts';
import { finishLinks } from './payout-links.ts';

/**
 * The outbox sweeper's part in corrections: a correction whose batch was created but whose claims were not all
 * linked (its process crashed in between) still has its pending-links marker once the sweep's cutoff has passed
 * its creation; the sweep links them (idempotent: a payout linked already is left as it is) and removes it.
 */
export const correctionLinkSource: SweepSource = {
  name: 'correction-links',
  async sweep(cutoff) {
    let found = 0;
    let queued = 0;
    for await (const ids of overdueIn(CORRECTION_LINK_INDEX, cutoff)) {
      found += ids.length;
      for (const correction of ids) {
        const payoutIds = await readPendingLinks(correction);
        if (payoutIds === undefined) continue;
        await finishLinks(correction, payoutIds, new Date());
        queued++;
      }
    }
    return { found, queued };
  },
};
