/**
 * Bank-statement reconciliation, the use case: load → match (the pure rules of shared/domain/reconciliation.ts)
 * → keep the result (./items.ts). No money moves, so no ledger entry; the create has its audit
 * entry and its idempotency claim.
 *
 * What the matching reads, all of it bounded by the statement and the day, never a scan:
 * - the payouts this finance system settled `succeeded` on the statement date: gsi5 (`PAY#SETTLED#<n>`, sk
 *   `<settledAt>#<payoutId>`), the day's key range in each of its partitions; these are also the candidates
 *   for `unmatchedPayouts`;
 * - the payouts lines name by id that did not settle that day: BatchGetItem, 100 ids per request;
 * - after a first match on those two (`matchStatement`), for the references of the id-less lines it left unmatched
 *   or matched with another amount: the reference summaries a settlement writes
 *   (`BANKREF#<payer>#<reference> / REF`), BatchGetItem, 100 a request; for the rare reference that names
 *   several payouts, its `PAY#` items, one Query each, REFERENCE_CONCURRENCY at a time. A payout settled
 *   before those items were written has none: by reference it is then found only on its own settlement day.
 */
import {
  reconcile,
  referencesToLookUp,
  statementDay,
  type ReconciliationOutcome,
  type SettledPayout,
  type StatementLine,
} from '../../domain/reconciliation.ts';
import { notFound } from '../../domain/errors.ts';
import { payerScope, type MoneyReader } from '../../domain/roles.ts';
import { newId } from '../../ids.ts';
import { actorAuditStep } from '../platform/audit.ts';
import { inParallel } from '../platform/bulk.ts';
import type { Actor } from '../funds/items.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from '../platform/idempotency-claims.ts';
import { BANK_REFERENCE_PAYOUTS, keys } from '../platform/keys.ts';
import { settledListPartitions, type BankReferenceItem, type BankReferenceSummary } from '../payouts/items.ts';
import { queryAll, readByKeys } from '../platform/query.ts';
import { countsOf, putReconciliation, readReconciliation } from './items.ts';

/** Queries of references that name several payouts, in flight at once. */
export const REFERENCE_CONCURRENCY = 16;

export interface Statement {
  statementDate: string;
  lines: StatementLine[];
}

export interface Reconciliation extends ReconciliationOutcome {
  reconciliationId: string;
  statementDate: string;
}

const asResponse = (reconciliationId: string, statementDate: string, outcome: ReconciliationOutcome): Reconciliation => ({
  reconciliationId,
  statementDate,
  matched: outcome.matched,
  unmatchedLines: outcome.unmatchedLines,
  unmatchedPayouts: outcome.unmatchedPayouts,
  amountMismatches: outcome.amountMismatches,
});

interface DatedPayout extends SettledPayout {
  settledAt: string;
}

const settledPayoutOf = (item: Record<string, unknown>): DatedPayout => ({
  payoutId: item.payoutId as string,
  bankReference: item.bankReference as string,
  amount: item.amount as number,
  settledAt: item.settledAt as string,
});

/** The payer's payouts settled succeeded in the statement day (UTC), oldest settlement first. */
export async function settledOn(payer: string, statementDate: string): Promise<DatedPayout[]> {
  const { from, to } = statementDay(statementDate);
  const shards = await Promise.all(
    settledListPartitions().map((partition) =>
      queryAll(
        {
          IndexName: 'gsi5',
          // Sort keys are `<settledAt>#<payoutId>`: every one of the day is ≥ its start and < the next day's.
          KeyConditionExpression: 'gsi5pk = :partition AND gsi5sk BETWEEN :from AND :to',
          FilterExpression: 'payer = :payer AND #status = :settled',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':partition': partition, ':from': from, ':to': to, ':payer': payer, ':settled': 'settled' },
        },
        { projection: { expression: 'payoutId, bankReference, amount, settledAt' } },
      ),
    ),
  );
  const order = (p: DatedPayout) => `${p.settledAt}#${p.payoutId}`;
  return shards
    .flat()
    .map(settledPayoutOf)
    .sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/**
 * Matches the lines in two passes, so that the reads stay bounded by what the lines leave open: first with the
 * day's payouts and those the lines name by id; then, for the references of the id-less lines that pass left
 * unmatched or matched with another amount (`referencesToLookUp`), with every payout those references name on
 * any day, and again. The second pass is the last: a reference it does not look up had every line matched with
 * its amount from the day's payouts, and more candidates for other references cannot change that.
 */
export async function matchStatement(
  payer: string,
  lines: readonly StatementLine[],
  onTheDay: readonly DatedPayout[],
): Promise<ReconciliationOutcome> {
  const known = await dayAndNamedPayouts(payer, lines, onTheDay);
  const first = reconcile(lines, known, onTheDay);
  const references = referencesToLookUp(lines, first);
  if (references.length === 0) return first;
  const byReference = new Map(known.byReference);
  const added = await addByReference(payer, references, byReference);
  return added ? reconcile(lines, { byId: known.byId, byReference }, onTheDay) : first;
}

/** The day's settled payouts (by id and by reference), and those the lines name by id that settled on other days. */
export async function dayAndNamedPayouts(
  payer: string,
  lines: readonly StatementLine[],
  onTheDay: readonly DatedPayout[],
): Promise<{ byId: Map<string, SettledPayout>; byReference: Map<string, SettledPayout[]> }> {
  const byId = new Map<string, SettledPayout>(onTheDay.map((p) => [p.payoutId, p]));
  const named = [...new Set(lines.flatMap((l) => (l.payoutId !== undefined && !byId.has(l.payoutId) ? [l.payoutId] : [])))];
  const found = await readByKeys(named.map(keys.payout), {
    expression: 'payoutId, payer, #status, amount, bankReference, settledAt',
    names: { '#status': 'status' },
  });
  for (const item of found) {
    // Another system's payout, or one not settled succeeded, is no payout to this statement.
    if (item.payer === payer && item.status === 'settled') byId.set(item.payoutId as string, settledPayoutOf(item));
  }
  const byReference = new Map<string, SettledPayout[]>();
  for (const p of onTheDay) byReference.set(p.bankReference, [...(byReference.get(p.bankReference) ?? []), p]);
  return { byId, byReference };
}

/**
 * Adds to `byReference` every payout of the payer that `references` name, settled on any day (after those already
 * there): the reference summaries, BatchGetItem 100 a request; a reference that names several payouts, its `PAY#`
 * items, one Query each. Whether any payout was added.
 */
async function addByReference(payer: string, references: readonly string[], byReference: Map<string, SettledPayout[]>): Promise<boolean> {
  const summaries = await readByKeys(references.map((reference) => keys.bankReferenceSummary(payer, reference)));
  let added = false;
  const more: BankReferenceSummary[] = [];
  for (const summary of summaries as unknown as BankReferenceSummary[]) {
    if (summary.uses > 1) more.push(summary);
    else added = addCandidates(byReference, summary.first.bankReference, [summary.first]) || added;
  }
  // A reference that names several payouts: the first (the summary's) and the others' items, one Query each. Items
  // stored before hold the first payout's item too.
  await inParallel(more, REFERENCE_CONCURRENCY, async ({ first }) => {
    const reference = first.bankReference;
    const items = await queryAll<BankReferenceItem>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :payout)',
      ExpressionAttributeValues: { ':pk': keys.bankReferenceSummary(payer, reference).pk, ':payout': BANK_REFERENCE_PAYOUTS },
    });
    added = addCandidates(byReference, reference, [first, ...items.filter((i) => i.payoutId !== first.payoutId)]) || added;
  });
  return added;
}

/** The day's candidates first, then the others the reference items name, oldest settlement first; whether any was new. */
function addCandidates(byReference: Map<string, SettledPayout[]>, reference: string, items: readonly BankReferenceItem[]): boolean {
  const known = byReference.get(reference) ?? [];
  const seen = new Set(known.map((p) => p.payoutId));
  const others = items
    .filter((i) => !seen.has(i.payoutId))
    .sort((a, b) => (a.settledAt < b.settledAt ? -1 : a.settledAt > b.settledAt ? 1 : 0));
  if (others.length)
    byReference.set(reference, [
      ...known,
      ...others.map((i) => ({ payoutId: i.payoutId, bankReference: i.bankReference, amount: i.amount })),
    ]);
  return others.length > 0;
}

/** Matches the statement with the caller's settled payouts and keeps the result. The caller is the payer. */
export async function createReconciliation(
  statement: Statement,
  actor: Actor,
  now: Date,
  claim?: IdempotencyClaim,
): Promise<Reconciliation> {
  const payer = actor.sub;
  const earlier = await createdEarlier(claim, now, (id) => getReconciliation(id, { sub: payer, roles: ['finance-system'] }));
  if (earlier) return earlier;
  const onTheDay = await settledOn(payer, statement.statementDate);
  const outcome = await matchStatement(payer, statement.lines, onTheDay);
  const reconciliationId = newId('reconciliation', now.getTime());
  const counts = countsOf(outcome);
  const head = {
    reconciliationId,
    payer,
    statementDate: statement.statementDate,
    createdAt: now.toISOString(),
    lines: statement.lines.length,
    counts,
  };
  await putReconciliation(head, outcome, [
    actorAuditStep(keys.reconciliation(reconciliationId).pk, actor, 'reconciliation.created', now, {
      details: { statementDate: statement.statementDate, lines: statement.lines.length, ...counts },
    }),
    ...claimSteps(claim, reconciliationId, now),
  ]);
  return asResponse(reconciliationId, statement.statementDate, outcome);
}

/** The reconciliation as `reader` may see it: to a finance system, only its own exist. */
export async function getReconciliation(reconciliationId: string, reader: MoneyReader): Promise<Reconciliation> {
  const stored = await readReconciliation(reconciliationId);
  const scope = payerScope(reader);
  if (!stored || (scope !== undefined && stored.head.payer !== scope)) throw notFound(`Reconciliation ${reconciliationId}`);
  return asResponse(reconciliationId, stored.head.statementDate, stored.outcome);
}
