import { requiredApprovals, statsMove, type Disbursement, type HistoryEntry, type ScreeningFlag } from '../../domain/disbursements.ts';
import { evaluateRules, NO_FACTS } from '../../domain/warning-rules.ts';
import type { Beneficiary } from '../../domain/payouts.ts';
import type { MoneyReader } from '../../domain/roles.ts';
import { invalidState, notFound } from '../../domain/errors.ts';
import { newId } from '../../ids.ts';
import { config } from '../../config.ts';
import { claimSteps, createdEarlier, type IdempotencyClaim } from '../platform/idempotency-claims.ts';
import { statsStep } from '../counties/stats.ts';
import { reportFigures, reportStatsSteps } from '../reports/stats.ts';
import { getFundSettings, type Actor } from '../funds/items.ts';
import { toSubsidy } from '../campaigns/items.ts';
import { keys } from '../platform/keys.ts';
import { accountHashes, disbursementIndexSteps } from '../screening/items.ts';
import { accountNameKeys, flagDueSteps, readFacts, readRules } from '../warning-rules/items.ts';
import { getItem } from '../platform/query.ts';
import { stationActiveStep } from '../stations/items.ts';
import { prepareCorrection, type CorrectionLink } from '../corrections/items.ts';
import { retryOnConflict, type TxStep } from '../platform/transactions.ts';
import { enqueueEvents } from '../platform/events.ts';
import { planItemVerification } from '../verifications/plan.ts';
import type { ItemVerification } from '../../domain/account-verification.ts';
import {
  StoredDisbursement,
  NewDisbursement,
  allDisbursementsKey,
  statusIndexKey,
  countyIndexKey,
  publicDisbursement,
  getDisbursement,
  disbursementAudit,
  disbursementItem,
} from './items.ts';
import { allocationExistsStep, transactWithAllocation } from '../ledger/allocation-check.ts';

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
  const [nameKey] = await accountNameKeys([input.beneficiary.account.accountName]);
  const rules = await readRules(input.fundId, { consistent: false });
  const disbursementId = newId('disbursement', now.getTime());
  // The fund's warning rules (duplicate screening among them) and the account's verification, run again when another
  // creation used the account, or an answer came, between these reads and the commit.
  const { disbursement, messageIds } = await retryOnConflict(async () => {
    const reads = await readFacts(input.fundId, [hash!], rules, now, disbursementId);
    const verifying = await planItemVerification(fund, input.beneficiary.account, now);
    const flags = [
      ...evaluateRules(rules, { amount: input.amount, nameKey: nameKey! }, reads.facts.get(hash!) ?? NO_FACTS, now),
      ...verifying.flags,
    ];
    const indexSteps = [
      ...disbursementIndexSteps(input.fundId, hash!, nameKey!, reads.lastAt.get(hash!) ?? null, now.toISOString(), disbursementId),
      ...flagDueSteps(
        flags.map((f) => ({ ref: disbursementId, code: f.code, severity: f.severity, dueAt: f.dueAt, fundId: input.fundId })),
      ),
      ...verifying.steps(disbursementId),
    ];
    const created = await createScreened(input, fund, disbursementId, flags, verifying.verification, indexSteps, actor, now, claim, link);
    return { disbursement: created, messageIds: verifying.messageIds };
  });
  if (messageIds.length) await enqueueEvents(messageIds);
  return disbursement;
}

/**
 * `POST /v1/disbursements/{id}/corrections` (API.md 1.2): a payout_failed disbursement is replaced by a new request
 * created under every rule of a new one, in one transaction with the links both ways (../corrections/items.ts).
 */
export async function correctDisbursement(
  disbursementId: string,
  body: { beneficiary: Beneficiary; reason: string },
  actor: Actor & MoneyReader,
  now: Date,
  claim?: IdempotencyClaim,
): Promise<Disbursement> {
  const { input, link } = await prepareCorrection(disbursementId, body, actor, now);
  return createDisbursement(input, actor, now, claim, link);
}

async function createScreened(
  input: NewDisbursement,
  fund: Awaited<ReturnType<typeof getFundSettings>>,
  disbursementId: string,
  flags: ScreeningFlag[],
  verification: ItemVerification | null,
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
    verification,
    correctionOf: link?.correctionOf ?? null,
    correctedBy: null,
    createdAt: at,
    updatedAt: at,
    history: [created],
    version: 1,
    payer: fund.financeSystem,
  };
  const stationId = input.beneficiary.kind === 'station' ? input.beneficiary.stationId : undefined;
  await transactWithAllocation(input.fundId, input.countyCode, [
    // Order matters: the first failed condition is the answer. The allocation's check is the county's too.
    ...claimSteps(claim, disbursementId, now),
    allocationExistsStep(input.fundId, input.countyCode),
    ...(stationId ? [stationActiveStep(stationId, input.countyCode)] : []),
    {
      item: {
        Put: {
          TableName: config().TABLE_NAME,
          Item: {
            ...keys.disbursement(disbursementId),
            type: 'disbursement',
            ...disbursementItem(d),
            gsi1pk: allDisbursementsKey(disbursementId),
            gsi1sk: disbursementId,
            gsi2pk: statusIndexKey(d.status, disbursementId),
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
    disbursementAudit(d, created, actor, {
      requiredApprovals: d.requiredApprovals,
      stationId,
      flags: flags.map((f) => ({ code: f.code, severity: f.severity, matches: f.matches })),
      ...(verification ? { verificationId: verification.verificationId } : {}),
    }),
    statsStep(d.countyCode, 'disbursements', statsMove(null, d.status, d.amount), disbursementId),
    // The half-year report's flags raised.
    ...reportStatsSteps(d.fundId, now, reportFigures.flagsRaised(flags.map((f) => f.code)), disbursementId),
  ]);
  return publicDisbursement(d);
}
