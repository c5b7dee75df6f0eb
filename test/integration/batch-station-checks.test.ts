/**
 * A batch's final approval pays its stations only if every one of them is still active when the approval
 * commits, however many stations it names (a transaction holds at most 100 items, so more than ~96 cannot
 * each get their own check). A station officer suspends one of the batch's stations between the approval
 * reading the stations and committing: the approval answers 409 and reserves nothing.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BatchGetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { newId } from '#shared/ids';
import { asApprover, batchBody, useBatchHarness, batchRow, COUNTY } from './batch-harness.ts';
import { activeStation as onboardedStation } from '../support/stations.ts';

const h = useBatchHarness();
let documents: typeof import('#shared/data/platform/clients').documents;

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
});

/** A station onboarded as the stations function does it (test/support/stations.ts). */
const activeStation = () => onboardedStation(h.data.stations, COUNTY);

/** `n` active stations of the county, stored as the table holds them (faster than onboarding each). */
async function storedActiveStations(n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newId('station'));
  for (const stationId of ids) {
    await documents.send(
      new PutCommand({
        TableName: h.services.tableName,
        Item: { pk: `STN#${stationId}`, sk: 'STN', type: 'station', stationId, status: 'active', countyCode: COUNTY, version: 1 },
      }),
    );
  }
  return ids;
}

/** A pending batch paying each station once, plus two farmers. */
async function batchPaying(fundId: string, stationIds: string[]): Promise<{ batchId: string; totalAmount: number }> {
  const body = batchBody(fundId, [100, 200]);
  stationIds.forEach((stationId, n) => {
    const row = batchRow(n + 2, 1_000 + n);
    body.items.push({ ...row, beneficiary: { ...row.beneficiary, kind: 'station', stationId } as never });
  });
  const created = await h.call('POST', '/v1/disbursement-batches', { body });
  expect(created.status).toBe(201);
  return { batchId: created.body.batchId, totalAmount: created.body.totalAmount };
}

/**
 * Suspends `stationId` right after the final approval has read its stations (the consistent BatchGet of
 * the station items), once: the moment between the approval's checks and its commit.
 */
function suspendAfterStationsRead(stationId: string): { suspended: () => boolean } {
  const send = documents.send.bind(documents) as (command: unknown) => Promise<unknown>;
  let done = false;
  const spy = vi.spyOn(documents, 'send').mockImplementation((async (command: unknown) => {
    const output = await send(command);
    const wanted = command instanceof BatchGetCommand && JSON.stringify(command.input.RequestItems).includes(`STN#${stationId}`);
    if (wanted && !done) {
      done = true;
      spy.mockRestore();
      await h.data.stations.changeStation(
        stationId,
        { action: 'suspend', reason: 'cash shortfall found at audit' },
        { sub: 'officer-a' },
        new Date(),
      );
    }
    return output;
  }) as never);
  return { suspended: () => done };
}

async function moneyAndBatch(fundId: string, batchId: string) {
  const allocation = await h.data.funds.findAllocation(fundId, COUNTY);
  const batch = await h.call('GET', `/v1/disbursement-batches/${batchId}`, { sub: 'aud', roles: ['auditor'] });
  const payouts = (await h.services.scanTable()).filter((i) => i.type === 'payout' && i.batchId === batchId);
  return { reserved: allocation!.reserved, status: batch.body.status, payouts: payouts.length };
}

describe('stations re-checked at the final approval', () => {
  it.each([
    ['3 stations', 2],
    ['120 stations (more than one transaction can check one by one)', 119],
  ])('%s, one suspended between the approval reading them and committing: 409 invalid_state, nothing reserved', async (_, stored) => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000_000 } });
    const suspendedLater = await activeStation();
    const stationIds = [...(await storedActiveStations(stored)), suspendedLater];
    const { batchId } = await batchPaying(fundId, stationIds);

    const race = suspendAfterStationsRead(suspendedLater);
    const res = await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    expect(race.suspended()).toBe(true);
    expect([res.status, res.body.code]).toEqual([409, 'invalid_state']);
    expect(res.body.detail).toContain(suspendedLater);
    expect(await moneyAndBatch(fundId, batchId)).toEqual({ reserved: 0, status: 'pending_approval', payouts: 0 });
  });

  it.each([
    ['3 stations', 2],
    ['120 stations', 119],
  ])('%s, all still active: approved and reserved in one step', async (_, stored) => {
    const fundId = await h.fund({ allocations: { [COUNTY]: 100_000_000 } });
    const stationIds = [...(await storedActiveStations(stored)), await activeStation()];
    const { batchId, totalAmount } = await batchPaying(fundId, stationIds);
    const res = await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    expect([res.status, res.body.status]).toEqual([200, 'approved']);
    expect((await h.data.funds.findAllocation(fundId, COUNTY))!.reserved).toBe(totalAmount);
  });
});
