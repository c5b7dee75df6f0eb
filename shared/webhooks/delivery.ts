/**
 * Webhook delivery: one delivery job → one look at its outbox event.
 *
 * The event item decides (shared/data/platform/outbox.ts): a job for a finished event, for an event another
 * worker holds, or for a retry that is not due yet is a no-op, so SQS's at-least-once delivery and
 * the sweeper's re-queues never make us deliver twice to an endpoint that acknowledged. Each attempt
 * is signed afresh (Standard Webhooks, same `webhook-id` every time), sent to the address the URL
 * guard checked just now (no second DNS answer to rebind), and recorded in the endpoint's delivery log.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { config } from '../config.ts';
import { logger } from '../logger.ts';
import { report } from '../metrics.ts';
import { traceWebhookCall } from '../tracing.ts';
import { FULL_ACCOUNT_EVENTS, PAYER_ONLY_EVENTS, publicEventData, WAITS_FOR_SUBSCRIBER, type EventType } from '../domain/events.ts';
import { decidePayment, isExhausted, releaseOfInstruction } from '../domain/payment-instructions.ts';
import { MAX_SQS_DELAY_SECONDS } from '../queues.ts';
import { disableEndpoint, recordDeliveryAttempt, type DeliveryAttempt, type DeliveryTarget } from '../data/webhook-endpoints/items.ts';
import { deliveryTargetsOnce, type DeliveryTargetLookup } from '../data/webhook-endpoints/subscriptions.ts';
import type { TxStep } from '../data/platform/transactions.ts';
import {
  eventReleaseStep,
  getOutboxEvent,
  LeaseLost,
  leaseEvent,
  queueDeliveryJobs,
  releaseEvent,
  reviewPendingEvents,
  type DeliveryJob,
  type EndpointDelivery,
  type LeaseRelease,
  type OutboxEvent,
} from '../data/platform/outbox.ts';
import { type PayoutFacts } from '../data/payouts/items.ts';
import { markPayoutDeliveryFailed, markPayoutSent, recordPayoutAttempts } from '../data/payouts/delivery.ts';
import { checkWebhookUrl, UnsafeWebhookUrl, type CheckedUrl, type Resolver } from './url-guard.ts';
import { signWebhook, webhookBody } from './signing.ts';
import { parseRetryAfter, retryDelaySeconds } from './retry-schedule.ts';

/** A job that arrives this close before its due time is treated as due (SQS delays are whole seconds). */
const DUE_TOLERANCE_MS = 1_000;
/** Time for the database work around the HTTP calls of one event. */
const LEASE_MARGIN_MS = 30_000;
/** A review's lease ignores the due time. */
const END_OF_TIME = new Date('9999-12-31T00:00:00.000Z');

// ---------------------------------------------------------------------------------------------
// Transport

export interface AttemptResult {
  /** 2xx within the timeout. */
  ok: boolean;
  status: number | null;
  /** Seconds the receiver asked us to wait (`Retry-After`), when it did. */
  retryAfterSeconds?: number;
  /** Short, safe reason for a failure (never a secret or a body). */
  error: string | null;
  durationMs: number;
}

export interface SendOptions {
  timeoutMs: number;
  allowInsecure: boolean;
  /** Replaces DNS (tests). */
  resolve?: Resolver;
}

/** A lookup that always answers the already checked address, whatever name the socket asks for. */
function pinnedLookup(checked: CheckedUrl): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: checked.address, family: checked.family }]);
    else callback(null, checked.address, checked.family);
  }) as unknown as LookupFunction;
}

/** POSTs one signed delivery. Never throws: every outcome is an AttemptResult. */
export async function sendWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  now: Date,
  options: SendOptions,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let checked: CheckedUrl;
  try {
    checked = await checkWebhookUrl(url, { allowInsecure: options.allowInsecure, resolve: options.resolve });
  } catch (error) {
    const reason = error instanceof UnsafeWebhookUrl ? error.message : 'URL check failed';
    return { ok: false, status: null, error: `refused: ${reason}`, durationMs: elapsed() };
  }
  const target = checked.url;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const req = send(
      {
        protocol: target.protocol,
        // The name stays the Host header and the TLS server name; only the address is pinned.
        hostname: target.hostname.replace(/^\[|\]$/g, ''),
        port: target.port || undefined,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body), 'user-agent': 'relief-fund-webhooks/1' },
        lookup: pinnedLookup(checked),
        agent: false,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        // The body is not ours to keep; drain it so the socket closes.
        res.resume();
        // Node keeps the first retry-after and discards duplicates, so this is one string.
        const retryAfter = res.headers['retry-after'];
        finish({
          ok: status >= 200 && status < 300,
          status,
          retryAfterSeconds: parseRetryAfter(retryAfter, now),
          error: status >= 200 && status < 300 ? null : `HTTP ${status}`,
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, status: null, error: `timeout after ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, status: null, error: `connection failed${error.code ? `: ${error.code}` : ''}` });
    });
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// What finishing an event means for the entity it is about

interface EventFinisher {
  /**
   * Also records the attempts (`attempted` is not called for a round that finishes the event).
   * `alongside` commits in the same transaction when the entity moves; true when it moved.
   */
  delivered?: (event: OutboxEvent, attempts: number, now: Date, alongside: TxStep[]) => Promise<boolean>;
  failed?: (event: OutboxEvent, attempts: number, now: Date) => Promise<void>;
  /** After a round of attempts that leaves the event pending. */
  attempted?: (event: OutboxEvent, attempts: number, now: Date) => Promise<void>;
}

/** The payout's unchanging facts from its `payout.requested` body (the payout as approved), if they are there. */
function payoutFacts(event: OutboxEvent): PayoutFacts | undefined {
  const { amount, batchId, disbursementId } = event.data;
  if (!Number.isSafeInteger(amount)) return undefined;
  if (batchId !== null && typeof batchId !== 'string') return undefined;
  if (disbursementId !== null && typeof disbursementId !== 'string') return undefined;
  return { amount: amount as number, batchId, disbursementId };
}

const FINISHERS: Partial<Record<EventType, EventFinisher>> = {
  'payout.requested': {
    delivered: (event, attempts, now, alongside) => markPayoutSent(event.subject, now, { attempts, facts: payoutFacts(event), alongside }),
    failed: (event, attempts, now) => markPayoutDeliveryFailed(event.subject, attempts, now),
    attempted: (event, attempts) => recordPayoutAttempts(event.subject, attempts),
  },
};

// ---------------------------------------------------------------------------------------------
// One delivery job

export type JobOutcome =
  | 'unknown-event'
  | 'already-finished'
  | 'not-due'
  | 'deferred'
  | 'busy'
  | 'waiting-for-subscriber'
  | 'retry-scheduled'
  | 'delivered'
  | 'failed'
  | 'dropped'
  | 'superseded';

export interface DeliveryRuntime {
  now?: () => Date;
  /** Replaces DNS for the URL guard (tests). */
  resolve?: Resolver;
  /** Where the subscribed endpoints come from; the worker shares one lookup per SQS batch. */
  targets?: DeliveryTargetLookup;
}

export interface EndpointOutcome {
  endpointId: string;
  result: AttemptResult;
  /** Its line for the endpoint's delivery log, written before (or with) the entity's move. */
  record: DeliveryAttempt;
}

/** A fresh state for an endpoint, or its state of an older round with the failures forgotten. */
function stateFor(event: OutboxEvent, endpointId: string, paying: boolean): EndpointDelivery {
  const state = event.deliveries[endpointId];
  const mark = paying ? { paying: true } : {};
  if (!state) return { acknowledged: false, attempts: 0, totalAttempts: 0, round: event.round, nextAttemptAt: null, ...mark };
  if (state.acknowledged || state.round === event.round) return { ...state, totalAttempts: state.totalAttempts ?? state.attempts, ...mark };
  return { ...state, attempts: 0, round: event.round, nextAttemptAt: null, totalAttempts: state.totalAttempts ?? state.attempts, ...mark };
}

/**
 * Whether an endpoint gets an attempt now: not acknowledged, retries left, its wait fully over (no
 * tolerance here: a job that came a little early finds nothing due and is queued again for the rest).
 */
export function isDue(state: EndpointDelivery, schedule: readonly number[], now: Date): boolean {
  if (state.acknowledged || isExhausted(state, schedule)) return false;
  return state.nextAttemptAt === null || Date.parse(state.nextAttemptAt) <= now.getTime();
}

export async function processDeliveryJob(job: DeliveryJob, runtime: DeliveryRuntime = {}): Promise<JobOutcome> {
  const clock = runtime.now ?? (() => new Date());
  const now = clock();
  const settings = config();

  if (job.notBefore !== undefined) {
    const notBefore = Date.parse(job.notBefore);
    if (notBefore - now.getTime() > DUE_TOLERANCE_MS) {
      // A wait longer than SQS's 15 minutes (rare): hop once more, unless a newer schedule replaced this one.
      const event = await getOutboxEvent(job.messageId);
      if (!event) return unknownEvent(job);
      if (event.status !== 'pending') return 'already-finished';
      if (event.dueAt !== new Date(notBefore).toISOString()) return 'not-due';
      const waitSeconds = Math.min(Math.ceil((notBefore - now.getTime()) / 1000), MAX_SQS_DELAY_SECONDS);
      await queueDeliveryJobs([{ job, delaySeconds: waitSeconds }]);
      return 'deferred';
    }
  }

  // No read first: the lease's condition holds the checks, and a refusal says which one failed.
  // Early jobs are duplicates: the job for the due time exists, or the sweeper brings the event back.
  // 96 random bits, 16 characters: the lease's owner is stored on the event while it is held, and an event item
  // kept under 1 KB costs one write unit per write instead of two (a UUID took 20 bytes more).
  const owner = randomBytes(12).toString('base64url');
  // A review looks now whatever the due time; it still attempts only what is due (isDue below).
  const dueBy = job.review ? END_OF_TIME : new Date(now.getTime() + DUE_TOLERANCE_MS);
  const lease = await leaseEvent(job.messageId, owner, now, settings.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS, dueBy);
  if ('refused' in lease) return lease.refused === 'unknown-event' ? unknownEvent(job) : lease.refused;
  const leased = lease.leased;

  const lookup = runtime.targets ?? deliveryTargetsOnce();
  const payingSystem = (target: DeliveryTarget) => target.financeSystem !== null && target.financeSystem === leased.payer;
  const subscribers = await lookup(leased.eventType, now);
  // A verification request goes to the paying finance system's endpoints only.
  const targets = PAYER_ONLY_EVENTS.has(leased.eventType) ? subscribers.filter(payingSystem) : subscribers;
  const instruction = leased.eventType === 'payout.requested';
  const fullAccount = FULL_ACCOUNT_EVENTS.has(leased.eventType);
  const paying = (target: DeliveryTarget) => fullAccount && payingSystem(target);
  const deliveries: Record<string, EndpointDelivery> = { ...leased.deliveries };
  for (const target of targets) deliveries[target.endpointId] = stateFor(leased, target.endpointId, paying(target));

  const due = targets.filter((t) => isDue(deliveries[t.endpointId]!, settings.WEBHOOK_RETRY_SCHEDULE, now));

  // A payment instruction or verification request carries the full account to the paying system's endpoints only.
  const body = webhookBody(leased);
  const maskedBody = fullAccount ? webhookBody({ ...leased, data: publicEventData(leased.eventType, leased.data) }) : body;
  const outcomes = await Promise.all(
    due.map((target) => attempt(leased, target, paying(target) ? body : maskedBody, deliveries[target.endpointId]!, runtime, clock)),
  );

  const gone = new Set<string>();
  let payingGone = false;
  for (const { endpointId, result } of outcomes) {
    deliveries[endpointId] = afterAttempt(deliveries[endpointId]!, result, settings.WEBHOOK_RETRY_SCHEDULE, now);
    if (result.status === 410) {
      // The receiver says the endpoint is gone for good: stop sending anything to it.
      // Counted once, by the delivery whose update disabled it (another may have read it as enabled too).
      if (await disableEndpoint(endpointId, 'the receiver answered 410 Gone', now)) report.webhookEndpointDisabled();
      gone.add(endpointId);
      lookup.disabled(endpointId);
      if (targets.find((t) => t.endpointId === endpointId)?.financeSystem) payingGone = true;
    }
  }

  const remaining = targets.filter((t) => !gone.has(t.endpointId));
  const subscribed = remaining.map((t) => deliveries[t.endpointId]!);
  const attempts = Math.max(0, ...Object.values(deliveries).map((d) => d.totalAttempts));
  const schedule = settings.WEBHOOK_RETRY_SCHEDULE;
  const payment = instruction
    ? decidePayment(
        Object.values(deliveries),
        remaining.filter(paying).map((t) => deliveries[t.endpointId]!),
        schedule,
        leased.round,
      )
    : undefined;
  const release = payment
    ? releaseOfInstruction(
        payment,
        remaining.filter((t) => !paying(t)).map((t) => deliveries[t.endpointId]!),
        subscribed,
        schedule,
        now,
      )
    : decideDelivery(leased.eventType, subscribed, Object.values(deliveries), schedule, now);
  const finisher = FINISHERS[leased.eventType];
  const payingIds = new Set(
    Object.entries(deliveries)
      .filter(([, d]) => d.paying)
      .map(([id]) => id),
  );
  // Only the paying system's acknowledgement makes a payout `sent`; an observer's 200 never does.
  const paidNow = outcomes.some((o) => o.result.ok && payingIds.has(o.endpointId));
  const moveToSent = payment ? payment === 'acknowledged' && (paidNow || release.status === 'delivered') : release.status === 'delivered';
  // Another finance-system endpoint is gone: the other instructions waiting on it are looked at now.
  if (payingGone) await reviewPendingEvents();

  // The entity moves first, or with the release: if we die before the event is released, the lease
  // runs out, the sweeper queues the event again, and the (idempotent) move is simply repeated. The
  // log lines go in before the entity's move (each line's id is its attempt's time, so writing it again
  // after a crash is the same line), so a sent payout shows its attempts. They are plain writes, outside
  // the move's transaction: a line in it cost two write units instead of one, and put every delivery of
  // an endpoint's events on the endpoint's partition inside the payout's transaction.
  let released: boolean;
  if (moveToSent && finisher?.delivered) {
    // The usual end of a payout: its move and the event's release in ONE transaction.
    await writeDeliveryLog(outcomes);
    try {
      released = await finisher.delivered(leased, attempts, now, [eventReleaseStep(leased, owner, deliveries, release, now)]);
      // Nothing to move (already sent, or settled): the event is released on its own.
      if (!released) released = await releaseEvent(leased, owner, deliveries, release, now);
    } catch (error) {
      if (!(error instanceof LeaseLost)) throw error;
      // Re-armed meanwhile; the receivers did get it, so the entity moves all the same.
      await finisher.delivered(leased, attempts, now, []);
      released = false;
    }
  } else {
    await writeDeliveryLog(outcomes);
    if (release.status === 'failed' || payment === 'failed') await finisher?.failed?.(leased, attempts, now);
    else if (release.status === 'pending' && outcomes.length > 0) await finisher?.attempted?.(leased, attempts, now);
    released = await releaseEvent(leased, owner, deliveries, release, now);
  }
  const log = {
    messageId: leased.messageId,
    eventType: leased.eventType,
    attempted: outcomes.length,
    failed: outcomes.filter((o) => !o.result.ok).length,
  };
  if (!released) {
    logger.info('event re-armed while we worked on it; the newer round continues', log);
    return 'superseded';
  }
  if (release.status !== 'pending') {
    logger.info(`event ${release.status}`, { ...log, attempts });
    return release.status;
  }
  if (subscribed.length === 0 || payment === 'waiting') {
    logger.info('event waits for a subscriber', log);
    return 'waiting-for-subscriber';
  }
  const dueAt = release.dueAt;
  // A review that changed nothing leaves the retry already queued for that time to do its work.
  if (job.review && leased.dueAt !== null && Date.parse(leased.dueAt) === dueAt.getTime()) return 'retry-scheduled';
  const waitSeconds = Math.max(0, Math.ceil((dueAt.getTime() - now.getTime()) / 1000));
  await queueDeliveryJobs([
    {
      job: { kind: 'event', messageId: leased.messageId, notBefore: dueAt.toISOString() },
      delaySeconds: Math.min(waitSeconds, MAX_SQS_DELAY_SECONDS),
    },
  ]);
  logger.info('event retry scheduled', { ...log, dueAt: dueAt.toISOString() });
  return 'retry-scheduled';
}

/** The log is for people; losing one line must not make us deliver again, so failures are only logged. */
async function writeDeliveryLog(outcomes: readonly EndpointOutcome[]): Promise<void> {
  await Promise.all(
    outcomes.map((o) =>
      recordDeliveryAttempt(o.endpointId, o.record).catch((error: Error) =>
        logger.warn('delivery attempt not recorded', { endpointId: o.endpointId, messageId: o.record.messageId, error: error.name }),
      ),
    ),
  );
}

function unknownEvent(job: DeliveryJob): JobOutcome {
  // Producers queue only after their commit, so there is nothing this job could ever deliver.
  logger.warn('delivery job for an unknown event', { messageId: job.messageId });
  return 'unknown-event';
}

/** An endpoint's state after one attempt: acknowledged, or the failure counted and the next try scheduled. */
export function afterAttempt(state: EndpointDelivery, result: AttemptResult, schedule: readonly number[], now: Date): EndpointDelivery {
  const next = { ...state, totalAttempts: state.totalAttempts + 1 };
  if (result.ok) return { ...next, acknowledged: true, nextAttemptAt: null };
  // A 410 ends the endpoint (it is disabled), not the retries of the others: no schedule for it.
  if (result.status === 410) return { ...next, nextAttemptAt: null };
  const attempts = state.attempts + 1;
  const wait = retryDelaySeconds(schedule, attempts, result.retryAfterSeconds);
  return { ...next, attempts, nextAttemptAt: wait === undefined ? null : new Date(now.getTime() + wait * 1000).toISOString() };
}

/**
 * Where an event stands after a round, from the endpoints still subscribed (`all`: every endpoint
 * the event ever reached, including ones removed since).
 */
export function decideDelivery(
  eventType: EventType,
  subscribed: readonly EndpointDelivery[],
  all: readonly EndpointDelivery[],
  schedule: readonly number[],
  now: Date,
): LeaseRelease {
  if (subscribed.length === 0) {
    // An endpoint that acknowledged and was removed since still counts as told.
    if (all.some((d) => d.acknowledged)) return { status: 'delivered' };
    // Waiting: due now, so every sweep looks again until an endpoint subscribes.
    if (WAITS_FOR_SUBSCRIBER.has(eventType)) return { status: 'pending', dueAt: now };
    return { status: 'dropped' };
  }
  const trying = subscribed.filter((d) => !d.acknowledged && !isExhausted(d, schedule));
  if (trying.length === 0) return { status: subscribed.every((d) => d.acknowledged) ? 'delivered' : 'failed' };
  const next = Math.min(...trying.map((d) => (d.nextAttemptAt ? Date.parse(d.nextAttemptAt) : now.getTime())));
  return { status: 'pending', dueAt: new Date(next) };
}

async function attempt(
  event: OutboxEvent,
  target: DeliveryTarget,
  body: string,
  state: EndpointDelivery,
  runtime: DeliveryRuntime,
  clock: () => Date,
): Promise<EndpointOutcome> {
  const settings = config();
  const at = clock();
  const headers = signWebhook(event.messageId, body, target.secrets, at);
  const result = await traceWebhookCall({ endpointId: target.endpointId, url: target.url, eventType: event.eventType }, () =>
    sendWebhook(target.url, { ...headers }, body, at, {
      timeoutMs: settings.WEBHOOK_TIMEOUT_MS,
      allowInsecure: settings.ALLOW_INSECURE_WEBHOOKS,
      resolve: runtime.resolve,
    }),
  );
  report.deliveryAttempt(result);
  const record: DeliveryAttempt = {
    messageId: event.messageId,
    eventType: event.eventType,
    attempt: state.totalAttempts + 1,
    outcome: result.ok ? 'succeeded' : 'failed',
    responseStatus: result.status,
    error: result.error,
    durationMs: result.durationMs,
    at: at.toISOString(),
  };
  if (!result.ok) {
    logger.info('webhook attempt failed', {
      endpointId: target.endpointId,
      messageId: event.messageId,
      status: result.status,
      error: result.error,
    });
  }
  return { endpointId: target.endpointId, result, record };
}
