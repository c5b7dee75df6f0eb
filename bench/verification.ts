/**
 * Account verification (issue 23): a batch of `items` rows, every row a distinct account, created in a fund with
 * `accountVerification: required` and every warning rule on, timed from the creation until every row is verified
 * (the request job runs after the batch commits; a stand-in finance system polls `GET
 * /v1/account-verifications?status=pending` and answers `match` with 16 answers in flight, as a finance system with
 * bounded parallelism does) and the batch is approvable; as a
 * ratio to the same batch created in a fund that does not verify and screens duplicates only (approvable at once).
 * Read and write units per row are the store's own figures for everything done in that time (creation, the
 * request job, answers, polls); `createSeconds` is the creation request alone (API Gateway gives up at 29 s), and
 * `requestedSeconds`, `answeredSeconds` the instants the request job finished and the last answer returned.
 *
 * The floor (`floorSeconds`, `floorRatio`): the contract makes one `POST /v1/account-verifications/{id}` per account
 * (API.md "Account verification"), so the same number of answers that do the least any answer does (authenticate,
 * read the verification, find none: 404, nothing written), with the same answers in flight, through the same
 * runtime. `(offSeconds + floorSeconds) / offSeconds` is the least ratio any design reaches on this machine, with a
 * creation as fast as one that does not verify and answers that cost nothing beyond arriving.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { newId } from '#shared/ids';
import type { Meter, MeterTotals } from './meter.ts';
import type { StepProgress } from '../scripts/lib/progress.ts';
import { benchSetup, beneficiary, expectStatus, roles, type Phase } from './stack.ts';
import { ratio } from './stats.ts';

export interface VerificationResult {
  items: number;
  offSeconds: number;
  requiredSeconds: number;
  /** The creation request of the verifying batch alone. */
  createSeconds: number;
  /** From the creation until the request job had made every row's verification (its head left `requesting`). */
  requestedSeconds: number | undefined;
  /** From the creation until the last answer returned (the rest, until approvable, is reading the batch). */
  answeredSeconds?: number | undefined;
  /** requiredSeconds / offSeconds: the goal is under 2. */
  timeRatio: number | undefined;
  /** `items` answers for a verification that does not exist (404, nothing written), ANSWERERS in flight. */
  floorSeconds?: number;
  /** (offSeconds + floorSeconds) / offSeconds: the least time ratio reachable here with one answer per account. */
  floorRatio?: number | undefined;
  readUnitsPerRow: number;
  writeUnitsPerRow: number;
  offReadUnitsPerRow: number;
  offWriteUnitsPerRow: number;
  /**
   * Where the verifying run's work went, by invocation (route or queue): invocations, the sum of their durations
   * (concurrent ones overlap: a share of the work, not wall time) and their units per row; biggest first.
   */
  phases?: VerificationPhase[];
}

export interface VerificationPhase {
  invocation: string;
  calls: number;
  seconds: number;
  readUnitsPerRow: number;
  writeUnitsPerRow: number;
  /** Charged failed attempts (conditions that did not hold, cancelled or conflicting transactions). */
  failedAttempts: number;
}

/** The meter's totals by invocation, with the units of the SDK calls each made. */
function phasesOf(totals: MeterTotals, rows: number): VerificationPhase[] {
  const perRow = (units: number) => Math.round((units / rows) * 100) / 100;
  const operations = Object.entries(totals.byOperation);
  return Object.entries(totals.byInvocation)
    .map(([invocation, spent]) => {
      const own = operations.filter(([key]) => key.startsWith(`${invocation} `)).map(([, tally]) => tally);
      return {
        invocation,
        calls: spent.calls,
        seconds: Math.round(spent.ms / 100) / 10,
        readUnitsPerRow: perRow(own.reduce((sum, t) => sum + t.readUnits, 0)),
        writeUnitsPerRow: perRow(own.reduce((sum, t) => sum + t.writeUnits, 0)),
        failedAttempts: own.reduce((sum, t) => sum + t.failedAttempts, 0),
      };
    })
    .sort((a, b) => b.seconds - a.seconds);
}

const ANSWERERS = 16;

export async function benchVerification(
  phase: Phase,
  meter: Meter,
  show: StepProgress,
  options: { items: number; timeoutSeconds: number; dynamoEndpoint: string },
): Promise<VerificationResult> {
  const { tokens, fundId: offFund, countyCode } = await benchSetup(phase);
  const finance = await phase.token(roles.finance.roles, roles.finance.sub);
  const fund = expectStatus(
    await phase.api('POST', '/v1/funds', {
      token: tokens.admin,
      idempotencyKey: randomUUID(),
      body: {
        name: 'Bench verifying fund',
        currency: 'CNY',
        totalBudget: 1_000_000_000_000,
        financeSystem: roles.finance.sub,
        accountVerification: 'required',
      },
    }),
    201,
    'verifying fund',
  );
  const onFund = fund.body.fundId as string;
  // Every rule on; those beyond duplicate screening shown, not blocking (the rows are distinct and meant to pass).
  expectStatus(
    await phase.api('PUT', `/v1/funds/${onFund}/warning-rules`, {
      token: tokens.admin,
      body: {
        rules: [
          { code: 'duplicate_beneficiary', severity: 'high', params: {} },
          { code: 'large_amount', severity: 'medium', params: { minAmount: 100_000_000 } },
          { code: 'repeat_payee', severity: 'medium', params: { count: 3, days: 30 } },
          { code: 'shared_account', severity: 'medium', params: {} },
          { code: 'blocked_account', severity: 'high', params: {} },
        ],
      },
    }),
    200,
    'warning rules',
  );
  expectStatus(
    await phase.api('PUT', `/v1/funds/${onFund}/allocations/${countyCode}`, { token: tokens.admin, body: { amount: 1_000_000_000_000 } }),
    200,
    'allocation',
  );
  const items = Array.from({ length: options.items }, (_, n) => ({ beneficiary: beneficiary(n), amount: 10_000 }));
  const create = async (fundId: string) =>
    expectStatus(
      await phase.api('POST', '/v1/disbursement-batches', {
        token: tokens.requester,
        idempotencyKey: randomUUID(),
        body: { fundId, countyCode, purpose: 'produce-subsidy', items },
      }),
      201,
      'batch',
    );

  show.update(`verification: a batch of ${options.items} in a fund that does not verify`);
  meter.start({ capacity: true });
  let started = performance.now();
  await create(offFund);
  const offMs = performance.now() - started;
  const off = meter.stop();

  show.update(`verification: a batch of ${options.items} in a fund that verifies every account`);
  meter.start({ capacity: true });
  started = performance.now();
  const batch = await create(onFund);
  const createMs = performance.now() - started;
  const batchId = batch.body.batchId as string;
  const deadline = started + options.timeoutSeconds * 1000;
  const since = () => performance.now() - started;
  // The instant the request job had made every row's verification: its head leaves `requesting` (read raw, unmetered).
  const raw = new DynamoDBClient({ region: localRegion(), credentials: LOCAL_CREDENTIALS, endpoint: options.dynamoEndpoint });
  let requestedMs: number | undefined;
  let watching = true;
  const watcher = (async () => {
    const key = { pk: { S: `BAT#${batchId}` }, sk: { S: 'BAT' } };
    while (watching && requestedMs === undefined) {
      const { Item } = await raw.send(new GetItemCommand({ TableName: phase.tableName, Key: key, ConsistentRead: true }));
      if (Item?.verifying?.S === 'requested') requestedMs = since();
      else await sleep(100);
    }
  })();
  // The stand-in finance system: polls the pending list and keeps ANSWERERS answers in flight (no waves).
  const asked = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  let answeredMs: number | undefined;
  let failure: Error | undefined;
  const answerOne = (verificationId: string) => {
    const done: Promise<void> = (async () => {
      expectStatus(
        await phase.api('POST', `/v1/account-verifications/${verificationId}`, { token: finance, body: { result: 'match' } }),
        200,
        'answer',
      );
    })()
      .catch((error: unknown) => {
        failure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  const failed = () => {
    if (failure) throw failure;
  };
  try {
    for (;;) {
      failed();
      if (performance.now() > deadline) throw new Error(`rows still pending after ${options.timeoutSeconds} s`);
      if (asked.size < options.items) {
        const page = expectStatus(
          await phase.api('GET', `/v1/account-verifications?fundId=${onFund}&status=pending&limit=100`, { token: finance }),
          200,
          'pending verifications',
        );
        const fresh = (page.body.items as { verificationId: string }[]).map((v) => v.verificationId).filter((id) => !asked.has(id));
        for (const id of fresh) {
          while (inFlight.size >= ANSWERERS) await Promise.race(inFlight);
          asked.add(id);
          answerOne(id);
        }
        show.update(`verification: ${asked.size} of ${options.items} rows answered or in flight`);
        if (fresh.length === 0) await sleep(100);
        continue;
      }
      await Promise.all(inFlight);
      failed();
      answeredMs ??= since();
      const head = expectStatus(await phase.api('GET', `/v1/disbursement-batches/${batchId}`, { token: tokens.approver }), 200, 'batch');
      // Approvable: every row answered (requested first) and nothing blocking.
      if (head.body.verifications.pending === 0) {
        if (head.body.flags.count !== 0) throw new Error(`the batch has ${head.body.flags.count} flags; its rows are distinct`);
        break;
      }
      await sleep(100);
    }
  } finally {
    watching = false;
    await watcher;
    raw.destroy();
  }
  const requiredMs = since();
  const on = meter.stop();
  show.update(`verification: the floor, ${options.items} answers that find no verification`);
  const floorMs = await answersThatFindNothing(phase, finance, options.items);
  const perRow = (units: number) => Math.round((units / options.items) * 100) / 100;
  return {
    items: options.items,
    offSeconds: offMs / 1000,
    requiredSeconds: requiredMs / 1000,
    createSeconds: createMs / 1000,
    requestedSeconds: requestedMs === undefined ? undefined : requestedMs / 1000,
    answeredSeconds: answeredMs === undefined ? undefined : answeredMs / 1000,
    timeRatio: ratio(requiredMs, offMs),
    floorSeconds: floorMs / 1000,
    floorRatio: ratio(offMs + floorMs, offMs),
    readUnitsPerRow: perRow(on.readUnits),
    writeUnitsPerRow: perRow(on.writeUnits),
    offReadUnitsPerRow: perRow(off.readUnits),
    offWriteUnitsPerRow: perRow(off.writeUnits),
    phases: phasesOf(on, options.items),
  };
}

/**
 * The least an answer does: `n` answers to a verification id nobody issued (404 after one read, nothing written),
 * ANSWERERS in flight as the stand-in finance system keeps them; the milliseconds they took.
 */
async function answersThatFindNothing(phase: Phase, finance: string, n: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const answerer = async () => {
    while (next < n) {
      next++;
      expectStatus(
        await phase.api('POST', `/v1/account-verifications/${newId('verification')}`, {
          token: finance,
          body: { result: 'match' },
        }),
        404,
        'an answer to no verification',
      );
    }
  };
  await Promise.all(Array.from({ length: ANSWERERS }, answerer));
  return performance.now() - started;
}
