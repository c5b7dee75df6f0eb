import { httpFunction } from '#shared/http/function';
import { created, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/funds';
import { createFund, getFund, listAllocations, listFunds, setAllocation } from '#shared/data/funds';

export const handler = httpFunction('funds', [
  implement(contracts.createFund, async ({ body, principal, correlationId, now, claim }) =>
    created(
      await createFund(
        {
          name: body.name,
          totalBudget: body.totalBudget,
          dualApprovalThreshold: body.dualApprovalThreshold ?? contracts.DEFAULT_DUAL_APPROVAL_THRESHOLD,
        },
        { sub: principal.sub, correlationId },
        now,
        claim,
      ),
    ),
  ),
  implement(contracts.listFunds, async ({ query }) => ok(await listFunds(query))),
  implement(contracts.getFund, async ({ params }) => ok(await getFund(params.fundId))),
  implement(contracts.putAllocation, async ({ params, body, principal, correlationId, now }) =>
    ok(await setAllocation(params.fundId, params.countyCode, body.amount, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.listAllocations, async ({ params, query }) => ok(await listAllocations(params.fundId, query))),
]);
