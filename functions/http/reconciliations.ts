import { httpFunction, mediaType } from '#shared/http/function';
import { created, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/reconciliations';
import { createReconciliation, getReconciliation } from '#shared/data/reconciliations/reconcile';
import { validationFailed } from '#shared/domain/errors';
import { statementDateProblem } from '#shared/domain/statement-date';

export const handler = httpFunction('reconciliations', [
  implement(contracts.createReconciliation, async ({ query, body, headers, principal, correlationId, now, claim }) => {
    // A JSON statement carries its date in the body; two places for one date would have to be reconciled too.
    if (query.statementDate !== undefined && mediaType(headers['content-type']) !== 'text/csv') {
      throw validationFailed([{ path: 'query.statementDate', message: 'only with a text/csv body (a JSON body carries statementDate)' }]);
    }
    const problem = statementDateProblem(body.statementDate, now);
    if (problem !== undefined) {
      const path = query.statementDate !== undefined ? 'query.statementDate' : 'body.statementDate';
      throw validationFailed([{ path, message: problem }]);
    }
    return created(await createReconciliation(body, { sub: principal.sub, correlationId }, now, claim));
  }),
  implement(contracts.getReconciliation, async ({ params, principal }) => ok(await getReconciliation(params.reconciliationId, principal))),
]);
