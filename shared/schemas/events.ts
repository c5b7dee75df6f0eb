/**
 * The event log's contracts and the `data` of every event type: the same schemas type the webhook
 * bodies in the OpenAPI document's `webhooks` section and the event log's replies.
 */
import * as z from 'zod';
import { FlagCode, Severity } from './warning-rules.ts';
import { EVENT_TYPES, type EventType } from '../domain/events.ts';
import { ALERT_CODES } from '../domain/progress.ts';
import { Campaign, CampaignSubsidy } from './campaigns.ts';
import { CountyCode, idOf, Page, Timestamp, Total } from './common.ts';
import { contractsOf, pageResponse } from './contract.ts';
import { Disbursement } from './disbursements.ts';
import { Payout } from './payouts.ts';
import { Station } from './stations.ts';
import { EventTypeSchema } from './webhook-endpoints.ts';

const contract = contractsOf('Webhook endpoints and events');

export const SubsidyReleased = z
  .object({
    campaignId: idOf('campaign'),
    countyCode: CountyCode,
    reason: z.enum(['cancelled', 'claim_period_ended']),
    releasedAmount: Total,
    subsidy: CampaignSubsidy,
  })
  .meta({ id: 'SubsidyReleased' });

export const WebhookTest = z.object({ endpointId: idOf('webhookEndpoint') }).meta({ id: 'WebhookTest' });

/** The notice events (shared/data/notices/items.ts): the notice's facts, no personal data. */
const NoticeSource = z.object({ kind: z.enum(['disbursement', 'batch']), id: z.string() });

export const NoticeOpened = z
  .object({
    noticeId: idOf('notice'),
    countyCode: CountyCode,
    fundId: idOf('fund'),
    startsAt: Timestamp,
    endsAt: Timestamp,
    itemCount: z.number().int().min(1),
    source: NoticeSource,
  })
  .meta({ id: 'NoticeOpened' });

export const NoticeClosed = z
  .object({
    noticeId: idOf('notice'),
    countyCode: CountyCode,
    fundId: idOf('fund'),
    proceeding: z.number().int().min(0),
    held: z.number().int().min(0),
    withdrawn: z.number().int().min(0),
  })
  .meta({ id: 'NoticeClosed' });

export const ObjectionReceived = z
  .object({ objectionId: idOf('objection'), noticeId: idOf('notice'), itemRef: z.string(), countyCode: CountyCode })
  .meta({ id: 'ObjectionReceived', description: 'No reason or contact: those stay with the objection.' });

export const SnapshotCreated = z
  .object({
    snapshotId: idOf('snapshot'),
    fundId: idOf('fund'),
    kind: z.enum(['monthly', 'on_demand']),
    month: z.string().nullable(),
    takenAt: Timestamp,
    hash: z.string(),
    previousHash: z.string().nullable(),
  })
  .meta({
    id: 'SnapshotCreated',
    description: 'The snapshot without its figures: read it with GET /v1/funds/{fundId}/snapshots/{snapshotId}.',
  });

export const FlagOverdue = z
  .object({
    fundId: idOf('fund'),
    disbursementId: idOf('disbursement').optional(),
    batchId: idOf('batch').optional(),
    rows: z.number().int().min(0).optional().meta({ description: "For a batch: how many of its rows carry the flag's code." }),
    code: FlagCode,
    severity: Severity,
    dueAt: Timestamp,
  })
  .meta({
    id: 'FlagOverdue',
    description:
      'A flag still uncleared at its due time on an item still pending approval, raised once per flag (for a batch: once per flag code).',
  });
export const VerificationRequested = z
  .object({
    verificationId: idOf('verification'),
    fundId: idOf('fund'),
    bankName: z.string(),
    accountName: z.string(),
    accountNumber: z
      .string()
      .meta({ description: "In full to the paying finance system's endpoints (the only ones that get this event)." }),
  })
  .meta({ id: 'VerificationRequested', description: 'One account for the paying finance system to check with its bank.' });
export const FundAlertRaised = z
  .object({
    fundId: idOf('fund'),
    countyCode: CountyCode,
    code: z.enum(ALERT_CODES),
    detail: z.string(),
    month: z
      .string()
      .meta({ description: 'The calendar month (China time, yyyy-mm) this alert is raised for: once per county, code and month' }),
    asOf: z.string().meta({ description: 'The day (China time) the progress was read at' }),
  })
  .meta({ id: 'FundAlertRaised', description: 'A new alert of the progress rules (GET /v1/funds/{fundId}/progress).' });

/** What `data` holds for each event type (a payment instruction's account is masked except to the paying system). */
export const EVENT_DATA: Record<EventType, z.ZodType> = {
  'disbursement.approved': Disbursement,
  'payout.requested': Payout,
  'payout.settled': Payout,
  'payout.failed': Payout,
  'payout.delivery_failed': Payout,
  'campaign.launched': Campaign,
  'campaign.cancelled': Campaign,
  'campaign.subsidy_released': SubsidyReleased,
  'station.activated': Station,
  'station.suspended': Station,
  'notice.opened': NoticeOpened,
  'notice.closed': NoticeClosed,
  'objection.received': ObjectionReceived,
  'webhook.test': WebhookTest,
  'snapshot.created': SnapshotCreated,
  'flag.overdue': FlagOverdue,
  'account.verification_requested': VerificationRequested,
  'fund.alert': FundAlertRaised,
};

/** The webhook body of one event type: `{ type, timestamp, data }`. */
export function webhookPayload(type: EventType) {
  return z.object({ type: z.literal(type), timestamp: Timestamp, data: EVENT_DATA[type] });
}

/** An event of the log: one variant per type, `data` typed by the type. */
export const LoggedEvent = z
  .discriminatedUnion(
    'type',
    EVENT_TYPES.map((type) =>
      z.object({ messageId: idOf('message'), type: z.literal(type), timestamp: Timestamp, data: EVENT_DATA[type] }),
    ) as unknown as [z.ZodObject, ...z.ZodObject[]],
  )
  .meta({ id: 'Event', description: '`data` in its public form: a payment instruction with the account masked.' });

const EventParams = z.strictObject({ messageId: idOf('message') });

export const listEvents = contract(
  'listEvents',
  'The event log, newest first (events are kept at least 30 days after they are delivered)',
  {
    description:
      'A finance system sees only the events of the funds it pays; an event without a fund is not listed for it. ' +
      '`after`: only events later than this time. With `type`, a finance system gets short pages (with a cursor) when few of that type are its own.',
    query: z.strictObject({ ...Page, type: EventTypeSchema.optional(), after: Timestamp.optional() }),
    responses: pageResponse('A page of events', LoggedEvent, 'EventPage'),
  },
);

export const getEvent = contract('getEvent', 'One event of the log', {
  description: 'To a finance system, an event of a fund it does not pay is 404 not_found.',
  params: EventParams,
  responses: { 200: { description: 'The event', schema: LoggedEvent } },
});
