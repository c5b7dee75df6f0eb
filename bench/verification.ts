/**
 * Account verification (issue 23): a batch of `items` rows, every row a distinct account, created in a fund with
 * `accountVerification: required`, timed from the creation until every row is verified (a stand-in finance system
 * polls `GET /v1/account-verifications?status=pending` and answers `match`, 16 at a time) and the batch is
 * approvable; as a ratio to the same batch created in a fund that does not verify (approvable at once). Read and
 * write units per row are the store's own figures for everything the API did, creation and answers together.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Meter } from './meter.ts';
import type { StepProgress } from '../scripts/lib/progress.ts';
import { benchSetup, beneficiary, expectStatus, roles, type Phase } from './stack.ts';
import { ratio } from './stats.ts';

export interface VerificationResult {
  items: number;
  offSeconds: number;
  requiredSeconds: number;
  /** requiredSeconds / offSeconds: the goal is under 2. */
  timeRatio: number | undefined;
  readUnitsPerRow: number;
  writeUnitsPerRow: number;
  offReadUnitsPerRow: number;
  offWriteUnitsPerRow: number;
}

const ANSWERERS = 16;

export async function benchVerification(
  phase: Phase,
  meter: Meter,
  show: StepProgress,
  options: { items: number; timeoutSeconds: number },
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
  const deadline = started + options.timeoutSeconds * 1000;
  for (;;) {
    const page = expectStatus(
      await phase.api('GET', `/v1/account-verifications?fundId=${onFund}&status=pending&limit=100`, { token: finance }),
      200,
      'pending verifications',
    );
    const pending = page.body.items as { verificationId: string }[];
    for (let i = 0; i < pending.length; i += ANSWERERS) {
      await Promise.all(
        pending
          .slice(i, i + ANSWERERS)
          .map(async (v) =>
            expectStatus(
              await phase.api('POST', `/v1/account-verifications/${v.verificationId}`, { token: finance, body: { result: 'match' } }),
              200,
              'answer',
            ),
          ),
      );
    }
    const head = expectStatus(
      await phase.api('GET', `/v1/disbursement-batches/${batch.body.batchId}`, { token: tokens.approver }),
      200,
      'batch',
    );
    show.update(`verification: ${head.body.verifications.pending} of ${options.items} rows pending`);
    if (head.body.verifications.pending === 0) break;
    if (performance.now() > deadline) throw new Error(`rows still pending after ${options.timeoutSeconds} s`);
    if (pending.length === 0) await sleep(100);
  }
  const requiredMs = performance.now() - started;
  const on = meter.stop();
  const perRow = (units: number) => Math.round((units / options.items) * 100) / 100;
  return {
    items: options.items,
    offSeconds: offMs / 1000,
    requiredSeconds: requiredMs / 1000,
    timeRatio: ratio(requiredMs, offMs),
    readUnitsPerRow: perRow(on.readUnits),
    writeUnitsPerRow: perRow(on.writeUnits),
    offReadUnitsPerRow: perRow(off.readUnits),
    offWriteUnitsPerRow: perRow(off.writeUnits),
  };
}
