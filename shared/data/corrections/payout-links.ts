/**
 * The claim → link steps of a batch correction (./items.ts says why that order corrects each failed payout at most
 * once, across processes): the payouts claimed for the correcting batch before it is created, given back when the
 * creation fails, and linked (`correctedBy`) once it exists, each in short transactions of at most 100 items. The
 * verb that runs them is `correctBatch` in ../batches/create.ts (a correction is a creation); the outbox sweeper
 * resumes a crashed correction's links through ./resume-links.ts.
 */
import { DomainError, invalidState } from '../../domain/errors.ts';
import { failureCorrectedSteps } from '../failures/items.ts';
import { keys } from '../platform/keys.ts';
import { readByKeys } from '../platform/query.ts';
import { retryOnConflict, transact } from '../platform/transactions.ts';
import {
  AlreadyAbandoned,
  AlreadyLinked,
  BatchExists,
  ClaimHeld,
  CLAIM_STALE_MS,
  abandonSteps,
  countedFailure,
  deletePendingLinks,
  payoutClaimStep,
  payoutLinkStep,
  payoutUnclaimStep,
} from './items.ts';

/** Transactions in flight at once while claiming, giving back or linking a correction's payouts. */
const LINK_CONCURRENCY = 4;
/** Items of one TransactWriteItems. */
const MAX_TX_ITEMS = 100;

/** The stored payouts named, by id (a payout named twice is read once). */
export async function readPayouts(payoutIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  // BatchGetItem refuses a key named twice; a payout named twice is the decision's to refuse.
  const items = await readByKeys([...new Set(payoutIds)].map((id) => keys.payout(id)));
  return new Map(items.map((item) => [item.payoutId as string, item]));
}

/**
 * Step 3 in full: every claim of `correction` linked, then its pending-links marker removed. The payouts are read
 * after their claim: from then on the failure counters' backfill leaves them alone (../failures/backfill.ts), so
 * whether each was counted, and so what its link takes out of the counters, is what this read says.
 */
export async function finishLinks(correction: string, payoutIds: readonly string[], now: Date): Promise<void> {
  await linkPayouts(correction, await readPayouts(payoutIds), now);
  await deletePendingLinks(correction);
}

/** Runs `work` on each chunk, a few at once; the first error is thrown once every chunk has settled. */
async function eachChunk<T>(chunks: readonly T[], work: (chunk: T) => Promise<void>): Promise<void> {
  const queue = [...chunks];
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: Math.min(LINK_CONCURRENCY, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        try {
          await work(next);
        } catch (error) {
          errors.push(error);
        }
      }
    }),
  );
  if (errors.length > 0) throw errors[0];
}

function chunked<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Step 1: every payout claimed for `correction`, 100 per transaction, all or nothing: when one is refused, the
 * claims taken are given back and the refusal is the answer. A stale claim of a batch that was never created is
 * taken over once its id is abandoned; the claim of a batch that exists becomes its link (the payout is corrected).
 */
export async function claimPayouts(correction: string, payoutIds: readonly string[], now: Date): Promise<void> {
  const at = now.toISOString();
  try {
    await eachChunk(chunked(payoutIds, MAX_TX_ITEMS), async (chunk) => {
      for (let attempt = 0; ; attempt++) {
        try {
          await retryOnConflict(() => transact(chunk.map((id) => payoutClaimStep(id, correction, at))));
          return;
        } catch (error) {
          if (!(error instanceof ClaimHeld) || attempt >= 3) throw error;
          await settleHeldClaim(error, now);
        }
      }
    });
  } catch (error) {
    await unclaimPayouts(correction, payoutIds);
    throw error instanceof ClaimHeld ? invalidState(error.message) : error;
  }
}

/** Another correction's claim: 409 while it may still be running; else its batch exists (link it) or is abandoned (free it). */
async function settleHeldClaim(held: ClaimHeld, now: Date): Promise<void> {
  const age = now.getTime() - Date.parse(held.claimedAt);
  if (!(age > CLAIM_STALE_MS)) throw held;
  try {
    await transact(abandonSteps(held.claimedBy, now.toISOString()));
  } catch (error) {
    if (error instanceof BatchExists) {
      const payouts = await readPayouts([held.payoutId]);
      await linkPayouts(held.claimedBy, payouts, now);
      throw invalidState(`Payout ${held.payoutId} was already corrected by ${held.claimedBy}`);
    }
    if (!(error instanceof AlreadyAbandoned)) throw error;
  }
  await transact([payoutUnclaimStep(held.payoutId, held.claimedBy)]).catch(() => undefined);
}

/** Gives back this correction's claims, one payout at a time (some were never taken). */
export async function unclaimPayouts(correction: string, payoutIds: readonly string[]): Promise<void> {
  await eachChunk(payoutIds, async (id) => {
    await transact([payoutUnclaimStep(id, correction)]).catch(() => undefined);
  }).catch(() => undefined);
}

/**
 * Step 3: each claim of `correction` becomes its link, with the payout's move out of the failures counters, in
 * transactions of at most 100 items. A payout linked already (a resumed correction) is left as it is.
 */
async function linkPayouts(correction: string, payouts: ReadonlyMap<string, Record<string, unknown>>, now: Date): Promise<void> {
  const at = now.toISOString();
  const chunks: Record<string, unknown>[][] = [];
  let chunk: Record<string, unknown>[] = [];
  for (const p of payouts.values()) {
    const next = [...chunk, p];
    if (chunk.length > 0 && next.length + failureCorrectedSteps(next.map(countedFailure)).length > MAX_TX_ITEMS) {
      chunks.push(chunk);
      chunk = [p];
    } else chunk = next;
  }
  if (chunk.length > 0) chunks.push(chunk);
  const stepsOf = (list: Record<string, unknown>[]) => [
    ...list.map((p) => payoutLinkStep(p.payoutId as string, correction, at)),
    ...failureCorrectedSteps(list.map(countedFailure)),
  ];
  await eachChunk(chunks, async (list) => {
    try {
      await retryOnConflict(() => transact(stepsOf(list)));
    } catch (error) {
      if (!(error instanceof AlreadyLinked) && !(error instanceof DomainError)) throw error;
      // Some were linked (or never claimed by it): one payout at a time, each on its own condition.
      for (const p of list) {
        await retryOnConflict(() => transact(stepsOf([p]))).catch((e: unknown) => {
          if (!(e instanceof AlreadyLinked) && !(e instanceof DomainError)) throw e;
        });
      }
    }
  });
}
