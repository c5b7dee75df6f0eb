import { httpFunction } from '#shared/http/function';
import { accepted, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/payouts';
import { getPayoutFailures } from '#shared/schemas/corrections';
import { summarizeFailures } from '#shared/data/failures/summarize';
import { getPayoutFor, publicPayout } from '#shared/data/payouts/items';
import { redeliverPayout } from '#shared/data/payouts/redeliver';
import { settlePayout } from '#shared/data/payouts/settle';
import { listPayouts } from '#shared/data/payouts/items';
import { exportPayoutsCsv } from '#shared/data/payouts/export';
import { payerScope } from '#shared/domain/roles';
import { readsFullAccount } from '#shared/domain/payout-instruction';
import * as verificationContracts from '#shared/schemas/verifications';
import { answerVerification } from '#shared/data/verifications/answer';
import { listVerifications } from '#shared/data/verifications/list';

/** `Accept: text/csv` (alone or preferred first) asks for the CSV file; anything else gets JSON. */
function wantsCsv(accept: string | undefined): boolean {
  const first = accept?.split(',')[0]?.split(';')[0]?.trim().toLowerCase();
  return first === 'text/csv';
}

export const handler = httpFunction('payouts', [
  implement(verificationContracts.listAccountVerifications, async ({ query, principal }) => ok(await listVerifications(query, principal))),
  implement(verificationContracts.answerAccountVerification, async ({ params, body, principal, correlationId, now }) =>
    ok(await answerVerification(params.verificationId, body, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.listPayouts, async ({ query, principal, headers }) => {
    if (wantsCsv(headers.accept)) {
      const { limit: _, cursor: __, ...filter } = query;
      const raw = await exportPayoutsCsv({ ...filter, payer: payerScope(principal) });
      return {
        status: 200,
        raw,
        headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="payouts.csv"' },
      };
    }
    return ok(await listPayouts({ ...query, payer: payerScope(principal) }));
  }),
  implement(contracts.getPayout, async ({ params, principal }) => {
    const payout = await getPayoutFor(params.payoutId, principal);
    // The paying finance system checks the instruction it was sent against this read: the account in full for it alone.
    return ok(
      readsFullAccount(principal, payout.payer) ? { ...publicPayout(payout), beneficiary: payout.beneficiary } : publicPayout(payout),
    );
  }),
  implement(getPayoutFailures, async ({ query, principal, now }) => ok(await summarizeFailures(query, principal, now))),
  implement(contracts.settlePayout, async ({ params, body, principal, correlationId, now }) =>
    ok(await settlePayout(params.payoutId, body, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.redeliverPayout, async ({ params, principal, correlationId, now }) =>
    accepted(await redeliverPayout(params.payoutId, { sub: principal.sub, correlationId }, now)),
  ),
]);
