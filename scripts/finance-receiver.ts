/**
 * A reference webhook receiver for a finance system: copy it and replace `pay()` with your bank call.
 *
 *   npm run --silent token -- --scope finance-system --sub ledger-bot   # a token for the settlement call
 *   WEBHOOK_SECRET=whsec_… FINANCE_TOKEN=eyJ… tsx scripts/finance-receiver.ts --port 4000 --api-url http://localhost:3000
 *   (secrets from the environment or --secret-file / --token-file, never argv; register http://localhost:4000/webhooks
 *   with `POST /v1/webhook-endpoints` and events ["payout.requested"] with the finance system's own token)
 *   Exit codes: 0 stopped by Ctrl-C or SIGTERM, 1 could not listen or could not stop cleanly, 2 usage.
 *   FINANCE_TOKEN=eyJ… tsx scripts/finance-receiver.ts --reconcile 2026-12-01 [--api-url URL] [--journal FILE]
 *   posts what the journal says was paid on that day (UTC) to `POST /v1/reconciliations` and prints the result;
 *   when the journal holds no payment that day, lists the payouts the API settled that day instead (each one is
 *   settled here, not in the journal); exit codes: 0 the API agrees, 1 differences found or the reconciliation
 *   failed, 2 usage.
 *
 * What it shows:
 * - verify every request with the endpoint secret using the `standardwebhooks` library (a bad, missing
 *   or older-than-5-minutes signature → 401; during a rotation either secret verifies);
 * - dedupe on `webhook-id`: a retry or a redelivery of a message already taken is acknowledged, never paid twice;
 * - pay only what the API confirms: a valid signature proves only that someone holding the endpoint secret signed
 *   the body, and more than one person can hold it. Before taking an instruction, read the payout with this finance
 *   system's own token (`GET /v1/payouts/{id}`, which gives the paying system the full account) and check that it
 *   exists among the funds this system pays, is not settled or failed, and has the same fund, amount, currency and
 *   account. A mismatch is answered 422 (never 2xx, so it never counts as acknowledged: the sender's retries end in
 *   `delivery_failed`, which a fund administrator sees; never 410, which would disable the endpoint), logged without
 *   the account, and neither journaled nor paid. When the API cannot be asked, 503: the sender retries later;
 * - write the instruction to a journal (fsync'd) BEFORE answering 2xx, then answer at once and do the slow
 *   part (paying, reporting the settlement) afterwards: the sender waits at most 15 s and would retry a slow
 *   answer; after a crash the journal is replayed: nothing acknowledged is lost, nothing paid is paid again
 *   (the bank call is keyed by the payout id, as a bank's end-to-end reference);
 * - report the outcome with `POST /v1/payouts/{id}/settlement`, with an Idempotency-Key so a retried
 *   report is applied once;
 * - never log the full account number or the beneficiary's name.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { createHash } from 'node:crypto';
import { EXIT_FAILED, EXIT_OK, fail, parseCommandLine, unreachable, usage } from '#shared/cli';
import { Journal } from './lib/journal.ts';
import { checkAccount, readBankAccounts, type BankCheck } from './lib/stand-in-bank.ts';
import { formatTable, yuan } from './lib/table.ts';
import { maskAccountNumber } from '../shared/domain/masking.ts';
import { maskName } from '../shared/domain/notices.ts';
import { statementDay } from '../shared/domain/reconciliation.ts';
import { readFileSync } from 'node:fs';

const MAX_BODY_BYTES = 1024 * 1024;
const SETTLEMENT_TRIES = 5;
/** The sender waits 15 s for the answer: the API read that confirms an instruction must fit well inside it. */
const CONFIRM_TIMEOUT_MS = 10_000;

export interface PayoutMessage {
  payoutId: string;
  amount: number;
  currency: string;
  beneficiary: { name: string; account: { bankName: string; accountName: string; accountNumber: string } };
}

/** The payout as the API holds it, read by its paying finance system (`GET /v1/payouts/{id}`: the full account). */
export interface ConfirmedPayout extends PayoutMessage {
  fundId: string;
  status: string;
}

/**
 * What checking an instruction against the API gives: `confirmed` (pay it), `refused` (it is not what the API holds:
 * never pay it) or `unavailable` (the API could not be asked: let the sender retry). `reason` never holds the account.
 */
export type InstructionCheck =
  { verdict: 'confirmed'; payout: PayoutMessage } | { verdict: 'refused'; reason: string } | { verdict: 'unavailable'; reason: string };

const CLOSED_PAYOUT_STATUSES = new Set(['settled', 'failed']);

/**
 * The names of the fields in which a signed instruction differs from the payout the API holds (names only, never a
 * value: the values are the beneficiary's account), or why it cannot be paid at all.
 */
export function instructionDifferences(instruction: unknown, confirmed: ConfirmedPayout): string[] {
  const i = (typeof instruction === 'object' && instruction !== null ? instruction : {}) as Record<string, unknown>;
  const beneficiary = (typeof i.beneficiary === 'object' && i.beneficiary !== null ? i.beneficiary : {}) as Record<string, unknown>;
  const account = (typeof beneficiary.account === 'object' && beneficiary.account !== null ? beneficiary.account : {}) as Record<
    string,
    unknown
  >;
  const differences: string[] = [];
  if (CLOSED_PAYOUT_STATUSES.has(confirmed.status)) differences.push(`status (the payout is ${confirmed.status})`);
  if (i.payoutId !== confirmed.payoutId) differences.push('payoutId');
  if (i.fundId !== confirmed.fundId) differences.push('fundId');
  if (i.amount !== confirmed.amount) differences.push('amount');
  if (i.currency !== confirmed.currency) differences.push('currency');
  for (const field of ['bankName', 'accountName', 'accountNumber'] as const) {
    if (account[field] !== confirmed.beneficiary.account[field]) differences.push(`account.${field}`);
  }
  return differences;
}

/**
 * Reads the payout an instruction names with this finance system's token and checks the instruction against it.
 * The API answers 404 for a payout that does not exist and for one of a fund another system pays: both refused.
 */
export async function confirmInstruction(apiUrl: string, token: string, instruction: unknown): Promise<InstructionCheck> {
  const payoutId = (instruction as { payoutId?: unknown } | null)?.payoutId;
  if (typeof payoutId !== 'string' || !/^pay_[0-9A-Z]{26}$/.test(payoutId)) return { verdict: 'refused', reason: 'no valid payoutId' };
  let response: Response;
  try {
    response = await fetch(`${apiUrl.replace(/\/$/, '')}/v1/payouts/${encodeURIComponent(payoutId)}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: AbortSignal.timeout(CONFIRM_TIMEOUT_MS),
    });
  } catch (error) {
    return { verdict: 'unavailable', reason: `the API could not be read: ${(error as Error).name}` };
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return { verdict: 'refused', reason: 'no such payout among the funds this finance system pays' };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    // 401/403 (a token expired or wrong), 429, 5xx: not the instruction's fault; the sender retries it later.
    return { verdict: 'unavailable', reason: `the API answered ${response.status} to the payout read` };
  }
  const confirmed = (await response.json()) as ConfirmedPayout;
  if (confirmed.beneficiary.account.accountNumber.startsWith('*')) {
    // Only the paying finance system reads the account in full: this token is not the fund's finance system's.
    return { verdict: 'unavailable', reason: "the API answered the account masked: FINANCE_TOKEN is not the paying finance system's" };
  }
  const differences = instructionDifferences(instruction, confirmed);
  if (differences.length > 0) return { verdict: 'refused', reason: `differs from the API's payout in ${differences.join(', ')}` };
  const { payoutId: id, amount, currency, beneficiary } = confirmed;
  return { verdict: 'confirmed', payout: { payoutId: id, amount, currency, beneficiary } };
}

export interface WebhookMessage {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

export type PaymentResult = { outcome: 'succeeded'; bankReference: string } | { outcome: 'failed'; failureReason: string };

export interface FinanceReceiverOptions {
  /** Endpoint secrets (`whsec_…`); read on every request, so a secret can be added after start (rotation). */
  secrets: string[];
  /** Base URL of the relief-fund API, e.g. http://localhost:3000. */
  apiUrl: string;
  /** A finance-system bearer token (or a function that returns a fresh one). */
  token: string | (() => Promise<string>);
  /** The bank transfer. The default "pays" at once and makes up a bank reference. */
  pay?: (payout: PayoutMessage) => Promise<PaymentResult>;
  log?: (line: string) => void;
  /**
   * A file that keeps every instruction taken, before it is acknowledged, and each step after it:
   * after a crash the receiver neither loses an instruction nor pays one twice (see `resume`).
   */
  journalPath?: string;
  /**
   * The stand-in bank's accounts (./lib/stand-in-bank.ts), for answering `account.verification_requested`:
   * without it, verification requests are journaled and left unanswered.
   */
  bankAccountsPath?: string;
}

/** What the journal records: an instruction taken, its payment, its settlement reported. */
export type JournalRecord =
  | { kind: 'received'; messageId: string; payout: PayoutMessage; at: string }
  | { kind: 'paid'; payoutId: string; result: PaymentResult; at: string }
  | { kind: 'settled'; payoutId: string; at: string }
  | { kind: 'verification'; messageId: string; request: VerificationRequest; at: string }
  | { kind: 'verified'; verificationId: string; at: string };

/** `account.verification_requested`'s data: one account for the bank's name-and-account check. */
export interface VerificationRequest {
  verificationId: string;
  fundId: string;
  bankName: string;
  accountName: string;
  accountNumber: string;
}

function asVerificationRequest(data: unknown): VerificationRequest | undefined {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const fields = ['verificationId', 'fundId', 'bankName', 'accountName', 'accountNumber'] as const;
  if (!fields.every((f) => typeof d[f] === 'string')) return undefined;
  if (!/^ver_[0-9A-Z]{26}$/.test(d.verificationId as string)) return undefined;
  return Object.fromEntries(fields.map((f) => [f, d[f]])) as unknown as VerificationRequest;
}

export interface FinanceReceiver {
  /** The node:http request listener. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Message ids taken so far (a real system keeps these in its database). */
  seen: ReadonlySet<string>;
  /** Settlements reported to the API: payoutId → the payment result. */
  settled: ReadonlyMap<string, PaymentResult>;
  /** Verifications answered to the API: verificationId → the answer. */
  verified: ReadonlyMap<string, BankCheck>;
  /** Resolves when no payment or report is in progress. */
  idle(): Promise<void>;
  /** Finishes what the journal holds unfinished: received but not paid → pay; paid but not reported → report. */
  resume(): Promise<void>;
}

async function defaultPay(): Promise<PaymentResult> {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return { outcome: 'succeeded', bankReference: `FIN-${day}-${randomBytes(5).toString('hex').toUpperCase()}` };
}

/**
 * The stand-in bank: a transfer is keyed by the payout id (as a real bank's end-to-end reference),
 * so asking again for a transfer it already made returns that transfer instead of paying twice. Its
 * own journal is the bank's statement: one line per transfer actually made.
 */
export function journaledBank(path: string): (payout: PayoutMessage) => Promise<PaymentResult> {
  const made = new Map<string, PaymentResult>();
  for (const r of Journal.read<{ payoutId: string; result: PaymentResult }>(path)) made.set(r.payoutId, r.result);
  const statement = new Journal<{ payoutId: string; amount: number; result: PaymentResult; at: string }>(path);
  return async (payout) => {
    const earlier = made.get(payout.payoutId);
    if (earlier) return earlier;
    const result = await defaultPay();
    statement.append({ payoutId: payout.payoutId, amount: payout.amount, result, at: new Date().toISOString() });
    made.set(payout.payoutId, result);
    return result;
  };
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Verifies with each secret in turn; the parsed message, or undefined when none matches. */
export function verifyWebhook(secrets: readonly string[], body: string, headers: Record<string, string>): WebhookMessage | undefined {
  for (const secret of secrets) {
    try {
      return new Webhook(secret).verify(body, headers) as WebhookMessage;
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
    }
  }
  return undefined;
}

export function createFinanceReceiver(options: FinanceReceiverOptions): FinanceReceiver {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const pay = options.pay ?? defaultPay;
  const seen = new Set<string>();
  const settled = new Map<string, PaymentResult>();
  const inFlight = new Set<Promise<void>>();
  const journal = options.journalPath ? new Journal<JournalRecord>(options.journalPath) : undefined;
  const record = (r: JournalRecord) => journal?.append(r);
  // What an earlier run took, paid and reported: replayed so that a restart carries on where it stopped.
  const taken = new Map<string, PayoutMessage>();
  const paid = new Map<string, PaymentResult>();
  const reported = new Set<string>();
  const asked = new Map<string, VerificationRequest>();
  const answeredIds = new Set<string>();
  const verified = new Map<string, BankCheck>();
  for (const r of options.journalPath ? Journal.read<JournalRecord>(options.journalPath) : []) {
    if (r.kind === 'received') {
      seen.add(r.messageId);
      taken.set(r.payout.payoutId, r.payout);
    } else if (r.kind === 'paid') paid.set(r.payoutId, r.result);
    else if (r.kind === 'settled') reported.add(r.payoutId);
    else if (r.kind === 'verification') {
      seen.add(r.messageId);
      asked.set(r.request.verificationId, r.request);
    } else answeredIds.add(r.verificationId);
  }

  const token = async () => (typeof options.token === 'string' ? options.token : options.token());

  async function reportSettlement(payoutId: string, result: PaymentResult): Promise<void> {
    const body =
      result.outcome === 'succeeded'
        ? { outcome: 'succeeded', bankReference: result.bankReference }
        : { outcome: 'failed', failureReason: result.failureReason };
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      try {
        const response = await fetch(`${options.apiUrl.replace(/\/$/, '')}/v1/payouts/${encodeURIComponent(payoutId)}/settlement`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await token()}`,
            'content-type': 'application/json',
            // The same report retried is applied once.
            'idempotency-key': `settlement-${payoutId}`,
          },
          body: JSON.stringify(body),
        });
        status = response.status;
        await response.body?.cancel();
        if (response.ok) {
          settled.set(payoutId, result);
          record({ kind: 'settled', payoutId, at: new Date().toISOString() });
          reported.add(payoutId);
          log(`settlement reported payout=${payoutId} outcome=${result.outcome}`);
          return;
        }
      } catch {
        status = 0;
      }
      // 4xx other than 409-in-flight/429 will not get better by retrying: a person must look.
      const retryable = status === 0 || status === 409 || status === 429 || status >= 500;
      if (!retryable || attempt >= SETTLEMENT_TRIES) {
        log(`settlement NOT reported payout=${payoutId} status=${status}: reconcile by hand`);
        return;
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }

  /** The stand-in bank's check, answered with `POST /v1/account-verifications/{id}` (retried like a settlement). */
  async function handleVerification(request: VerificationRequest): Promise<void> {
    if (!options.bankAccountsPath) {
      log(`verification=${request.verificationId} not answered: no stand-in bank accounts file`);
      return;
    }
    const check = checkAccount(readBankAccounts(options.bankAccountsPath), request);
    const url = `${options.apiUrl.replace(/\/$/, '')}/v1/account-verifications/${encodeURIComponent(request.verificationId)}`;
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await token()}`,
            'content-type': 'application/json',
            'idempotency-key': `verification-${request.verificationId}`,
          },
          body: JSON.stringify(check),
        });
        status = response.status;
        await response.body?.cancel();
        // 409: the verification was answered otherwise before (by a person, say): nothing more to do here.
        if (response.ok || status === 409) {
          record({ kind: 'verified', verificationId: request.verificationId, at: new Date().toISOString() });
          answeredIds.add(request.verificationId);
          verified.set(request.verificationId, check);
          log(`verification answered verification=${request.verificationId} result=${check.result} status=${status}`);
          return;
        }
      } catch {
        status = 0;
      }
      const retryable = status === 0 || status === 429 || status >= 500;
      if (!retryable || attempt >= SETTLEMENT_TRIES) {
        log(`verification NOT answered verification=${request.verificationId} status=${status}: answer by hand`);
        return;
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }

  async function handlePayout(payout: PayoutMessage): Promise<void> {
    log(
      `paying payout=${payout.payoutId} ${yuan(payout.amount)} ${payout.currency} to ${maskName(payout.beneficiary.name)} ` +
        `${payout.beneficiary.account.bankName} ${maskAccountNumber(payout.beneficiary.account.accountNumber)}`,
    );
    // Paid before (a restart after the bank call): report that payment, never pay again.
    let result = paid.get(payout.payoutId);
    if (!result) {
      result = await pay(payout);
      record({ kind: 'paid', payoutId: payout.payoutId, result, at: new Date().toISOString() });
      paid.set(payout.payoutId, result);
    }
    await reportSettlement(payout.payoutId, result);
  }

  function track(work: Promise<void>, what: string): void {
    const tracked = work
      .catch((error: Error) => log(`payout handling failed ${what}: ${error.name}`))
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    // What the request was at when it failed, for the log (the error's message could quote the body).
    let step = 'reading the body';
    void (async () => {
      if (req.method !== 'POST') return reply(res, 405, { error: 'method not allowed' });
      const body = await readBody(req);
      if (body === undefined) return reply(res, 413, { error: 'body too large' });
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      step = 'verifying the signature';
      const message = verifyWebhook(options.secrets, body, headers);
      if (!message) return reply(res, 401, { error: 'invalid signature' });
      const messageId = headers['webhook-id']!;
      if (seen.has(messageId)) return reply(res, 200, { duplicate: true });
      let payout: PayoutMessage | undefined;
      if (message.type === 'account.verification_requested') {
        const request = asVerificationRequest(message.data);
        if (!request) return reply(res, 422, { error: 'not a verification request' });
        // Journaled before the acknowledgement, as an instruction is: a crash cannot lose the request.
        step = 'writing the journal';
        record({ kind: 'verification', messageId, request, at: new Date().toISOString() });
        asked.set(request.verificationId, request);
        seen.add(messageId);
        step = 'answering';
        reply(res, 202, { accepted: true });
        track(handleVerification(request), `verification=${request.verificationId}`);
        return;
      }
      if (message.type === 'payout.requested') {
        // A signature proves only that someone holding the secret signed it: pay only what the API confirms.
        step = 'confirming the instruction with the API';
        const check = await confirmInstruction(options.apiUrl, await token(), message.data);
        const named = (message.data as { payoutId?: unknown } | null)?.payoutId;
        const payoutId = typeof named === 'string' ? named.slice(0, 40) : 'none';
        if (check.verdict === 'refused') {
          log(`REFUSED instruction message=${messageId} payout=${payoutId}: ${check.reason}; not paid`);
          return reply(res, 422, { error: 'instruction refused: it is not the payout the API holds' });
        }
        if (check.verdict === 'unavailable') {
          log(`instruction NOT taken message=${messageId} payout=${payoutId}: ${check.reason}; answered 503, the sender retries`);
          return reply(res, 503, { error: 'cannot confirm the instruction now' });
        }
        payout = check.payout;
      }
      // On disk before the acknowledgement: once the sender hears 2xx, a crash cannot lose the instruction.
      step = 'writing the journal';
      if (payout) {
        record({ kind: 'received', messageId, payout, at: new Date().toISOString() });
        taken.set(payout.payoutId, payout);
      }
      seen.add(messageId);
      // Acknowledge first; the sender must not wait for the bank.
      step = 'answering';
      reply(res, 202, { accepted: true });
      if (payout) {
        track(handlePayout(payout), `message=${messageId}`);
      } else {
        log(`event ${message.type} message=${messageId}`);
      }
    })().catch((error: unknown) => {
      const answering = !res.headersSent;
      // The error's name and system code only: its message may quote the body (a JSON parse error does), which
      // holds the beneficiary's name and account number; a secret never reaches it.
      const { name = 'Error', code } = (error ?? {}) as { name?: string; code?: string };
      const id = typeof req.headers['webhook-id'] === 'string' ? req.headers['webhook-id'].slice(0, 100) : 'none';
      log(
        `webhook request failed message=${id} while ${step}: ${name}${code ? ` ${code}` : ''}; ${answering ? 'answered 500, the sender retries' : 'already answered'}`,
      );
      if (answering) reply(res, 500, { error: 'internal error' });
    });
  };

  return {
    listener,
    seen,
    settled,
    verified,
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async resume() {
      for (const [payoutId, payout] of taken) {
        if (!reported.has(payoutId)) track(handlePayout(payout), `payout=${payoutId} (resumed)`);
      }
      for (const [verificationId, request] of asked) {
        if (!answeredIds.has(verificationId)) track(handleVerification(request), `verification=${verificationId} (resumed)`);
      }
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

export async function startFinanceReceiver(
  options: FinanceReceiverOptions & { port?: number; host?: string },
): Promise<FinanceReceiver & { url: string; server: Server; stop(): Promise<void> }> {
  const receiver = createFinanceReceiver(options);
  const server = createServer(receiver.listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    ...receiver,
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    async stop() {
      await receiver.idle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A statement line as `POST /v1/reconciliations` takes it. */
export interface StatementLine {
  bankReference: string;
  amount: number;
  currency: 'CNY';
  valueDate: string;
  payoutId: string;
}

export interface Reconciliation {
  reconciliationId: string;
  statementDate: string;
  matched: { line: number; payoutId: string }[];
  unmatchedLines: { line: number; bankReference: string; amount: number }[];
  unmatchedPayouts: { payoutId: string; bankReference: string; amount: number }[];
  amountMismatches: { line: number; payoutId: string; statementAmount: number; payoutAmount: number }[];
}

/**
 * The day's statement as the journal tells it: every payment that succeeded on `date` (UTC, by when it was
 * paid), in the order paid, with the amount of the instruction it paid and the payout id the bank keyed it by.
 */
export function journalStatement(records: readonly JournalRecord[], date: string): StatementLine[] {
  const { from, to } = statementDay(date);
  const amounts = new Map<string, number>();
  for (const r of records) if (r.kind === 'received') amounts.set(r.payout.payoutId, r.payout.amount);
  const lines: StatementLine[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    if (r.kind !== 'paid' || r.result.outcome !== 'succeeded' || r.at < from || r.at >= to || seen.has(r.payoutId)) continue;
    const amount = amounts.get(r.payoutId);
    // A payment without its instruction in this journal (another journal's): nothing to say what it paid.
    if (amount === undefined) continue;
    seen.add(r.payoutId);
    lines.push({ bankReference: r.result.bankReference, amount, currency: 'CNY', valueDate: date, payoutId: r.payoutId });
  }
  return lines;
}

export function hasDifferences(r: Reconciliation): boolean {
  return r.unmatchedLines.length + r.unmatchedPayouts.length + r.amountMismatches.length > 0;
}

/** The counts, then one row per difference (matched lines are counted, not listed). */
export function formatReconciliation(r: Reconciliation): string {
  const counts = formatTable(
    [{ header: `reconciliation ${r.reconciliationId} of ${r.statementDate}` }, { header: 'count', align: 'right' }],
    [
      ['matched', String(r.matched.length)],
      ['amount mismatches', String(r.amountMismatches.length)],
      ['unmatched lines (paid, no settled payout)', String(r.unmatchedLines.length)],
      ['unmatched payouts (settled, not on the statement)', String(r.unmatchedPayouts.length)],
    ],
  );
  if (!hasDifferences(r))
    return `${counts}

no differences
`;
  const rows = [
    ...r.amountMismatches.map((m) => ['amount mismatch', String(m.line), m.payoutId, '', yuan(m.statementAmount), yuan(m.payoutAmount)]),
    ...r.unmatchedLines.map((l) => ['unmatched line', String(l.line), '', l.bankReference, yuan(l.amount), '']),
    ...r.unmatchedPayouts.map((p) => ['unmatched payout', '', p.payoutId, p.bankReference, '', yuan(p.amount)]),
  ];
  const differences = formatTable(
    [
      { header: 'difference' },
      { header: 'line', align: 'right' },
      { header: 'payout' },
      { header: 'bank reference' },
      { header: 'statement (yuan)', align: 'right' },
      { header: 'payout (yuan)', align: 'right' },
    ],
    rows,
  );
  return `${counts}

${differences}
`;
}

/** A problem+json reply as `code detail`, or the text as it came (cut) when it is not one. */
function problemDetail(text: string): string {
  try {
    const problem = JSON.parse(text) as { code?: string; detail?: string };
    return `${problem.code ?? ''} ${problem.detail ?? ''}`.trim();
  } catch {
    return text.slice(0, 300);
  }
}

/** A payout the API settled succeeded, as far as a report of it needs. */
export interface SettledPayout {
  payoutId: string;
  bankReference: string;
  amount: number;
}

/**
 * Every payout of the caller's funds that the API settled succeeded on `date` (UTC): `GET /v1/payouts` with the
 * day as the settled range (both ends inclusive), 100 a page, following `nextCursor` to the end.
 */
export async function listSettledPayouts(apiUrl: string, token: string, date: string): Promise<SettledPayout[]> {
  const { from, to } = statementDay(date);
  const lastInstant = new Date(Date.parse(to) - 1).toISOString();
  const payouts: SettledPayout[] = [];
  const cursors = new Set<string>();
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ status: 'settled', settledFrom: from, settledTo: lastInstant, limit: '100' });
    if (cursor !== null) query.set('cursor', cursor);
    let response: Response;
    try {
      response = await fetch(`${apiUrl.replace(/\/$/, '')}/v1/payouts?${query}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      });
    } catch (error) {
      throw new Error(unreachable(apiUrl, error) ?? `cannot list the day's payouts: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status !== 200)
      throw new Error(`the API refused to list the payouts settled on ${date}: ${response.status} ${problemDetail(text)}`);
    const page = JSON.parse(text) as { items: SettledPayout[]; nextCursor: string | null };
    for (const p of page.items) payouts.push({ payoutId: p.payoutId, bankReference: p.bankReference, amount: p.amount });
    cursor = page.nextCursor;
    // A cursor answered twice would page forever.
    if (cursor !== null && cursors.has(cursor))
      throw new Error(`the API answered the cursor ${cursor} twice while listing the payouts settled on ${date}`);
    if (cursor !== null) cursors.add(cursor);
  } while (cursor !== null);
  return payouts;
}

/** The payouts the API settled on a day the journal holds no payment on: the count, then one row each. */
export function formatNotInJournal(date: string, journalPath: string, payouts: readonly SettledPayout[]): string {
  const counts = formatTable(
    [{ header: `payouts settled on ${date}` }, { header: 'count', align: 'right' }],
    [['settled here, not in the journal', String(payouts.length)]],
  );
  const rows = payouts.map((p) => ['settled here, not in the journal', p.payoutId, p.bankReference, yuan(p.amount)]);
  const differences = formatTable(
    [{ header: 'difference' }, { header: 'payout' }, { header: 'bank reference' }, { header: 'payout (yuan)', align: 'right' }],
    rows,
  );
  return `the journal ${journalPath} holds no succeeded payment on ${date}

${counts}

${differences}
`;
}

/** Posts the day's statement; the reconciliation, or a message for what went wrong. */
export async function postReconciliation(
  apiUrl: string,
  token: string,
  date: string,
  lines: readonly StatementLine[],
): Promise<Reconciliation> {
  const body = JSON.stringify({ statementDate: date, lines });
  const url = `${apiUrl.replace(/\/$/, '')}/v1/reconciliations`;
  // The same statement posted again is the same reconciliation.
  const key = `reconcile-${date}-${createHash('sha256').update(body).digest('hex').slice(0, 32)}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
      body,
    });
  } catch (error) {
    throw new Error(unreachable(apiUrl, error) ?? `cannot post the statement: ${(error as Error).message}`);
  }
  const text = await response.text();
  if (response.status !== 201) throw new Error(`the API refused the statement: ${response.status} ${problemDetail(text)}`);
  return JSON.parse(text) as Reconciliation;
}

async function reconcileMode(date: string, apiUrl: string, token: string, journalPath: string): Promise<never> {
  const lines = journalStatement(Journal.read<JournalRecord>(journalPath), date);
  if (lines.length === 0) {
    // The API takes 1..10,000 lines; with none, what can still differ is a payout the API settled that day that
    // this receiver never paid: each one is a difference.
    const settled = await listSettledPayouts(apiUrl, token, date).catch((error: Error) => fail(error.message));
    if (settled.length === 0) {
      process.stdout.write(
        `the journal ${journalPath} holds no succeeded payment on ${date}, and the API settled none that day: nothing to reconcile\n`,
      );
      process.exit(EXIT_OK);
    }
    process.stdout.write(formatNotInJournal(date, journalPath, settled));
    process.exit(EXIT_FAILED);
  }
  const reconciliation = await postReconciliation(apiUrl, token, date, lines).catch((error: Error) => fail(error.message));
  process.stdout.write(formatReconciliation(reconciliation));
  process.exit(hasDifferences(reconciliation) ? EXIT_FAILED : EXIT_OK);
}

/** A secret from a file (first line, trimmed): a file's mode protects it, a command line does not. */
function fromFile(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8').split('\n')[0]!.trim() || usage(`${what} file ${path} is empty`);
  } catch (error) {
    return usage(`cannot read the ${what} file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

function isCalendarDate(date: string): boolean {
  try {
    statementDay(date);
    return /^\d{4}-\d{2}-\d{2}$/.test(date);
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const { values } = parseCommandLine({
    name: 'finance-receiver',
    usage:
      'WEBHOOK_SECRET=whsec_… FINANCE_TOKEN=… npm run finance-receiver -- [--port 4000] [--host 127.0.0.1] [--api-url URL] [--journal FILE] [--bank-accounts FILE]\n' +
      'FINANCE_TOKEN=… npm run finance-receiver -- --reconcile YYYY-MM-DD [--api-url URL] [--journal FILE]',
    details: `Secrets never go on the command line (every user of the machine can read it):
WEBHOOK_SECRET      the endpoint signing secret(s), space- or comma-separated during a rotation
                    (or --secret-file FILE, one secret per line)
FINANCE_TOKEN       a finance-system token for the settlement call (or --token-file FILE)
--port              where to listen (else FINANCE_RECEIVER_PORT, else 4000); webhooks arrive at /webhooks
--api-url           the relief-fund API (else API_URL, else http://localhost:3000)
--journal           where instructions are kept before they are acknowledged (else
                    FINANCE_RECEIVER_JOURNAL, else $DATA_DIR/finance-receiver/journal.jsonl); the stand-in
                    bank's statement is bank.jsonl beside it. On start, unfinished work there is finished.
--bank-accounts     the stand-in bank's accounts, one JSON line each {"bankName","accountNumber","holderName"}
                    (else FINANCE_RECEIVER_BANK_ACCOUNTS, else bank-accounts.jsonl beside the journal): the
                    receiver answers account.verification_requested from it (match, close_match, no_match).
--reconcile DATE    instead of listening: post the payments the journal says succeeded on DATE (UTC) to
                    POST /v1/reconciliations and print the differences; exit 0 none, 1 differences or failed.
                    When the journal holds none that day, the payouts the API settled that day are listed
                    instead (GET /v1/payouts, every page): each is "settled here, not in the journal" (exit 1);
                    none at all is exit 0`,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'secret-file': { type: 'string' },
      'token-file': { type: 'string' },
      'api-url': { type: 'string' },
      journal: { type: 'string' },
      'bank-accounts': { type: 'string' },
      reconcile: { type: 'string' },
    },
  });
  const secretText = values['secret-file'] !== undefined ? readFileSync(values['secret-file'], 'utf8') : process.env.WEBHOOK_SECRET;
  const secrets = (secretText ?? '').split(/[\s,]+/).filter(Boolean);
  const apiUrl = values['api-url'] ?? process.env.API_URL ?? 'http://localhost:3000';
  const token = fromFile(values['token-file'], 'token') ?? process.env.FINANCE_TOKEN;
  const journalPath =
    values.journal ?? process.env.FINANCE_RECEIVER_JOURNAL ?? join(process.env.DATA_DIR ?? '.data', 'finance-receiver', 'journal.jsonl');
  if (values.reconcile !== undefined) {
    const date = values.reconcile;
    if (!isCalendarDate(date)) usage(`--reconcile takes a date YYYY-MM-DD, not "${date}"`);
    if (!token) usage('FINANCE_TOKEN (or --token-file) is required');
    return reconcileMode(date, apiUrl, token, journalPath);
  }
  const port = Number(values.port ?? process.env.FINANCE_RECEIVER_PORT ?? 4000);
  if (secrets.length === 0 || !token) usage('WEBHOOK_SECRET (or --secret-file) and FINANCE_TOKEN (or --token-file) are required');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) usage('--port must be a port number');
  const pay = journaledBank(join(dirname(journalPath), 'bank.jsonl'));
  const bankAccountsPath =
    values['bank-accounts'] ?? process.env.FINANCE_RECEIVER_BANK_ACCOUNTS ?? join(dirname(journalPath), 'bank-accounts.jsonl');
  const host = values.host ?? '127.0.0.1';
  const receiver = await startFinanceReceiver({ secrets, apiUrl, token, port, host, journalPath, pay, bankAccountsPath }).catch(
    (error: NodeJS.ErrnoException) =>
      fail(error.code === 'EADDRINUSE' ? `port ${port} is already in use` : `cannot listen on port ${port}: ${error.message}`),
  );
  process.stdout.write(`finance receiver listening on ${receiver.url}/webhooks, settling through ${apiUrl}, journal ${journalPath}\n`);
  void receiver.resume();
  // A stop that fails (say, closing the server) is a message and exit 1, never an unhandled rejection's stack trace.
  const shutdown = () =>
    void receiver.stop().then(
      () => process.exit(EXIT_OK),
      (error: Error) => fail(`could not stop cleanly: ${error.name}${error.message ? ` ${error.message}` : ''}`),
    );
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
