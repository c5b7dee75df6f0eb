/**
 * Campaign subsidies: money reserved on a county allocation at a campaign's launch, drawn on by the
 * disbursements that name the campaign, and released when the campaign is cancelled or its claim
 * period (`endsAt` + SUBSIDY_CLAIM_PERIOD) is over. Nothing stays reserved forever.
 *
 * The subsidy lives on the campaign item: `subsidy = { fundId, amount, drawn, released, remaining,
 * status }` with `remaining = amount − drawn − released` kept explicitly (conditions cannot do
 * arithmetic). Every change bumps the campaign's `version`. While reserved, the campaign sits in the
 * keys-only work index: `gsi4pk = SUBSIDY#RELEASE`, `gsi4sk = <release time>#<campaignId>`, which the
 * outbox sweeper reads to release what is due.
 */
import { DomainError } from '../../domain/errors.ts';
import { config } from '../../config.ts';
import { auditStep } from '../platform/audit.ts';
import { enqueueEvents, eventStep } from '../platform/events.ts';
import { getFundSettings } from '../funds/items.ts';
import { keys } from '../platform/keys.ts';
import { allocationMoveSteps } from '../ledger/move.ts';
import { overdueIn, type SweepSource } from '../platform/outbox.ts';
import { getItem } from '../platform/query.ts';
import { LEDGER_ATTEMPTS, retryOnConflict, transact, TransactionConflict, type TxStep } from '../platform/transactions.ts';
import { Subsidy, StoredSubsidy, remainingOf } from '../ledger/items.ts';

export const SUBSIDY_RELEASE_INDEX = 'SUBSIDY#RELEASE';
const SYSTEM_ACTOR = 'system:subsidy-release';

export const releaseSortKey = (releaseAt: Date, campaignId: string) => `${releaseAt.toISOString()}#${campaignId}`;

/** When the undrawn rest of a campaign's subsidy is released if nothing else ends it first. */
export function releaseTime(endsAt: string): Date {
  return new Date(Date.parse(endsAt) + config().SUBSIDY_CLAIM_PERIOD);
}

/** A new campaign's subsidy, all of it still to draw, and its place in the release index. */
export function newSubsidy(input: { fundId: string; amount: number }, campaignId: string, endsAt: string): Record<string, unknown> {
  const subsidy: StoredSubsidy = {
    fundId: input.fundId,
    amount: input.amount,
    drawn: 0,
    released: 0,
    remaining: input.amount,
    status: 'reserved',
  };
  return { subsidy, gsi4pk: SUBSIDY_RELEASE_INDEX, gsi4sk: releaseSortKey(releaseTime(endsAt), campaignId) };
}

/** The response form (no `remaining`: it is amount − drawn − released). Items from before 1.1 had only fund and amount. */
export function toSubsidy(stored: Partial<StoredSubsidy> | undefined | null): Subsidy | null {
  if (!stored || stored.fundId === undefined || stored.amount === undefined) return null;
  return {
    fundId: stored.fundId,
    amount: stored.amount,
    drawn: stored.drawn ?? 0,
    released: stored.released ?? 0,
    status: stored.status ?? 'reserved',
  };
}

/**
 * The finance system that pays the subsidy's fund (a fund's `financeSystem` never changes): the subsidy's
 * events are that system's to read in the event log. Undefined for an unknown fund.
 */
export async function subsidyPayer(fundId: string): Promise<string | undefined> {
  try {
    return (await getFundSettings(fundId)).financeSystem || undefined;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'not_found') return undefined;
    throw error;
  }
}

export interface SubsidyRelease {
  /** The campaign item's part of the release: merge into the caller's update of the campaign. */
  campaignUpdate: { set: string[]; remove: string[]; names: Record<string, string>; values: Record<string, unknown> };
  /** The ledger entry, the event and the audit entry. */
  steps: TxStep[];
  released: number;
  messageId: string;
  /** The paying finance system of the subsidy's fund, written on the release event. */
  payer: string | undefined;
}

/**
 * Releases the undrawn rest of a read campaign's subsidy: the subsidy `released` (the campaign's own
 * update, for the caller to merge: cancellation changes the same item), its ledger entry, the
 * `campaign.subsidy_released` event and the audit entry. Undefined when there is nothing to release.
 */
export async function subsidyRelease(
  campaign: Record<string, unknown>,
  reason: 'cancelled' | 'claim_period_ended',
  actor: { sub: string; correlationId?: string },
  now: Date,
): Promise<SubsidyRelease | undefined> {
  const stored = campaign.subsidy as Partial<StoredSubsidy> | undefined;
  if (!stored || stored.fundId === undefined || stored.status === 'released') return undefined;
  const remaining = remainingOf(stored);
  const campaignId = campaign.campaignId as string;
  const countyCode = campaign.countyCode as string;
  const after: Subsidy = { ...toSubsidy(stored)!, released: (stored.released ?? 0) + remaining, status: 'released' };
  const payer = await subsidyPayer(stored.fundId);
  const event = eventStep(
    'campaign.subsidy_released',
    campaignId,
    { campaignId, countyCode, reason, releasedAmount: remaining, subsidy: after },
    now,
    { payer },
  );
  const steps: TxStep[] = [
    auditStep(keys.campaign(campaignId).pk, {
      actor: actor.sub,
      action: 'campaign.subsidy_released',
      at: now,
      correlationId: actor.correlationId,
      reason,
      details: { fundId: stored.fundId, released: remaining, drawn: stored.drawn ?? 0 },
    }),
    event.step,
  ];
  if (remaining > 0) {
    const ref = { campaignId };
    steps.push(
      ...(await allocationMoveSteps({ fundId: stored.fundId, countyCode, move: 'release', amount: remaining, ref, actor: actor.sub, now })),
    );
  }
  return {
    campaignUpdate: {
      set: ['subsidy.released = :subsidyReleased', 'subsidy.remaining = :subsidyZero', 'subsidy.#subsidyStatus = :subsidyReleasedStatus'],
      remove: ['gsi4pk', 'gsi4sk'],
      names: { '#subsidyStatus': 'status' },
      values: { ':subsidyReleased': after.released, ':subsidyZero': 0, ':subsidyReleasedStatus': 'released' },
    },
    steps,
    released: remaining,
    messageId: event.messageId,
    payer,
  };
}

/** The claim period is over: release what is left (a no-op when it was released already). */
export async function releaseExpiredSubsidy(campaignId: string, now: Date): Promise<number> {
  const result = await retryOnConflict(async () => {
    const item = await getItem(keys.campaign(campaignId));
    if (!item) return undefined;
    const sortKey = item.gsi4sk as string | undefined;
    if (sortKey && sortKey.slice(0, sortKey.indexOf('#')) > now.toISOString()) return undefined;
    const release = await subsidyRelease(item, 'claim_period_ended', { sub: SYSTEM_ACTOR }, now);
    if (!release) return undefined;
    const u = release.campaignUpdate;
    await transact([
      {
        item: {
          Update: {
            TableName: config().TABLE_NAME,
            Key: keys.campaign(campaignId),
            UpdateExpression: `SET ${[...u.set, 'updatedAt = :at', 'version = version + :one'].join(', ')} REMOVE ${u.remove.join(', ')}`,
            ConditionExpression: 'version = :version',
            ExpressionAttributeNames: u.names,
            ExpressionAttributeValues: { ...u.values, ':at': now.toISOString(), ':one': 1, ':version': item.version },
          },
        },
        onConditionFailed: () => new TransactionConflict(),
      },
      ...release.steps,
    ]);
    return release;
  }, LEDGER_ATTEMPTS);
  if (!result) return 0;
  await enqueueEvents([result.messageId]);
  return result.released;
}

/** Sweeper source: subsidies whose claim period is over. */
export const subsidyReleaseSource: SweepSource = {
  name: 'subsidy-release',
  async sweep() {
    // Due by the clock, not by the sweeper's cutoff: a release is due the moment its period ends.
    const now = new Date();
    let found = 0;
    let queued = 0;
    for await (const ids of overdueIn(SUBSIDY_RELEASE_INDEX, now)) {
      found += ids.length;
      for (const campaignId of ids) {
        await releaseExpiredSubsidy(campaignId, now);
        queued += 1;
      }
    }
    return { found, queued };
  },
};
