/**
 * The business metrics reach the logs as CloudWatch EMF, once per invocation, from the handlers the
 * deployed functions run: an approval (HTTP), its delivery (the SQS worker), its settlement (HTTP), a
 * paying endpoint that answers 410 (endpoint disabled, instruction failed), and the ledger check.
 * Everything the handlers print is captured and the EMF lines are read back as CloudWatch would.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SQSEvent } from 'aws-lambda';
import { lambdaContext, type LambdaHandler } from '#local/invoke';
import { scheduledEvent } from '#local/scheduler';
import { captureLogs, type LogCapture } from '#test/support/log-capture';
import { startReceiver, type Receiver, type ReceiverReply } from '#test/support/receiver';
import { BUSINESS_METRICS, METRICS_NAMESPACE, METRICS_SERVICE } from '#shared/metric-names';
import { COUNTY, FINANCE_SYSTEM, useMoneyHarness } from './disbursement-harness.ts';

interface EmfLine {
  namespace: string;
  dimensions: string[][];
  units: Record<string, string>;
  values: Record<string, unknown>;
}

// One retry, at once: a failing endpoint runs out within two worker invocations.
const h = useMoneyHarness({ env: { WEBHOOK_RETRY_SCHEDULE: '0', POWERTOOLS_METRICS_DISABLED: 'false' } });
let worker: LambdaHandler;
let ledgerCheck: LambdaHandler;
let endpoints: typeof import('#shared/data/webhook-endpoints/items');
const receivers: Receiver[] = [];
const ACTOR = { sub: 'admin-1' };
let logs: LogCapture;

beforeAll(async () => {
  worker = (await import('#functions/queue/webhook-delivery')).handler as LambdaHandler;
  ledgerCheck = (await import('#functions/schedule/ledger-check')).handler as LambdaHandler;
  endpoints = await import('#shared/data/webhook-endpoints/items');
});

beforeEach(() => {
  logs = captureLogs();
});

afterEach(async () => {
  logs.restore();
  // Endpoints of one test must not receive the next test's instructions.
  for (const e of (await endpoints.listEndpoints({ limit: 100 })).items) await endpoints.deleteEndpoint(e.endpointId, ACTOR, new Date());
});

afterAll(() => Promise.all(receivers.map((r) => r.stop())));

/** The EMF objects among the captured lines (a metrics line has `_aws.CloudWatchMetrics`). */
function emfLines(): EmfLine[] {
  const lines: EmfLine[] = [];
  for (const text of logs.text().split('\n')) {
    if (!text.includes('"_aws"')) continue;
    const parsed = JSON.parse(text) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    };
    const [directive] = parsed._aws.CloudWatchMetrics;
    lines.push({
      namespace: directive!.Namespace,
      dimensions: directive!.Dimensions,
      units: Object.fromEntries(directive!.Metrics.map((m) => [m.Name, m.Unit])),
      values: parsed,
    });
  }
  return lines;
}

/** Each metric's values summed over every EMF line (a line holds one value or an array of them). */
function totals(lines: EmfLine[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of lines) {
    for (const name of Object.keys(line.units)) {
      const value = line.values[name];
      const values = Array.isArray(value) ? (value as number[]) : [value as number];
      sums[name] = (sums[name] ?? 0) + values.reduce((a, b) => a + b, 0);
    }
  }
  return sums;
}

async function payingEndpoint(status: number, reply: Partial<ReceiverReply> = {}): Promise<{ endpointId: string; receiver: Receiver }> {
  const receiver = await startReceiver({ respond: () => ({ status, ...reply }) });
  receivers.push(receiver);
  const created = await endpoints.createEndpoint(
    { url: `${receiver.url}/hooks`, events: ['payout.requested'], financeSystem: FINANCE_SYSTEM },
    ACTOR,
    new Date(),
  );
  return { endpointId: created.endpointId, receiver };
}

async function approvedPayout(amount: number): Promise<{ payoutId: string; messageId: string }> {
  const fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
  const payout = await h.data.payouts.getPayout((await h.approvedPayout(fundId, amount, { approver: 'checker-1' })).payoutId);
  return { payoutId: payout.payoutId, messageId: payout.requestedMessageId };
}

/** The worker as the event source mapping calls it, with one delivery job. */
async function deliver(messageId: string): Promise<void> {
  const event: SQSEvent = {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: 'r',
        body: JSON.stringify({ kind: 'event', messageId }),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'local',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:delivery',
        awsRegion: 'us-east-1',
      },
    ],
  };
  const result = (await worker(event, lambdaContext('relief-fund-webhook-delivery', 60_000))) as { batchItemFailures: unknown[] };
  expect(result.batchItemFailures).toEqual([]);
}

describe('business metrics as EMF', () => {
  it('an approval, its delivery and its settlement each emit their metrics, flushed by the invocation that did the work', async () => {
    const paying = await payingEndpoint(200);
    const { payoutId, messageId } = await approvedPayout(12_300);
    const afterApproval = emfLines();
    expect(totals(afterApproval)).toMatchObject({ [BUSINESS_METRICS.disbursementApproved]: 1, [BUSINESS_METRICS.payoutQueued]: 1 });
    for (const line of afterApproval) {
      expect(line.namespace).toBe(METRICS_NAMESPACE);
      expect(line.dimensions).toEqual([['service']]);
      expect(line.values.service).toBe(METRICS_SERVICE);
    }

    await deliver(messageId);
    expect(paying.receiver.requests).toHaveLength(1);
    expect(await h.data.payouts.getPayout(payoutId)).toMatchObject({ status: 'sent' });
    const afterDelivery = emfLines().slice(afterApproval.length);
    expect(totals(afterDelivery)).toEqual({
      [BUSINESS_METRICS.deliveryAttempts]: 1,
      [BUSINESS_METRICS.deliveryLatency]: expect.any(Number),
      [BUSINESS_METRICS.payoutSent]: 1,
    });
    expect(afterDelivery[0]!.units[BUSINESS_METRICS.deliveryLatency]).toBe('Milliseconds');

    const settled = await h.settle(payoutId, { outcome: 'succeeded', bankReference: 'ABC-1' });
    expect(settled.status).toBe(200);
    // The same report again changes nothing, so it counts nothing.
    const repeated = await h.settle(payoutId, { outcome: 'succeeded', bankReference: 'ABC-1' });
    expect(repeated.status).toBe(200);
    expect(totals(emfLines().slice(afterApproval.length + afterDelivery.length))).toEqual({ [BUSINESS_METRICS.payoutSettled]: 1 });

    // No metric line carries a person's data.
    expect(logs.text()).not.toContain('6222020200112233');
  });

  it('a paying endpoint that answers 410 is disabled and the instruction fails: the metrics the alarms watch', async () => {
    const gone = await payingEndpoint(410);
    const { payoutId, messageId } = await approvedPayout(4_500);
    const before = emfLines().length;
    await deliver(messageId);
    expect(await h.data.payouts.getPayout(payoutId)).toMatchObject({ status: 'delivery_failed' });
    expect((await endpoints.getEndpoint(gone.endpointId)).status).toBe('disabled');
    expect(totals(emfLines().slice(before))).toMatchObject({
      [BUSINESS_METRICS.deliveryAttempts]: 1,
      [BUSINESS_METRICS.deliveryAttemptsFailed]: 1,
      [BUSINESS_METRICS.webhookEndpointDisabled]: 1,
      [BUSINESS_METRICS.payoutDeliveryFailed]: 1,
    });
  });

  it('a second 410 for an endpoint already disabled does not count it disabled again', async () => {
    // Two invocations both read the endpoint as enabled; the receiver answers neither until both have asked.
    let bothAsked!: () => void;
    const held = new Promise<void>((resolve) => (bothAsked = resolve));
    const gone = await payingEndpoint(410, { after: held });
    const first = await approvedPayout(1_100);
    const second = await approvedPayout(2_200);
    const before = emfLines().length;
    void gone.receiver.waitFor(2).then(bothAsked, bothAsked);
    await Promise.all([deliver(first.messageId), deliver(second.messageId)]);
    expect(gone.receiver.requests).toHaveLength(2);
    expect((await endpoints.getEndpoint(gone.endpointId)).status).toBe('disabled');
    expect(totals(emfLines().slice(before))).toMatchObject({
      [BUSINESS_METRICS.deliveryAttempts]: 2,
      [BUSINESS_METRICS.webhookEndpointDisabled]: 1,
      [BUSINESS_METRICS.payoutDeliveryFailed]: 2,
    });
  });

  it('an endpoint that answers 410 to a test event is disabled and counted, as for any other event', async () => {
    const gone = await payingEndpoint(410);
    const before = emfLines().length;
    const sent = await h.call('POST', `/v1/webhook-endpoints/${gone.endpointId}/test`, { sub: 'admin-1', roles: ['fund-admin'], body: {} });
    expect(sent.status).toBe(202);
    expect((await endpoints.getEndpoint(gone.endpointId)).status).toBe('disabled');
    expect(totals(emfLines().slice(before))).toMatchObject({ [BUSINESS_METRICS.webhookEndpointDisabled]: 1 });
  });

  it('the ledger check reports its differences, 0 included', async () => {
    const result = (await ledgerCheck(scheduledEvent('ledger-check'), lambdaContext('relief-fund-ledger-check', 60_000))) as {
      differences: number;
    };
    expect(result.differences).toBe(0);
    const lines = emfLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]!.values[BUSINESS_METRICS.ledgerDifferences]).toBe(0);
  });
});
