/**
 * A bank-statement reconciliation of N lines (default 10,000): N/2 lines match payouts settled on the statement
 * day (half by payoutId, half by bankReference), N/2 name references nobody settled (each is looked up in the
 * reference summaries). Measured through the API (`POST /v1/reconciliations`: parse, validate, idempotency, the
 * matching reads, the stored result, the reply) against a baseline from the same run: parsing and validating the
 * same body alone (JSON.parse + the contract's zod schema). Figures: seconds, heap/RSS growth, the body's bytes
 * (Lambda takes a 6 MB event) and the reply's (6 MB response).
 */
import type { Phase } from './stack.ts';
import { expectStatus, settledPayout } from './stack.ts';
import { measure } from './payout-export.ts';

export interface ReconciliationBenchResult {
  lines: number;
  settledPayouts: number;
  bodyBytes: number;
  replyBytes: number;
  seconds: number;
  baselineSeconds: number;
  ratioToBaseline: number;
  heapDeltaMiB: number;
  rssDeltaMiB: number;
  baselineHeapDeltaMiB: number;
  baselineRssDeltaMiB: number;
  matched: number;
  unmatchedLines: number;
}

const PAYER = 'bench-finance-rcn';

export async function benchReconciliation(phase: Phase, lines: number): Promise<ReconciliationBenchResult> {
  const { payoutPutStep, payoutSettledKeys } = await import('#shared/data/payouts/items');
  const { putAll } = await import('#shared/data/platform/bulk');
  const { newId } = await import('#shared/ids');
  const { ReconciliationBody } = await import('#shared/schemas/reconciliations');
  const settledCount = Math.floor(lines / 2);
  const fundId = newId('fund');
  const statementDate = new Date().toISOString().slice(0, 10);
  const dayStart = Date.parse(`${statementDate}T00:00:00.000Z`);
  // Settled payouts of the statement day, as their settlement leaves them on the by-settlement-time index.
  const payouts = Array.from({ length: settledCount }, (_, n) => {
    const at = new Date(dayStart + n * 1_000);
    const payout = settledPayout(n, { payoutId: newId('payout', at.getTime()), disbursementId: newId('disbursement'), fundId }, at);
    const { payoutId, bankReference, amount, settledAt } = payout;
    const step = payoutPutStep(payout, newId('message'), { payer: PAYER });
    return { item: { ...step.item.Put!.Item!, ...payoutSettledKeys(payoutId, settledAt) }, payoutId, bankReference, amount };
  });
  await putAll(payouts.map((p) => p.item));

  const body = {
    statementDate,
    lines: [
      ...payouts.map((p, n) => ({
        bankReference: p.bankReference,
        amount: p.amount,
        currency: 'CNY',
        valueDate: statementDate,
        ...(n % 2 === 0 ? { payoutId: p.payoutId } : {}),
      })),
      ...Array.from({ length: lines - settledCount }, (_, n) => ({
        bankReference: `UNKNOWN${String(n).padStart(10, '0')}`,
        amount: 100 + n,
        currency: 'CNY',
        valueDate: statementDate,
      })),
    ],
  };
  const text = JSON.stringify(body);
  const token = await phase.token('finance-system', PAYER);
  let key = 0;
  const reconcile = async () => {
    const reply = expectStatus(
      await phase.api('POST', '/v1/reconciliations', { token, body, idempotencyKey: `bench-${key++}` }),
      201,
      'reconciliation',
    );
    return reply.body as { matched: unknown[]; unmatchedLines: unknown[] };
  };
  const parseAndValidate = async () => {
    const parsed = ReconciliationBody.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error('the bench statement does not validate');
    return parsed.data.lines.length;
  };
  // One run first, so neither side pays for a cold connection pool, a cold table or a cold schema.
  await reconcile();
  await parseAndValidate();
  const baseline = await measure(parseAndValidate);
  const measured = await measure(reconcile);
  if (measured.value.matched.length !== settledCount) throw new Error(`${measured.value.matched.length} of ${settledCount} lines matched`);
  return {
    lines,
    settledPayouts: settledCount,
    bodyBytes: Buffer.byteLength(text),
    replyBytes: Buffer.byteLength(JSON.stringify(measured.value)),
    seconds: measured.seconds,
    baselineSeconds: baseline.seconds,
    ratioToBaseline: measured.seconds / baseline.seconds,
    heapDeltaMiB: measured.heapDeltaMiB,
    rssDeltaMiB: measured.rssDeltaMiB,
    baselineHeapDeltaMiB: baseline.heapDeltaMiB,
    baselineRssDeltaMiB: baseline.rssDeltaMiB,
    matched: measured.value.matched.length,
    unmatchedLines: measured.value.unmatchedLines.length,
  };
}
