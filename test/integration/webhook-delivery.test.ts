/**
 * Webhook delivery over the real pieces: DynamoDB Local, the SQS emulator with the event source
 * mapping emulation (local/sqs-poller), the real worker and sweeper handlers, and real HTTP receivers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand, PurgeQueueCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';
import { useLocalServices, type LocalServices } from '#test/support/local-services';
import { startReceiver, type ReceivedRequest, type Receiver, type ReceiverReply } from '#test/support/receiver';
import { ensureQueue } from '#local/resources';
import { startQueuePoller, type QueuePoller } from '#local/sqs-poller';
import { invoke, type LambdaHandler } from '#local/invoke';
import { scheduledEvent } from '#local/scheduler';
import { resetConfig } from '#shared/config';
import type { EventType } from '#shared/domain/events';
import type { Payout } from '#shared/domain/payouts';
import { FIXTURE_ACCOUNT, fixturePayout } from '#test/support/payout-fixture';
import { payoutsContext, type PayoutsContext } from '../support/contexts.ts';
import { newId } from '#shared/ids';
import { logger } from '#shared/logger';
import type { TxStep } from '#shared/data/platform/transactions';
import { eventually } from '#test/support/eventually';
import { captureLogs } from '#test/support/log-capture';

const TEST_ENV = { WEBHOOK_RETRY_SCHEDULE: '1,1,1', WEBHOOK_TIMEOUT_MS: '2000', OUTBOX_SWEEP_SECONDS: '1' };
const ACTOR = { sub: 'admin-1', correlationId: 'test' };

let services: LocalServices;
let queue: { url: string; arn: string };
let poller: QueuePoller | undefined;
let worker: LambdaHandler;
let sweeper: LambdaHandler;

// Loaded after the environment is set: modules read config and create SDK clients on first use.
let data: {
  transact: (steps: TxStep[]) => Promise<void>;
  eventStep: typeof import('#shared/data/platform/events').eventStep;
  enqueueEvents: typeof import('#shared/data/platform/events').enqueueEvents;
  endpoints: typeof import('#shared/data/webhook-endpoints/items');
  payouts: PayoutsContext;
  outbox: typeof import('#shared/data/platform/outbox');
};

beforeAll(async () => {
  services = await useLocalServices({ env: TEST_ENV });
  // A delivery queue of our own with a short visibility timeout, so a crashed batch comes back in seconds.
  const own = await ensureQueue(services.sqs, {
    name: `${services.queuePrefix}delivery-fast`,
    visibilityTimeoutSeconds: 2,
    maxReceiveCount: 10,
  });
  queue = { url: own.url, arn: own.arn };
  process.env.DELIVERY_QUEUE_URL = own.url;
  resetConfig();
  const [transactions, events, endpoints, payouts, outbox] = await Promise.all([
    import('#shared/data/platform/transactions'),
    import('#shared/data/platform/events'),
    import('#shared/data/webhook-endpoints/items'),
    payoutsContext(),
    import('#shared/data/platform/outbox'),
  ]);
  data = { transact: transactions.transact, eventStep: events.eventStep, enqueueEvents: events.enqueueEvents, endpoints, payouts, outbox };
  worker = (await import('#functions/queue/webhook-delivery')).handler as LambdaHandler;
  sweeper = (await import('#functions/schedule/outbox-sweeper')).handler as LambdaHandler;
});

const receivers: Receiver[] = [];
const endpointIds: string[] = [];

afterEach(async () => {
  await poller?.stop();
  poller = undefined;
  // Endpoints of one test must not receive the next test's events.
  for (const id of endpointIds.splice(0)) await data.endpoints.deleteEndpoint(id, ACTOR, new Date()).catch(() => undefined);
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

afterAll(() => poller?.stop());

/** Runs the worker as Lambda's SQS event source mapping would. */
function startWorker(handler: LambdaHandler = worker, maxConcurrency = 4): void {
  poller = startQueuePoller({
    sqs: services.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    maxConcurrency,
    receivers: 2,
    waitTimeSeconds: 1,
    timeoutMs: 60_000,
    functionName: 'relief-fund-webhook-delivery',
    loadHandler: async () => handler,
    log: { info: () => undefined, warn: () => undefined, error: (m, f) => console.error(m, f) },
  });
}

async function sweep(): Promise<void> {
  await invoke(sweeper, scheduledEvent('sweep'), { functionName: 'relief-fund-outbox-sweeper', timeoutMs: 60_000 });
}

async function receiverWithEndpoint(
  events: (EventType | '*')[],
  respond?: (req: ReceivedRequest, n: number) => ReceiverReply,
): Promise<{ receiver: Receiver; endpointId: string; secret: string }> {
  const receiver = await startReceiver({ respond });
  receivers.push(receiver);
  // Every endpoint here belongs to the finance system that pays the fixture payouts.
  const endpoint = await data.endpoints.createEndpoint({ url: `${receiver.url}/hooks`, events, financeSystem: PAYER }, ACTOR, new Date());
  endpointIds.push(endpoint.endpointId);
  return { receiver, endpointId: endpoint.endpointId, secret: endpoint.secret };
}

/** The finance system that pays the fixture payouts. */
const PAYER = 'finance-1';

function payoutFixture(now: Date): Payout {
  return fixturePayout(0, {
    payoutId: newId('payout', now.getTime()),
    batchId: null,
    fundId: 'fund_01JTESTFUND0000000000000000',
    countyCode: '530102',
    amount: 2_500_000,
    beneficiary: {
      kind: 'cooperative',
      name: 'Hani Tea Cooperative',
      account: { bankName: 'ABC', accountName: 'Hani Tea', accountNumber: FIXTURE_ACCOUNT },
    },
    status: 'queued',
    createdAt: now.toISOString(),
  });
}

/** A payout and its `payout.requested` event committed together, as the final approval does. */
async function commitPayout(options: { enqueue?: boolean } = {}): Promise<{ payoutId: string; messageId: string }> {
  const now = new Date();
  const payout = payoutFixture(now);
  const event = data.eventStep('payout.requested', payout.payoutId, payout, now, { payer: PAYER });
  await data.transact([data.payouts.payoutPutStep(payout, event.messageId, { payer: PAYER }), event.step]);
  if (options.enqueue ?? true) await data.enqueueEvents([event.messageId]);
  return { payoutId: payout.payoutId, messageId: event.messageId };
}

async function commitEvents(eventType: EventType, count: number, options: { enqueue?: boolean } = {}): Promise<string[]> {
  const now = new Date();
  const events = Array.from({ length: count }, (_, i) => data.eventStep(eventType, `cmp_${i}`, { campaignId: `cmp_${i}` }, now));
  await data.transact(events.map((e) => e.step));
  const ids = events.map((e) => e.messageId);
  if (options.enqueue ?? true) await data.enqueueEvents(ids);
  return ids;
}

const idsOf = (requests: ReceivedRequest[]) => requests.map((r) => r.headers['webhook-id'] as string);
const countBy = (ids: string[]) => ids.reduce<Record<string, number>>((acc, id) => ({ ...acc, [id]: (acc[id] ?? 0) + 1 }), {});
const eventStatus = async (messageId: string) => (await data.outbox.getOutboxEvent(messageId))?.status;
const payoutStatus = async (payoutId: string) => (await data.payouts.getPayout(payoutId)).status;

describe('webhook delivery worker', () => {
  it('retries 503, 503 then succeeds: three attempts with one webhook-id, listed as deliveries; the payout is sent', async () => {
    const { receiver, endpointId, secret } = await receiverWithEndpoint(['payout.requested'], (_req, n) => ({
      status: n <= 2 ? 503 : 200,
    }));
    startWorker();
    const { payoutId, messageId } = await commitPayout();

    await eventually(
      () => payoutStatus(payoutId),
      (s) => s === 'sent',
    );
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(idsOf(receiver.requests))).toEqual(new Set([messageId]));
    for (const req of receiver.requests) {
      // Every attempt is signed afresh and verifies with the endpoint's secret.
      const body = new Webhook(secret).verify(req.body, req.headers as Record<string, string>) as { type: string; data: Payout };
      expect(body.type).toBe('payout.requested');
      expect(body.data.beneficiary.account.accountNumber).toBe('6228480012345678901');
    }
    // The schedule's 1 s wait separates the attempts.
    expect(receiver.requests[1]!.receivedAt.getTime() - receiver.requests[0]!.receivedAt.getTime()).toBeGreaterThanOrEqual(900);

    const deliveries = await data.endpoints.listDeliveries(endpointId, { limit: 10 });
    expect(deliveries.items.map((d) => [d.attempt, d.outcome, d.responseStatus])).toEqual([
      [3, 'succeeded', 200],
      [2, 'failed', 503],
      [1, 'failed', 503],
    ]);
    expect(deliveries.items.every((d) => d.messageId === messageId)).toBe(true);
    expect(await eventStatus(messageId)).toBe('delivered');
    expect((await data.payouts.getPayout(payoutId)).attempts).toBe(3);
  });

  it('runs out of retries on 500 → payout delivery_failed; a redelivery re-arms the same message and it is sent', async () => {
    let healthy = false;
    const { receiver, endpointId } = await receiverWithEndpoint(['payout.requested'], () => ({ status: healthy ? 200 : 500 }));
    startWorker();
    const { payoutId, messageId } = await commitPayout();

    await eventually(
      () => payoutStatus(payoutId),
      (s) => s === 'delivery_failed',
    );
    await eventually(
      () => eventStatus(messageId),
      (s) => s === 'failed',
    );
    expect(receiver.requests).toHaveLength(4); // the first attempt and the schedule's three retries
    expect((await data.payouts.getPayout(payoutId)).attempts).toBe(4);

    healthy = true;
    await data.payouts.redeliverPayout(payoutId, ACTOR, new Date());
    await eventually(
      () => payoutStatus(payoutId),
      (s) => s === 'sent',
    );
    expect(receiver.requests).toHaveLength(5);
    expect(new Set(idsOf(receiver.requests))).toEqual(new Set([messageId]));
    expect(await eventStatus(messageId)).toBe('delivered');
    const log = await data.endpoints.listDeliveries(endpointId, { limit: 10 });
    expect(log.items[0]).toMatchObject({ attempt: 5, outcome: 'succeeded', messageId });
  });

  it('delivers once per endpoint when SQS hands the same job out several times at once', async () => {
    const a = await receiverWithEndpoint(['campaign.launched'], () => ({ status: 200, delayMs: 150 }));
    const b = await receiverWithEndpoint(['*']);
    const ids = await commitEvents('campaign.launched', 5, { enqueue: false });
    // Each job three times, in separate sends, then several workers at once.
    for (let copy = 0; copy < 3; copy++) {
      await services.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: ids.map((messageId, n) => ({ Id: String(n), MessageBody: JSON.stringify({ kind: 'event', messageId }) })),
        }),
      );
    }
    startWorker(worker, 8);

    for (const id of ids)
      await eventually(
        () => eventStatus(id),
        (s) => s === 'delivered',
      );
    await new Promise((r) => setTimeout(r, 1_500)); // let any straggling duplicate run
    for (const { receiver } of [a, b]) {
      const mine = idsOf(receiver.requests).filter((id) => ids.includes(id));
      expect(countBy(mine)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    }
  });

  it('recovers from a worker crash mid-batch: every event delivered, one webhook-id each', async () => {
    const { receiver } = await receiverWithEndpoint(['campaign.launched']);
    const ids = await commitEvents('campaign.launched', 6);
    let crashed = false;
    // The first invocation handles its first record and then dies, failing the whole batch.
    const crashing: LambdaHandler = async (event: SQSEvent, context) => {
      if (crashed || event.Records.length < 2) return worker(event, context);
      crashed = true;
      await worker({ Records: event.Records.slice(0, 1) }, context);
      throw new Error('worker crashed');
    };
    startWorker(crashing, 1);

    for (const id of ids)
      await eventually(
        () => eventStatus(id),
        (s) => s === 'delivered',
      );
    expect(crashed).toBe(true);
    expect(countBy(idsOf(receiver.requests))).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
  });

  it('a 410 disables the endpoint and nothing more is sent to it', async () => {
    const gone = await receiverWithEndpoint(['campaign.launched'], () => ({ status: 410 }));
    const healthy = await receiverWithEndpoint(['campaign.launched']);
    startWorker();
    const [first] = await commitEvents('campaign.launched', 1);
    await eventually(
      () => eventStatus(first!),
      (s) => s === 'delivered',
    );
    expect((await data.endpoints.getEndpoint(gone.endpointId)).status).toBe('disabled');

    const [second] = await commitEvents('campaign.launched', 1);
    await eventually(
      () => eventStatus(second!),
      (s) => s === 'delivered',
    );
    expect(idsOf(gone.receiver.requests)).toEqual([first]);
    expect(idsOf(healthy.receiver.requests)).toEqual([first, second]);
  });

  it('honours a Retry-After longer than the schedule', async () => {
    const { receiver } = await receiverWithEndpoint(['campaign.launched'], (_req, n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 200 },
    );
    startWorker();
    const [id] = await commitEvents('campaign.launched', 1);
    await eventually(
      () => eventStatus(id!),
      (s) => s === 'delivered',
    );
    expect(receiver.requests).toHaveLength(2);
    const waited = receiver.requests[1]!.receivedAt.getTime() - receiver.requests[0]!.receivedAt.getTime();
    expect(waited).toBeGreaterThanOrEqual(2_900);
  });

  it('a wait longer than the 15-minute SQS delay hops through re-queues; early or stale jobs do nothing', async () => {
    const { processDeliveryJob } = await import('#shared/webhooks/delivery');
    const { receiver } = await receiverWithEndpoint(['campaign.launched'], (_req, n) =>
      n === 1 ? { status: 503, headers: { 'retry-after': '3600' } } : { status: 200 },
    );
    const [messageId] = await commitEvents('campaign.launched', 1, { enqueue: false });
    const delayed = async () =>
      Number(
        (
          await services.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }),
          )
        ).Attributes?.ApproximateNumberOfMessagesDelayed,
      );

    expect(await processDeliveryJob({ kind: 'event', messageId: messageId! })).toBe('retry-scheduled');
    const dueAt = (await data.outbox.getOutboxEvent(messageId!))!.dueAt!;
    expect(Date.parse(dueAt) - Date.now()).toBeGreaterThan(3_500_000);
    expect(await delayed()).toBe(1); // the hop job, delayed by the 900 s maximum

    expect(await processDeliveryJob({ kind: 'event', messageId: messageId!, notBefore: dueAt })).toBe('deferred');
    expect(await delayed()).toBe(2);
    expect(await processDeliveryJob({ kind: 'event', messageId: messageId!, notBefore: new Date(Date.now() + 60_000).toISOString() })).toBe(
      'not-due',
    );
    expect(await processDeliveryJob({ kind: 'event', messageId: messageId! })).toBe('not-due');
    expect(receiver.requests).toHaveLength(1);

    const later = () => new Date(Date.parse(dueAt) + 1_000);
    expect(await processDeliveryJob({ kind: 'event', messageId: messageId!, notBefore: dueAt }, { now: later })).toBe('delivered');
    expect(idsOf(receiver.requests)).toEqual([messageId, messageId]);
    await services.sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url }));
  });

  it('drops an event nobody subscribed to', async () => {
    startWorker();
    const [id] = await commitEvents('station.suspended', 1);
    await eventually(
      () => eventStatus(id!),
      (s) => s === 'dropped',
    );
    const item = (await services.scanTable()).find((i) => i.messageId === id && i.sk === 'EVT');
    expect(item?.gsi4pk).toBeUndefined(); // out of the outbox index
  });

  it('never writes the secret, the signature or the account number to the logs', async () => {
    // Captured, not printed: the test reads everything the worker writes at DEBUG.
    const logs = captureLogs();
    const previousLevel = logger.getLevelName();
    try {
      const { secret } = await receiverWithEndpoint(['payout.requested'], (_req, n) => ({ status: n === 1 ? 500 : 200 }));
      // The test run logs at WARN only; this test needs to see everything the worker writes.
      logger.setLogLevel('DEBUG');
      startWorker();
      const { payoutId, messageId } = await commitPayout();
      await eventually(
        () => payoutStatus(payoutId),
        (s) => s === 'sent',
      );
      await eventually(
        () => eventStatus(messageId),
        (s) => s === 'delivered',
      );
      const text = logs.text();
      expect(text).toContain(messageId); // the worker did log about this delivery
      expect(text).toContain('HTTP 500');
      expect(text).not.toContain(secret.slice(6, 30));
      expect(text).not.toContain('6228480012345678901');
      expect(text).not.toMatch(/v1,[A-Za-z0-9+/]{40}/);
    } finally {
      logs.restore();
      logger.setLogLevel(previousLevel);
    }
  });
});

describe('outbox sweeper', () => {
  it('queues events that were committed but never queued (a kill between commit and send); each is delivered once', async () => {
    const { receiver } = await receiverWithEndpoint(['campaign.launched']);
    startWorker();
    const ids = await commitEvents('campaign.launched', 12, { enqueue: false });
    await new Promise((r) => setTimeout(r, 1_200)); // overdue by more than OUTBOX_SWEEP_SECONDS
    await sweep();

    for (const id of ids)
      await eventually(
        () => eventStatus(id),
        (s) => s === 'delivered',
      );
    await sweep(); // finished events are out of the index: nothing more is sent
    await new Promise((r) => setTimeout(r, 1_000));
    expect(countBy(idsOf(receiver.requests))).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
  });

  it('delivers an event written before its status was stored as `state` (as `status`) and finishes it as `state`', async () => {
    const { getItem } = await import('#shared/data/platform/query');
    const { keys } = await import('#shared/data/platform/keys');
    const { receiver } = await receiverWithEndpoint(['campaign.launched']);
    startWorker();
    const event = data.eventStep('campaign.launched', 'cmp_legacy', { campaignId: 'cmp_legacy' }, new Date());
    const put = event.step.item.Put!;
    const { state, ...written } = put.Item as Record<string, unknown>;
    await data.transact([{ item: { Put: { ...put, Item: { ...written, status: state } } } }]);
    await new Promise((r) => setTimeout(r, 1_200)); // overdue: the sweeper finds it as it finds any other
    await sweep();
    await eventually(
      () => eventStatus(event.messageId),
      (s) => s === 'delivered',
    );
    const stored = (await getItem(keys.event(event.messageId)))!;
    expect(stored.state).toBe('delivered');
    expect(stored.status).toBeUndefined();
    expect(stored.gsi4pk).toBeUndefined();
    expect(idsOf(receiver.requests)).toEqual([event.messageId]);
  });

  it('leaves a fresh event alone: only work overdue by OUTBOX_SWEEP_SECONDS is queued again', async () => {
    await commitEvents('campaign.launched', 1, { enqueue: false });
    await sweep();
    expect(await services.drainQueue(queue.url)).toHaveLength(0);
  });

  it('keeps a payout queued while nobody subscribes, and delivers it once an endpoint does', async () => {
    startWorker();
    const { payoutId, messageId } = await commitPayout();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await payoutStatus(payoutId)).toBe('queued');
    expect(await eventStatus(messageId)).toBe('pending');

    const { receiver } = await receiverWithEndpoint(['payout.requested']);
    await eventually(
      async () => {
        await sweep();
        return payoutStatus(payoutId);
      },
      (s) => s === 'sent',
    );
    expect(idsOf(receiver.requests)).toEqual([messageId]);
  });

  it('counts a sweep in structured logs and ignores a job for an unknown event', async () => {
    const [outcome] = await Promise.all([
      data.outbox.runSweep([{ name: 'probe', sweep: async () => ({ found: 2, queued: 2 }) }], new Date()),
    ]);
    expect(outcome).toEqual({ probe: { found: 2, queued: 2 } });
    const level = logger.getLevelName();
    logger.setLogLevel('SILENT'); // the broken source's error line is expected here
    await expect(
      data.outbox.runSweep(
        [
          {
            name: 'broken',
            sweep: async () => {
              throw new Error('x');
            },
          },
          { name: 'fine', sweep: async () => ({ found: 0, queued: 0 }) },
        ],
        new Date(),
      ),
    ).rejects.toThrow();
    logger.setLogLevel(level);

    const { processDeliveryJob } = await import('#shared/webhooks/delivery');
    const logs = captureLogs();
    try {
      expect(await processDeliveryJob({ kind: 'event', messageId: 'msg_UNKNOWN' })).toBe('unknown-event');
      expect(logs.text()).toContain('"message":"delivery job for an unknown event"');
    } finally {
      logs.restore();
    }
  });
});
