import * as z from 'zod';
import { MAX_STATEMENT_LINES, STATEMENT_COLUMNS, statementDay, statementFromCsv } from '../domain/reconciliation.ts';
import { Amount, Currency, NonBlank, idOf } from './common.ts';
import { contractsOf } from './contract.ts';

const contract = contractsOf('Reconciliation');

/** A calendar date `YYYY-MM-DD` that exists (no 30 February). */
const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
  .refine((d) => {
    try {
      statementDay(d);
      return true;
    } catch {
      return false;
    }
  }, 'not a calendar date')
  .meta({ example: '2026-12-01' });

export const StatementLine = z
  .strictObject({
    bankReference: NonBlank(100),
    amount: Amount,
    currency: Currency,
    valueDate: CalendarDate,
    payoutId: idOf('payout').optional().meta({ description: 'When given, the line matches this payout or none (never by reference).' }),
  })
  .meta({ id: 'StatementLine' });

export const ReconciliationBody = z
  .strictObject({
    statementDate: CalendarDate.meta({
      description:
        'The statement day (UTC): payouts settled on it that no line matches are listed as unmatched. Not after tomorrow (UTC): a later date is 400 validation_failed.',
    }),
    lines: z.array(StatementLine).min(1).max(MAX_STATEMENT_LINES),
  })
  .meta({ id: 'ReconciliationBody' });

const LineNumber = z
  .number()
  .int()
  .min(1)
  .meta({ description: "The line's 1-based position in the statement (a CSV's data rows, header not counted)." });

export const Reconciliation = z
  .object({
    reconciliationId: idOf('reconciliation'),
    statementDate: z.string(),
    matched: z.array(z.object({ line: LineNumber, payoutId: idOf('payout') })),
    unmatchedLines: z.array(z.object({ line: LineNumber, bankReference: z.string(), amount: Amount })),
    unmatchedPayouts: z.array(z.object({ payoutId: idOf('payout'), bankReference: z.string(), amount: Amount })),
    amountMismatches: z.array(z.object({ line: LineNumber, payoutId: idOf('payout'), statementAmount: Amount, payoutAmount: Amount })),
  })
  .meta({ id: 'Reconciliation' });

export const createReconciliation = contract(
  'createReconciliation',
  'Reconcile a bank statement with the payouts this finance system settled',
  {
    description:
      "Each line matches one of the caller's own payouts settled `succeeded`: by `payoutId` when it names one (and then " +
      'only by it), else by `bankReference` (a payout settled on any day). A payout is matched at most once. ' +
      '`unmatchedPayouts` are those settled on `statementDate` (UTC) that no line matched. Nothing moves money; the ' +
      'result is kept and `GET /v1/reconciliations/{reconciliationId}` returns it again. Field errors name ' +
      '`body.lines.<i>`, the line at 0-based position i (the CSV data row i + 1).',
    query: z.strictObject({
      statementDate: CalendarDate.optional().meta({ description: 'With a `text/csv` body only (and then required): the statement day.' }),
    }),
    body: ReconciliationBody,
    csvBody: {
      description:
        `The lines as RFC 4180 CSV (UTF-8, a byte order mark is dropped): a header row naming the columns ` +
        `${STATEMENT_COLUMNS.map((c) => `\`${c}\``).join(', ')} in any order (\`payoutId\` optional, may be empty), ` +
        'one line per row, `amount` in whole fen; an unknown, repeated or missing column is refused (400). ' +
        'The statement date comes from `?statementDate=`.',
      toBody: (text, query) => statementFromCsv(text, query.statementDate),
    },
    responses: { 201: { description: 'The reconciliation', schema: Reconciliation } },
  },
);

export const getReconciliation = contract('getReconciliation', 'Get a reconciliation again', {
  description: 'To a finance system, only its own reconciliations exist (any other is 404).',
  params: z.strictObject({ reconciliationId: idOf('reconciliation') }),
  responses: { 200: { description: 'The reconciliation, as it was answered', schema: Reconciliation } },
});
