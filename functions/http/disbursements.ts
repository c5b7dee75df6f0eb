import { httpFunction } from '#shared/http/function';
import { created, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/disbursements';
import { getDisbursementFor } from '#shared/data/disbursements/items';
import { cancelDisbursement, clearDisbursementFlags, rejectDisbursement } from '#shared/data/disbursements/close';
import { approveDisbursement } from '#shared/data/disbursements/approve';
import { listDisbursements } from '#shared/data/disbursements/list';
import { correctDisbursement, createDisbursement } from '#shared/data/disbursements/create';
import { payerScope } from '#shared/domain/roles';

export const handler = httpFunction('disbursements', [
  implement(contracts.createDisbursement, async ({ body, principal, correlationId, now, claim }) => {
    const { currency: _, ...input } = body;
    return created(await createDisbursement(input, { sub: principal.sub, correlationId }, now, claim));
  }),
  implement(contracts.listDisbursements, async ({ query, principal }) =>
    ok(await listDisbursements({ ...query, payer: payerScope(principal) })),
  ),
  implement(contracts.getDisbursement, async ({ params, principal }) => ok(await getDisbursementFor(params.disbursementId, principal))),
  implement(contracts.approveDisbursement, async ({ params, body, principal, correlationId, now }) =>
    ok(await approveDisbursement(params.disbursementId, body, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.rejectDisbursement, async ({ params, body, principal, correlationId, now }) =>
    ok(await rejectDisbursement(params.disbursementId, body.reason, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.cancelDisbursement, async ({ params, body, principal, correlationId, now }) =>
    ok(await cancelDisbursement(params.disbursementId, body.reason, { ...principal, correlationId }, now)),
  ),
  implement(contracts.correctDisbursement, async ({ params, body, principal, correlationId, now, claim }) =>
    created(await correctDisbursement(params.disbursementId, body, { ...principal, correlationId }, now, claim)),
  ),
  implement(contracts.clearDisbursementFlags, async ({ params, body, principal, correlationId, now }) =>
    ok(await clearDisbursementFlags(params.disbursementId, body.reason, { sub: principal.sub, correlationId }, now)),
  ),
]);
