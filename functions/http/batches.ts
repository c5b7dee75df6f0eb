import { httpFunction } from '#shared/http/function';
import { created, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/batches';
import { getBatchFor } from '#shared/data/batches/items';
import { listBatchPayouts } from '#shared/data/payouts/list';
import { cancelBatch, rejectBatch } from '#shared/data/batches/close';
import { approveBatch } from '#shared/data/batches/approve';
import { clearBatchFlags, listBatchFlags } from '#shared/data/batches/flags';
import { correctBatch, createBatch } from '#shared/data/batches/create';
import { correctBatch as correctBatchContract } from '#shared/schemas/corrections';
import { listBatches } from '#shared/data/batches/list';
import { payerScope } from '#shared/domain/roles';

export const handler = httpFunction('batches', [
  implement(contracts.createBatch, async ({ body, principal, correlationId, now, claim }) =>
    created(await createBatch(body, { sub: principal.sub, correlationId }, now, claim)),
  ),
  implement(correctBatchContract, async ({ params, body, principal, correlationId, now, claim }) =>
    created(await correctBatch(params.batchId, body, { ...principal, correlationId }, now, claim)),
  ),
  implement(contracts.listBatches, async ({ query, principal }) => ok(await listBatches({ ...query, payer: payerScope(principal) }))),
  implement(contracts.getBatch, async ({ params, principal }) => ok(await getBatchFor(params.batchId, principal))),
  implement(contracts.listBatchPayouts, async ({ params, query, principal }) =>
    ok(await listBatchPayouts(params.batchId, query, principal)),
  ),
  implement(contracts.approveBatch, async ({ params, body, principal, correlationId, now }) =>
    ok(await approveBatch(params.batchId, body, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.rejectBatch, async ({ params, body, principal, correlationId, now }) =>
    ok(await rejectBatch(params.batchId, body.reason, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.cancelBatch, async ({ params, body, principal, correlationId, now }) =>
    ok(await cancelBatch(params.batchId, body.reason, { ...principal, correlationId }, now)),
  ),
  implement(contracts.listBatchFlags, async ({ params, query, principal }) => ok(await listBatchFlags(params.batchId, query, principal))),
  implement(contracts.clearBatchFlags, async ({ params, body, principal, correlationId, now }) =>
    ok(await clearBatchFlags(params.batchId, body.reason, { sub: principal.sub, correlationId }, now)),
  ),
]);
