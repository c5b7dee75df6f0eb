import { answered, assertAnswerer, decideAnswer, type VerificationAnswer } from '../../domain/account-verification.ts';
import type { Actor } from '../../domain/roles.ts';
import { retryOnConflict, transact } from '../platform/transactions.ts';
import {
  answerReachesBatch,
  answerSteps,
  LookupMoved,
  readVerification,
  updateLookup,
  verificationReply,
  type StoredVerification,
  type VerificationReply,
} from './items.ts';
import { applyAnswer } from './apply.ts';

/**
 * `POST /v1/account-verifications/{id}`: the fund's paying finance system answers (anyone else: 404). The first
 * answer commits in ONE transaction with its audit entry, its account's lookup and, for a `match`, the counter
 * shard of the batch whose request made it: for that batch's row, nothing is left to do. `WAIT#` items are looked
 * for only when the verification has some. The same answer again is a no-op 200, another 409 invalid_state; a
 * repeat applies the answer again to everything waiting for it (each once), so it heals an earlier answer whose
 * propagation was cut short.
 */
export async function answerVerification(
  verificationId: string,
  answer: VerificationAnswer,
  actor: Actor,
  now: Date,
): Promise<VerificationReply> {
  const { v: result, fresh } = await retryOnConflict(async () => {
    const v = await readVerification(verificationId);
    assertAnswerer(v.payer, actor.sub, verificationId);
    if (decideAnswer(v, answer) === 'repeat') return { v, fresh: false };
    const next: StoredVerification = { ...v, ...answered(v, answer, now) };
    try {
      await transact(answerSteps(v, next, actor.sub, now));
    } catch (error) {
      if (!(error instanceof LookupMoved)) throw error;
      // A newer request of the account took its lookup (this one had expired): the lookup names that one.
      await transact(answerSteps(v, next, actor.sub, now, { lookup: false }));
    }
    // A batch waiting on the verification itself took a `match` in that transaction.
    return { v: answerReachesBatch(next, now) ? { ...next, waitApplied: true } : next, fresh: true };
  });
  // A fresh answer moved its lookup; a repeat moves it again, in case the first was cut short before its own.
  await Promise.all([fresh ? undefined : updateLookup(result), applyAnswer(result, now)]);
  return verificationReply(result, true);
}
