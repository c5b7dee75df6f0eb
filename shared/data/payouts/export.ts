/**
 * `GET /v1/payouts` with `Accept: text/csv`: every payout the list's filters match, in the list's order,
 * as one CSV file (header row first, accounts masked as in the JSON). Read page by page through the same
 * listing, so memory holds one page of items plus the text; API Gateway HTTP API cannot stream a Lambda's
 * response, so the file is answered whole and must fit the 6 MB synchronous response payload.
 */
import { csvRecord } from '../../csv.ts';
import { DomainError } from '../../domain/errors.ts';
import type { Payout } from '../../domain/payouts.ts';
import { LAMBDA_MAX_REQUEST_PAYLOAD_BYTES } from '../../routes.ts';
import { listPayouts, type PayoutFilter } from './items.ts';

export const PAYOUT_CSV_COLUMNS = [
  'payoutId',
  'disbursementId',
  'batchId',
  'fundId',
  'countyCode',
  'amount',
  'currency',
  'beneficiaryKind',
  'beneficiaryName',
  'stationId',
  'bankName',
  'accountName',
  'accountNumber',
  'status',
  'attempts',
  'createdAt',
  'sentAt',
  'settledAt',
  'bankReference',
  'failureReason',
] as const;

/**
 * A Lambda response is at most 6 MB as its JSON envelope, the body escaped inside (`"` and CR LF take two
 * characters each): the export counts each row as escaped and stops below that, room left for headers.
 */
export const PAYOUT_CSV_MAX_BYTES = LAMBDA_MAX_REQUEST_PAYLOAD_BYTES - 64 * 1024;

/** What a text takes inside the response envelope's JSON string. */
const escapedBytes = (text: string) => Buffer.byteLength(JSON.stringify(text)) - 2;

/** Items per listing page while exporting (the public `limit` caps at 100; bigger pages mean fewer round trips). */
const EXPORT_PAGE = 500;

/**
 * Listing pages one export may read (each reads at most pageReadBudget(500) index items): a filter that matches
 * little in a big table must not turn one request into a scan of every payout. More rows than this could
 * keep would not fit the response anyway.
 */
export const PAYOUT_CSV_MAX_PAGES = 60;

const tooBroad = (why: string) =>
  new DomainError('validation_failed', `The export ${why}; narrow it with filters`, [
    { path: 'query', message: 'too many payouts to read for one CSV file' },
  ]);

export function payoutCsvRow(p: Payout): string {
  return csvRecord([
    p.payoutId,
    p.disbursementId,
    p.batchId,
    p.fundId,
    p.countyCode,
    p.amount,
    p.currency,
    p.beneficiary.kind,
    p.beneficiary.name,
    p.beneficiary.stationId,
    p.beneficiary.account.bankName,
    p.beneficiary.account.accountName,
    p.beneficiary.account.accountNumber,
    p.status,
    p.attempts,
    p.createdAt,
    p.sentAt,
    p.settledAt,
    p.bankReference,
    p.failureReason,
  ]);
}

export async function exportPayoutsCsv(filter: PayoutFilter): Promise<string> {
  const parts: string[] = [csvRecord(PAYOUT_CSV_COLUMNS)];
  let bytes = escapedBytes(parts[0]!);
  let cursor: string | undefined;
  let pages = 0;
  do {
    if (++pages > PAYOUT_CSV_MAX_PAGES) throw tooBroad(`reads more than ${PAYOUT_CSV_MAX_PAGES} listing pages`);
    const page = await listPayouts({ ...filter, limit: EXPORT_PAGE, cursor });
    for (const payout of page.items) {
      // listPayouts masks the account already; the CSV takes the same public form.
      const row = payoutCsvRow(payout);
      bytes += escapedBytes(row);
      if (bytes > PAYOUT_CSV_MAX_BYTES) throw tooBroad(`is over ${PAYOUT_CSV_MAX_BYTES} bytes`);
      parts.push(row);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return parts.join('');
}
