import { httpFunction } from '#shared/http/function';
import { accepted, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/payouts';
import { getPayoutFor, listPayouts, publicPayout, redeliverPayout, settlePayout } from '#shared/data/payouts';
import { payerScope } from '#shared/domain/roles';

export const handler = httpFunction('payouts', [
  implement(contracts.listPayouts, async ({ query, principal }) => ok(await listPayouts({ ...query, payer: payerScope(principal) }))),
  implement(contracts.getPayout, async ({ params, principal }) => ok(publicPayout(await getPayoutFor(params.payoutId, principal)))),
  implement(contracts.settlePayout, async ({ params, body, principal, correlationId, now }) =>
    ok(await settlePayout(params.payoutId, body, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.redeliverPayout, async ({ params, principal, correlationId, now }) =>
    accepted(await redeliverPayout(params.payoutId, { sub: principal.sub, correlationId }, now)),
  ),
]);
