/**
 * Puts event items written before the event log existed into its listings (and gives the finished ones
 * their expiry), in place: the same items, no copy. A one-off migration that reads the whole table (a
 * parallel Scan), so it runs from a script, never on a request path; running it twice changes nothing.
 *
 * The paying system of an old payout event comes from its payout (`subject`), of an old
 * `disbursement.approved` from its disbursement, of an old campaign event from the fund of the
 * campaign's subsidy; other old events stay without one (no finance system reads them, as for new ones).
 * Campaign events listed before they carried a paying system get it (and its listing) too.
 */
import { WAITS_FOR_SUBSCRIBER, type EventType } from '../../domain/events.ts';
import { backfillItems, type BackfillCounts, type BackfillOptions } from '../platform/backfill.ts';
import { eventExpiresAt, eventListKeys, storedEventStatus } from '../platform/events.ts';
import { keys } from '../platform/keys.ts';
import { getItem } from '../platform/query.ts';
import { subsidyPayer } from '../campaigns/items.ts';

async function payerOf(item: Record<string, unknown>): Promise<string | undefined> {
  if (typeof item.payer === 'string' && item.payer !== '') return item.payer;
  const type = item.eventType as EventType;
  const subject = item.subject as string;
  if (CAMPAIGN_EVENTS.has(type)) {
    const fundId = ((await getItem(keys.campaign(subject)))?.subsidy as { fundId?: string } | null | undefined)?.fundId;
    return fundId === undefined ? undefined : subsidyPayer(fundId);
  }
  const owner = type.startsWith('payout.')
    ? await getItem(keys.payout(subject))
    : type === 'disbursement.approved'
      ? await getItem(keys.disbursement(subject))
      : undefined;
  const payer = owner?.payer;
  return typeof payer === 'string' && payer !== '' ? payer : undefined;
}

/** A subsidised campaign's events concern its fund; before they said so, they were listed without a paying system. */
const CAMPAIGN_EVENTS: ReadonlySet<EventType> = new Set(['campaign.launched', 'campaign.cancelled', 'campaign.subsidy_released']);

/** The expiry a finished event gets (as `eventReleaseStep` gives it), or none. */
function expiryOf(item: Record<string, unknown>): number | undefined {
  const status = storedEventStatus(item);
  if (status === 'pending') return undefined;
  if (status === 'failed' && WAITS_FOR_SUBSCRIBER.has(item.eventType as EventType)) return undefined;
  const finished = (item.finishedAt ?? item.updatedAt ?? item.timestamp) as string;
  return eventExpiresAt(new Date(finished));
}

export async function backfillEventLog(options: BackfillOptions = {}): Promise<BackfillCounts> {
  return backfillItems(
    {
      filter:
        '#type = :event AND (attribute_not_exists(gsi1pk) OR (attribute_not_exists(payer) AND eventType IN (:launched, :cancelled, :released)))',
      names: { '#type': 'type' },
      values: {
        ':event': 'event',
        ':launched': 'campaign.launched',
        ':cancelled': 'campaign.cancelled',
        ':released': 'campaign.subsidy_released',
      },
    },
    (item) => (item.gsi1pk === undefined ? listingOf(item) : payerOfListed(item)),
    options,
  );
}

async function listingOf(item: Record<string, unknown>) {
  const payer = await payerOf(item);
  const listing = eventListKeys(item.messageId as string, item.eventType as EventType, payer);
  const expires = expiryOf(item);
  const values: Record<string, unknown> = Object.fromEntries(Object.entries(listing).map(([name, value]) => [`:${name}`, value]));
  const sets = Object.keys(listing).map((name) => `${name} = :${name}`);
  if (payer !== undefined) {
    sets.push('payer = :payer');
    values[':payer'] = payer;
  }
  if (expires !== undefined) {
    // Only if nothing set one meanwhile (a worker finishing the event now sets its own).
    sets.push('expiresAt = if_not_exists(expiresAt, :expires)');
    values[':expires'] = expires;
  }
  return {
    Key: keys.event(item.messageId as string),
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(gsi1pk)',
    ExpressionAttributeValues: values,
  };
}

/** A listed campaign event without a paying system: its fund's, and the paying system's listing; none for an unsubsidised campaign. */
async function payerOfListed(item: Record<string, unknown>) {
  const payer = await payerOf(item);
  if (payer === undefined) return undefined;
  const { gsi3pk, gsi3sk } = eventListKeys(item.messageId as string, item.eventType as EventType, payer);
  return {
    Key: keys.event(item.messageId as string),
    UpdateExpression: 'SET payer = :payer, gsi3pk = :gsi3pk, gsi3sk = :gsi3sk',
    ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(payer)',
    ExpressionAttributeValues: { ':payer': payer, ':gsi3pk': gsi3pk, ':gsi3sk': gsi3sk },
  };
}
