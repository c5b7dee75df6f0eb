/**
 * Disbursements: maker-checker requests to pay money out of a county allocation.
 *
 * Item `DSB#<id> / DSB` with a `version` that every change bumps and checks (optimistic concurrency).
 * Listings, newest first (ids are ULIDs):
 * - `gsi1pk = DSBS` — every disbursement; `fundId` alone is a filter on it (a deployment runs a handful
 *   of funds, so a fund filter keeps a large share of what it reads anyway);
 * - `gsi2pk = DSB#STATUS#<status>` — the approval queue and other status views, moved on each transition;
 * - `gsi3pk = DSB#COUNTY#<code>` — a county's disbursements (counties are many: the selective key).
 * Filters combine: the most selective key condition (county, then status) plus the rest as a filter.
 *
 * The approval that completes the set is ONE TransactWriteItems: disbursement (version + status),
 * reservation on the allocation (available ≥ amount), the payout (attribute_not_exists), the station
 * still active (for a station beneficiary), the audit entry, the `disbursement.approved` and
 * `payout.requested` events and the county report's move. Cancellation reasons decide the answer.
 */
import {
  decideApproval,
  decideCancellation,
  decideRejection,
  maskDisbursement,
  requiredApprovals,
  settlementStatus,
  statsMove,
  type Approval,
  type Disbursement,
  type DisbursementStatus,
  type HistoryEntry,
  type Purpose,
  type ScreeningFlag,
} from '../domain/disbursements.ts';
import { clearedFlags, decideClearFlags, duplicateFlag } from '../domain/screening.ts';
import { DomainError, invalidState, notFound } from '../domain/errors.ts';
import { queuedPayout, type Beneficiary, type Settlement } from '../domain/payouts.ts';
import { payerScope, type MoneyReader, type Role } from '../domain/roles.ts';
import { newId } from '../ids.ts';
import { config } from '../config.ts';
import { report } from '../metrics.ts';
import { auditStep } from './audit.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from './idempotency-claims.ts';
import { countyExistsStep } from './counties.ts';
import { statsStep } from './county-stats.ts';
import { enqueueEvents, eventStep } from './events.ts';
import { getFundSettings, type Actor } from './funds.ts';
import { ledgerMoveSteps, requirePosition, transactAt } from './ledger.ts';
import { subsidyDrawStep, subsidyIsReserved, subsidyReturnStep, toSubsidy } from './subsidies.ts';
import { noticeOpening, registerNoticeSubject } from './notices.ts';
import { isNoticed, noticeEnd } from '../domain/notices.ts';
import { keys } from './keys.ts';
import { accountHashes, disbursementIndexSteps, screenAccounts } from './screening.ts';
import { payoutPutStep } from './payouts.ts';
import { getItem, queryPage, requireItem, type Page } from './query.ts';
import { stationActiveStep } from './stations.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict, versionedChangeStep, type TxStep } from './transactions.ts';

interface StoredDisbursement extends Disbursement {
  version: number;
  /** The fund's paying finance system, copied at creation (a fund's `financeSystem` never changes). */
  payer: string;
}

export interface NewDisbursement {
  fundId: string;
  countyCode: string;
  amount: number;
  purpose: Purpose;
  beneficiary: Beneficiary;
  memo?: string;
  campaignId?: string;
}

const statusIndexKey = (status: DisbursementStatus) => `DSB#STATUS#${status}`;
const countyIndexKey = (countyCode: string) => `DSB#COUNTY#${countyCode}`;

function toDisbursement(item: Record<string, unknown>): StoredDisbursement {
  return {
    disbursementId: item.disbursementId as string,
    fundId: item.fundId as string,
    countyCode: item.countyCode as string,
    amount: item.amount as number,
    currency: 'CNY',
    purpose: item.purpose as Purpose,
    beneficiary: item.beneficiary as Beneficiary,
    memo: (item.memo as string | null) ?? null,
    campaignId: (item.campaignId as string | null | undefined) ?? null,
    status: item.status as DisbursementStatus,
    requiredApprovals: item.requiredApprovals as number,
    approvals: (item.approvals as Approval[] | undefined) ?? [],
    requestedBy: item.requestedBy as string,
    payoutId: (item.payoutId as string | null) ?? null,
    notice: (item.notice as Disbursement['notice'] | undefined) ?? null,
    flags: (item.flags as Disbursement['flags'] | undefined) ?? [],
    correctionOf: (item.correctionOf as string | null | undefined) ?? null,
    correctedBy: (item.correctedBy as string | null | undefined) ?? null,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
    history: (item.history as HistoryEntry[] | undefined) ?? [],
    version: item.version as number,
    payer: (item.payer as string | undefined) ?? '',
  };
}

/** The response form: account number masked, no storage fields. */
function publicDisbursement(d: StoredDisbursement): Disbursement {
  const { version: _, payer: __, ...rest } = d;
  return maskDisbursement(rest);
}

async function readDisbursement(disbursementId: string): Promise<StoredDisbursement> {
  return toDisbursement(await requireItem(keys.disbursement(disbursementId), `Disbursement ${disbursementId}`));
}

export async function getDisbursement(disbursementId: string): Promise<Disbursement> {
  return publicDisbursement(await readDisbursement(disbursementId));
}

/** The disbursement as `reader` may see it: 404 `not_found` when it belongs to a fund another system pays. */
export async function getDisbursementFor(disbursementId: string, reader: MoneyReader): Promise<Disbursement> {
  const d = await readDisbursement(disbursementId);
  const scope = payerScope(reader);
  if (scope !== undefined && d.payer !== scope) throw notFound(`Disbursement ${disbursementId}`);
  return publicDisbursement(d);
}

/**
 * A disbursement becoming `approved` (at its final approval, or when its notice ends): the disbursement after
 * `entry`, its queued payout, and the two events, `disbursement.approved` and the payment instruction
 * (`payout.requested`: the full account goes only to the paying finance system's endpoints).
 */
function approvedWithPayout(d: StoredDisbursement, entry: HistoryEntry, now: Date) {
  const at = now.toISOString();
  const payoutId = newId('payout', now.getTime());
  const approved: StoredDisbursement = {
    ...d,
    status: 'approved',
    payoutId,
    updatedAt: at,
    history: [...d.history, entry],
    version: d.version + 1,
  };
  const { disbursementId, fundId, countyCode, amount, beneficiary } = d;
  const payout = queuedPayout({ payoutId, disbursementId, batchId: null, fundId, countyCode, amount, beneficiary }, at);
  const approvedEvent = eventStep('disbursement.approved', disbursementId, publicDisbursement(approved), now, { payer: d.payer });
  const requestedEvent = eventStep('payout.requested', payoutId, payout, now, { payer: d.payer });
  return { approved, payoutId, payout, approvedEvent, requestedEvent };
}

function allocationExistsStep(fundId: string, countyCode: string): TxStep {
  return {
    item: {
      ConditionCheck: {
        TableName: config().TABLE_NAME,
        Key: keys.allocation(fundId, countyCode),
        ConditionExpression: 'attribute_exists(pk)',
      },
    },
    onConditionFailed: () => new DomainError('insufficient_allocation', `Fund ${fundId} has no allocation for county ${countyCode}`),
  };
}

function disbursementAudit(d: StoredDisbursement, entry: HistoryEntry, actor: Actor, details?: Record<string, unknown>): TxStep {
  return auditStep(keys.disbursement(d.disbursementId).pk, {
    actor: actor.sub,
    action: `disbursement.${entry.action}`,
    at: new Date(entry.at),
    correlationId: actor.correlationId,
    fromStatus: entry.fromStatus,
    toStatus: entry.toStatus,
    reason: entry.reason,
    details: { fundId: d.fundId, countyCode: d.countyCode, amount: d.amount, ...details },
  });
}

/** A disbursement may draw only on a subsidy of a campaign of its county, from its fund. */
async function assertSubsidyFits(campaignId: string, fundId: string, countyCode: string): Promise<void> {
  const campaign = await getItem(keys.campaign(campaignId));
  if (!campaign) throw notFound(`Campaign ${campaignId}`);
  const subsidy = toSubsidy(campaign.subsidy as Parameters<typeof toSubsidy>[0]);
  if (campaign.countyCode !== countyCode || subsidy?.fundId !== fundId) {
    throw invalidState(`Campaign ${campaignId} has no subsidy from fund ${fundId} for county ${countyCode}`);
  }
  if (subsidy.status === 'released') throw invalidState(`The subsidy of campaign ${campaignId} has been released`);
}

/** A correction's link to the failed disbursement it replaces: written in the creation's own transaction. */
export interface CorrectionLink {
  correctionOf: string;
  steps(disbursementId: string): TxStep[];
}

export async function createDisbursement(
  input: NewDisbursement,
  actor: Actor,
  now: Date,
  claim?: IdempotencyClaim,
  link?: CorrectionLink,
): Promise<Disbursement> {
  const earlier = await createdEarlier(claim, now, getDisbursement);
  if (earlier) return earlier;
  const fund = await getFundSettings(input.fundId);
  if (input.campaignId) await assertSubsidyFits(input.campaignId, input.fundId, input.countyCode);
  const [hash] = await accountHashes([input.beneficiary.account.accountNumber]);
  const disbursementId = newId('disbursement', now.getTime());
  // Screened again when another creation used the account between this read and the commit.
  return retryOnConflict(async () => {
    const screening = await screenAccounts(input.fundId, [hash!], now, disbursementId);
    const matches = screening.matches.get(hash!) ?? [];
    const flags = matches.length ? [duplicateFlag(matches)] : [];
    const indexSteps = disbursementIndexSteps(input.fundId, hash!, screening.lastAt.get(hash!) ?? null, now.toISOString(), disbursementId);
    return createScreened(input, fund, disbursementId, flags, indexSteps, actor, now, claim, link);
  });
}

async function createScreened(
  input: NewDisbursement,
  fund: Awaited<ReturnType<typeof getFundSettings>>,
  disbursementId: string,
  flags: ScreeningFlag[],
  indexSteps: TxStep[],
  actor: Actor,
  now: Date,
  claim?: IdempotencyClaim,
  link?: CorrectionLink,
): Promise<Disbursement> {
  const at = now.toISOString();
  const created: HistoryEntry = { at, actor: actor.sub, action: 'created', fromStatus: null, toStatus: 'pending_approval' };
  const d: StoredDisbursement = {
    disbursementId,
    fundId: input.fundId,
    countyCode: input.countyCode,
    amount: input.amount,
    currency: 'CNY',
    purpose: input.purpose,
    beneficiary: input.beneficiary,
    memo: input.memo ?? null,
    campaignId: input.campaignId ?? null,
    status: 'pending_approval',
    requiredApprovals: requiredApprovals(input.amount, fund.dualApprovalThreshold),
    approvals: [],
    requestedBy: actor.sub,
    payoutId: null,
    notice: null,
    flags,
    correctionOf: link?.correctionOf ?? null,
    correctedBy: null,
    createdAt: at,
    updatedAt: at,
    history: [created],
    version: 1,
    payer: fund.financeSystem,
  };
  const stationId = input.beneficiary.kind === 'station' ? input.beneficiary.stationId : undefined;
  await transact([
    // Order matters: the first failed condition is the answer (an unknown county before a missing allocation).
    ...claimSteps(claim, disbursementId, now),
    countyExistsStep(input.countyCode),
    allocationExistsStep(input.fundId, input.countyCode),
    ...(stationId ? [stationActiveStep(stationId, input.countyCode)] : []),
    {
      item: {
        Put: {
          TableName: config().TABLE_NAME,
          Item: {
            ...keys.disbursement(disbursementId),
            type: 'disbursement',
            ...d,
            gsi1pk: 'DSBS',
            gsi1sk: disbursementId,
            gsi2pk: statusIndexKey(d.status),
            gsi2sk: disbursementId,
            gsi3pk: countyIndexKey(d.countyCode),
            gsi3sk: disbursementId,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    },
    ...indexSteps,
    ...(link?.steps(disbursementId) ?? []),
    disbursementAudit(d, created, actor, { requiredApprovals: d.requiredApprovals, stationId, flags: flags.map((f) => f.matches) }),
    statsStep(d.countyCode, 'disbursements', statsMove(null, d.status, d.amount), disbursementId),
  ]);
  return publicDisbursement(d);
}

export async function listDisbursements(filter: {
  status?: DisbursementStatus;
  fundId?: string;
  countyCode?: string;
  /** Only the disbursements of the funds this finance system pays. */
  payer?: string;
  limit: number;
  cursor?: string;
}): Promise<Page<Disbursement>> {
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  const filters: string[] = [];
  let index: 'gsi1' | 'gsi2' | 'gsi3';
  if (filter.countyCode !== undefined) {
    index = 'gsi3';
    values[':pk'] = countyIndexKey(filter.countyCode);
  } else if (filter.status !== undefined) {
    index = 'gsi2';
    values[':pk'] = statusIndexKey(filter.status);
  } else {
    index = 'gsi1';
    values[':pk'] = 'DSBS';
  }
  if (filter.status !== undefined && index !== 'gsi2') {
    filters.push('#status = :status');
    names['#status'] = 'status';
    values[':status'] = filter.status;
  }
  if (filter.fundId !== undefined) {
    filters.push('fundId = :fundId');
    values[':fundId'] = filter.fundId;
  }
  if (filter.payer !== undefined) {
    filters.push('payer = :payer');
    values[':payer'] = filter.payer;
  }
  const page = await queryPage({
    index,
    keyCondition: `${index}pk = :pk`,
    filter: filters.length ? filters.join(' AND ') : undefined,
    names: Object.keys(names).length ? names : undefined,
    values,
    newestFirst: true,
    limit: filter.limit,
    cursor: filter.cursor,
    scope: `disbursements|${filter.status ?? ''}|${filter.fundId ?? ''}|${filter.countyCode ?? ''}|${filter.payer ?? ''}`,
  });
  return { items: page.items.map((i) => publicDisbursement(toDisbursement(i))), nextCursor: page.nextCursor };
}

/**
 * The disbursement's own change: status (when it moves), approvals, payout, history, always
 * conditional on the version it was read at. `redecide` names the contract error when the
 * condition fails for a reason other than a concurrent change.
 */
function disbursementChangeStep(
  d: StoredDisbursement,
  now: Date,
  change: { status?: DisbursementStatus; approvals?: Approval[]; payoutId?: string; notice?: Disbursement['notice']; entry?: HistoryEntry },
  redecide: (current: StoredDisbursement) => void,
): TxStep {
  return versionedChangeStep({
    key: keys.disbursement(d.disbursementId),
    what: `Disbursement ${d.disbursementId}`,
    version: d.version,
    status: d.status,
    now,
    set: {
      ...(change.status ? { status: change.status, gsi2pk: statusIndexKey(change.status) } : {}),
      ...(change.approvals ? { approvals: change.approvals } : {}),
      ...(change.payoutId ? { payoutId: change.payoutId } : {}),
      ...(change.notice ? { notice: change.notice } : {}),
    },
    append: change.entry ? { history: [change.entry] } : undefined,
    redecide: (current) => redecide(toDisbursement(current)),
  });
}

/**
 * Records an approval. The approval that reaches `requiredApprovals` reserves the amount, creates the
 * payout and queues it, all in one transaction; anything short of that is one conditional change.
 */
export async function approveDisbursement(
  disbursementId: string,
  input: { comment?: string },
  actor: Actor,
  now: Date,
): Promise<Disbursement> {
  const { disbursement, messageIds } = await retryOnConflict(async () => {
    const d = await readDisbursement(disbursementId);
    const decision = decideApproval(d, actor.sub, now, input.comment);
    const redecide = (current: StoredDisbursement) => decideApproval(current, actor.sub, now, input.comment);
    const at = now.toISOString();
    if (!decision.completes) {
      await transact([
        disbursementChangeStep(d, now, { approvals: decision.approvals }, redecide),
        auditStep(keys.disbursement(d.disbursementId).pk, {
          actor: actor.sub,
          action: 'disbursement.approval',
          at: now,
          correlationId: actor.correlationId,
          fromStatus: d.status,
          toStatus: d.status,
          details: { approvals: decision.approvals.length, requiredApprovals: d.requiredApprovals },
        }),
      ]);
      const next: StoredDisbursement = { ...d, approvals: decision.approvals, updatedAt: at, version: d.version + 1 };
      return { disbursement: next, messageIds: [] as string[] };
    }

    // Relief money to named people is posted publicly first (公示): reserve now, pay when the notice ends.
    if (isNoticed(d.beneficiary.kind)) {
      const fund = await getFundSettings(d.fundId);
      const endsAt = noticeEnd(fund.noticePeriod, now);
      if (endsAt) return openDisbursementNotice(d, decision.approvals, fund.name, endsAt, redecide, actor, now);
    }

    const entry: HistoryEntry = { at, actor: actor.sub, action: 'approved', fromStatus: d.status, toStatus: 'approved' };
    const { approved, payoutId, payout, approvedEvent, requestedEvent } = approvedWithPayout(
      { ...d, approvals: decision.approvals },
      entry,
      now,
    );
    const stationId = d.beneficiary.kind === 'station' ? d.beneficiary.stationId : undefined;
    // A subsidised disbursement draws on money its campaign already holds; any other reserves on the allocation.
    const audit = disbursementAudit(d, entry, actor, { payoutId, approvers: decision.approvals.map((a) => a.approver) });
    const withReservation = (reservation: TxStep[]): TxStep[] => [
      disbursementChangeStep(d, now, { status: 'approved', approvals: decision.approvals, payoutId, entry }, redecide),
      ...reservation,
      payoutPutStep(payout, requestedEvent.messageId, { payer: d.payer, campaignId: d.campaignId }),
      ...(stationId ? [stationActiveStep(stationId, d.countyCode)] : []),
      audit,
      approvedEvent.step,
      requestedEvent.step,
      statsStep(d.countyCode, 'disbursements', statsMove(d.status, 'approved', d.amount), d.disbursementId),
    ];
    if (d.campaignId) await transact(withReservation([subsidyDrawStep(d.campaignId, d.amount)]));
    else {
      const ref = { disbursementId: d.disbursementId, payoutId };
      await transactAt(await requirePosition(d.fundId, d.countyCode), (position) =>
        withReservation(ledgerMoveSteps(position, 'reserve', d.amount, ref, actor.sub, now)),
      );
    }
    return { disbursement: approved, messageIds: [approvedEvent.messageId, requestedEvent.messageId] };
  }, LEDGER_ATTEMPTS);
  if (messageIds.length) {
    report.disbursementApproved();
    await enqueueEvents(messageIds);
  }
  return publicDisbursement(disbursement);
}

/** Reserves like a final approval, but opens the public notice instead of creating the payout. */
async function openDisbursementNotice(
  d: StoredDisbursement,
  approvals: Approval[],
  fundName: string,
  endsAt: Date,
  redecide: (current: StoredDisbursement) => void,
  actor: Actor,
  now: Date,
): Promise<{ disbursement: StoredDisbursement; messageIds: string[] }> {
  const opening = await noticeOpening(
    {
      fundId: d.fundId,
      payer: d.payer,
      fundName,
      countyCode: d.countyCode,
      purpose: d.purpose,
      source: { kind: 'disbursement', id: d.disbursementId },
      approvers: approvals.map((a) => a.approver),
      entries: [{ itemRef: d.disbursementId, name: d.beneficiary.name, kind: d.beneficiary.kind, amount: d.amount }],
      endsAt,
    },
    actor,
    now,
  );
  const at = now.toISOString();
  const entry: HistoryEntry = { at, actor: actor.sub, action: 'notice_opened', fromStatus: d.status, toStatus: 'in_notice' };
  const next: StoredDisbursement = {
    ...d,
    status: 'in_notice',
    approvals,
    notice: opening.notice,
    updatedAt: at,
    history: [...d.history, entry],
    version: d.version + 1,
  };
  const withReservation = (reservation: TxStep[]): TxStep[] => [
    disbursementChangeStep(d, now, { status: 'in_notice', approvals, notice: opening.notice, entry }, redecide),
    ...reservation,
    ...opening.steps,
    ...opening.itemPuts,
    disbursementAudit(d, entry, actor, {
      noticeId: opening.notice.noticeId,
      endsAt: opening.notice.endsAt,
      approvers: approvals.map((a) => a.approver),
    }),
    statsStep(d.countyCode, 'disbursements', statsMove(d.status, 'in_notice', d.amount), d.disbursementId),
  ];
  if (d.campaignId) await transact(withReservation([subsidyDrawStep(d.campaignId, d.amount)]));
  else {
    const ref = { disbursementId: d.disbursementId };
    await transactAt(await requirePosition(d.fundId, d.countyCode), (position) =>
      withReservation(ledgerMoveSteps(position, 'reserve', d.amount, ref, actor.sub, now)),
    );
  }
  return { disbursement: next, messageIds: [opening.messageId] };
}

/**
 * The notice of a single disbursement: when its one item proceeds, the disbursement becomes `approved`
 * with its payout, exactly as a final approval without notice does (the money is reserved already);
 * when an objection is upheld, it becomes `rejected` and the reservation is released.
 */
registerNoticeSubject('disbursement', {
  async proceed(notice, _items, actorSub, now) {
    const d = await readDisbursement(notice.source.id);
    // Another run of the notice's end got there first: read the notice again (it is closed now).
    if (d.status !== 'in_notice') throw new TransactionConflict();
    const entry: HistoryEntry = {
      at: now.toISOString(),
      actor: actorSub,
      action: 'notice_ended',
      fromStatus: 'in_notice',
      toStatus: 'approved',
    };
    const { payoutId, payout, approvedEvent, requestedEvent } = approvedWithPayout(d, entry, now);
    return {
      steps: [
        disbursementChangeStep(d, now, { status: 'approved', payoutId, entry }, () => undefined),
        payoutPutStep(payout, requestedEvent.messageId, {
          payer: d.payer,
          campaignId: d.campaignId,
          noticeItem: { noticeId: notice.noticeId, itemRef: d.disbursementId },
        }),
        disbursementAudit(d, entry, { sub: actorSub }, { payoutId, noticeId: notice.noticeId }),
        approvedEvent.step,
        requestedEvent.step,
        statsStep(d.countyCode, 'disbursements', statsMove('in_notice', 'approved', d.amount), d.disbursementId),
      ],
      messageIds: [approvedEvent.messageId, requestedEvent.messageId],
    };
  },
  async withdraw(notice, _item, reason, actorSub, now) {
    const d = await readDisbursement(notice.source.id);
    if (d.status !== 'in_notice') throw invalidState(`The disbursement is ${d.status}`);
    const entry: HistoryEntry = {
      at: now.toISOString(),
      actor: actorSub,
      action: 'rejected',
      fromStatus: 'in_notice',
      toStatus: 'rejected',
      reason,
    };
    const steps: TxStep[] = [
      disbursementChangeStep(d, now, { status: 'rejected', entry }, () => undefined),
      // The county report counts neither in_notice nor rejected: nothing to move there.
      disbursementAudit(d, entry, { sub: actorSub }, { noticeId: notice.noticeId, objection: 'upheld' }),
    ];
    // The money goes back where it was reserved: the campaign's subsidy while it holds money, else the allocation.
    if (d.campaignId && (await subsidyIsReserved(d.campaignId))) steps.push(subsidyReturnStep(d.campaignId, d.amount));
    else
      steps.push(
        ...ledgerMoveSteps(
          await requirePosition(d.fundId, d.countyCode),
          'release',
          d.amount,
          { disbursementId: d.disbursementId },
          actorSub,
          now,
        ),
      );
    return { steps, messageIds: [] };
  },
});

async function closeDisbursement(
  disbursementId: string,
  to: 'rejected' | 'cancelled',
  reason: string,
  decide: (d: StoredDisbursement) => void,
  actor: Actor,
  now: Date,
): Promise<Disbursement> {
  return retryOnConflict(async () => {
    const d = await readDisbursement(disbursementId);
    decide(d);
    const entry: HistoryEntry = { at: now.toISOString(), actor: actor.sub, action: to, fromStatus: d.status, toStatus: to, reason };
    await transact([
      disbursementChangeStep(d, now, { status: to, entry }, decide),
      disbursementAudit(d, entry, actor),
      statsStep(d.countyCode, 'disbursements', statsMove(d.status, to, d.amount), d.disbursementId),
    ]);
    return publicDisbursement({ ...d, status: to, updatedAt: entry.at, history: [...d.history, entry], version: d.version + 1 });
  });
}

/**
 * A fund-admin other than the requester clears every screening flag with a reason: kept on the flags,
 * in the history (`flags_cleared`) and in the audit trail. The final approval is then no longer blocked.
 */
export async function clearDisbursementFlags(disbursementId: string, reason: string, actor: Actor, now: Date): Promise<Disbursement> {
  return retryOnConflict(async () => {
    const d = await readDisbursement(disbursementId);
    const decide = (current: StoredDisbursement) =>
      decideClearFlags({ ...current, uncleared: current.flags.filter((f) => f.clearedAt === null).length }, actor.sub);
    decide(d);
    const at = now.toISOString();
    const flags = clearedFlags(d.flags, actor.sub, at, reason);
    const entry: HistoryEntry = { at, actor: actor.sub, action: 'flags_cleared', fromStatus: d.status, toStatus: d.status, reason };
    await transact([
      versionedChangeStep({
        key: keys.disbursement(d.disbursementId),
        what: `Disbursement ${d.disbursementId}`,
        version: d.version,
        status: d.status,
        now,
        set: { flags },
        append: { history: [entry] },
        redecide: (current) => decide(toDisbursement(current)),
      }),
      disbursementAudit(d, entry, actor, { matches: d.flags.flatMap((f) => f.matches) }),
    ]);
    return publicDisbursement({ ...d, flags, updatedAt: at, history: [...d.history, entry], version: d.version + 1 });
  });
}

export function rejectDisbursement(disbursementId: string, reason: string, actor: Actor, now: Date): Promise<Disbursement> {
  return closeDisbursement(disbursementId, 'rejected', reason, (d) => decideRejection(d, actor.sub), actor, now);
}

export function cancelDisbursement(
  disbursementId: string,
  reason: string,
  caller: Actor & { roles: readonly Role[] },
  now: Date,
): Promise<Disbursement> {
  return closeDisbursement(disbursementId, 'cancelled', reason, (d) => decideCancellation(d, caller), caller, now);
}

/**
 * The disbursement's half of a settlement (approved → paid | payout_failed, history, county report),
 * as steps of the payout's settlement transaction. Conditional on `approved` only: the payout's own
 * status condition already serialises settlements, and anything else here is a broken invariant.
 */
export function payoutOutcomeSteps(
  payout: { disbursementId: string; countyCode: string; amount: number },
  settlement: Settlement,
  actor: Actor,
  now: Date,
): TxStep[] {
  const to = settlementStatus(settlement.outcome);
  const entry: HistoryEntry = {
    at: now.toISOString(),
    actor: actor.sub,
    action: to === 'paid' ? 'paid' : 'payout_failed',
    fromStatus: 'approved',
    toStatus: to,
    ...(settlement.outcome === 'failed' && settlement.failureReason ? { reason: settlement.failureReason } : {}),
  };
  return [
    {
      item: {
        Update: {
          TableName: config().TABLE_NAME,
          Key: keys.disbursement(payout.disbursementId),
          UpdateExpression:
            'SET #status = :to, gsi2pk = :gsi2pk, updatedAt = :at, version = version + :one, history = list_append(history, :entry)',
          ConditionExpression: '#status = :approved',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': to,
            ':gsi2pk': statusIndexKey(to),
            ':at': entry.at,
            ':one': 1,
            ':entry': [entry],
            ':approved': 'approved',
          },
        },
      },
      onConditionFailed: (old) =>
        new Error(`ledger invariant: disbursement ${payout.disbursementId} is ${String(old?.status)} while its payout settles`),
    },
    statsStep(payout.countyCode, 'disbursements', statsMove('approved', to, payout.amount), payout.disbursementId),
  ];
}
