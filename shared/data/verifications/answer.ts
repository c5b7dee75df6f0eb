import { answered, assertAnswerer, decideAnswer, type VerificationAnswer } from '../../domain/account-verification.ts';
import type { Actor } from '../../domain/roles.ts';
import { retryOnConflict, transact } from '../platform/transactions.ts';
import {
  answerReachesBatch,
  answerSteps,
  readVerification,
  updateLookup,
  verificationReply,
  type StoredVerification,
  type VerificationReply,
} from './items.ts';
import { applyAnswer } from './apply.ts';

/**
 * `POST /v1/account-verifications/{id}`: the fund's paying finance system answers (anyone else: 404). The first
 * answer commits with its audit entry; the same answer again is a no-op 200, another 409 invalid_state. Either
 * way the answer is then applied to every item waiting for it, each once, so a repeat heals an earlier answer
 * whose propagation was cut short.
 */
export async function answerVerification(
  verificationId: string,
  answer: VerificationAnswer,
  actor: Actor,
  now: Date,
): Promise<VerificationReply> {
  const result = await retryOnConflict(async () => {
    const v = await readVerification(verificationId);
    assertAnswerer(v.payer, actor.sub, verificationId);
    if (decideAnswer(v, answer) === 'repeat') return v;
    const next: StoredVerification = { ...v, ...answered(v, answer, now) };
    await transact(answerSteps(v, next, actor.sub, now));
    // A batch waiting on the verification itself took a `match` in that transaction.
    return answerReachesBatch(next, now) ? { ...next, waitApplied: true } : next;
  });
  // Both follow the committed answer and neither needs the other: at once, one round trip less.
  await Promise.all([updateLookup(result), applyAnswer(result, now)]);
  return verificationReply(result, true);
}
