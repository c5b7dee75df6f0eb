/**
 * `GET /v1/payouts/failures` (API.md 1.2): the failed payouts not yet corrected, by failure code and by age, read
 * from the keyed counters of ./items.ts (two Queries of one partition, never the payouts). A finance system reads
 * only the funds it pays: it names the fund (`fundId`), and a fund another system pays is 404 `not_found` to it.
 */
import { DomainError, notFound } from '../../domain/errors.ts';
import type { FailureSummary } from '../../domain/failures.ts';
import { payerScope, type MoneyReader } from '../../domain/roles.ts';
import { getFundSettings } from '../funds/items.ts';
import { readFailureSummary, type FailureScope } from './items.ts';

export async function summarizeFailures(scope: FailureScope, reader: MoneyReader, now: Date): Promise<FailureSummary> {
  const payer = payerScope(reader);
  if (payer !== undefined) {
    if (scope.fundId === undefined) {
      throw new DomainError('validation_failed', 'A finance system names the fund it pays (fundId)', [
        { path: 'query.fundId', message: 'required for a finance system' },
      ]);
    }
    const fund = await getFundSettings(scope.fundId);
    if (fund.financeSystem !== payer) throw notFound(`Fund ${scope.fundId}`);
  }
  return readFailureSummary(scope, now);
}
