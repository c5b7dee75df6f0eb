/**
 * `GET /v1/counties/{code}/report`'s disbursement figures over a mixed sequence on DynamoDB Local: every transition
 * that moves them (creation, single and dual approval, a public notice that ends or is objected to, rejection,
 * cancellation, payment, failure, a correction, a contradicting late outcome, subsidised disbursements, and a
 * roll-up of many pending payments at once) leaves `pendingApproval`, `inNotice`, `approved`, `paid` and `payoutFailed` exactly
 * the counts and amounts of the county's disbursements in those statuses, over two funds. The figures are where the
 * transactions put them (county shards, allocation items); this test only reads the report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { handlerCaller } from '#test/support/handler-call';
import { httpHandlers } from '#test/support/lambda-processes';
import { asApprover, asRequester, beneficiaryNo, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness({}, 120_000);
/** Counties of this file alone: no other test's disbursements count in their reports. */
const C = '500249';
const BEFORE = '500248';
const CARRIED = '500247';
const AUDITOR = { sub: 'auditor-1', roles: ['auditor'] };
const ADMIN = { sub: 'admin-2', roles: ['fund-admin'] };
const OPERATOR = { sub: 'operator-1', roles: ['campaign-operator'] };
const STEMS = {
  pending_approval: 'pendingApproval',
  in_notice: 'inNotice',
  approved: 'approved',
  paid: 'paid',
  payout_failed: 'payoutFailed',
} as const;

let report: (county?: string) => Promise<Record<string, { count: number; amount: number }>>;
let notices: { end: typeof import('#shared/data/notices/end'); objections: typeof import('#shared/data/notices/objections') };
let ledger: {
  items: typeof import('#shared/data/ledger/items');
  turn: typeof import('#shared/data/ledger/turn');
  rollUp: typeof import('#shared/data/ledger/roll-up');
};
let platform: { keys: typeof import('#shared/data/platform/keys'); transact: typeof import('#shared/data/platform/transactions').transact };
let stats: typeof import('#shared/data/counties/stats');
let accounts = 0;

beforeAll(async () => {
  const { putCounty } = await import('#shared/data/counties/items');
  await putCounty({ countyCode: C, name: 'Pengshui', province: 'Chongqing', modelCounty: false }, new Date());
  await putCounty({ countyCode: BEFORE, name: 'Youyang', province: 'Chongqing', modelCounty: false }, new Date());
  await putCounty({ countyCode: CARRIED, name: 'Wulong', province: 'Chongqing', modelCounty: false }, new Date());
  const counties = handlerCaller(await httpHandlers(['counties']), AUDITOR);
  report = async (county = C) => {
    const reply = await counties('GET', `/v1/counties/${county}/report`, AUDITOR);
    expect(reply.status).toBe(200);
    return reply.body.disbursements;
  };
  notices = { end: await import('#shared/data/notices/end'), objections: await import('#shared/data/notices/objections') };
  ledger = {
    items: await import('#shared/data/ledger/items'),
    turn: await import('#shared/data/ledger/turn'),
    rollUp: await import('#shared/data/ledger/roll-up'),
  };
  platform = { keys: await import('#shared/data/platform/keys'), transact: (await import('#shared/data/platform/transactions')).transact };
  stats = await import('#shared/data/counties/stats');
});

/** What the report must say: the model's disbursements by status. */
const model = new Map<string, { county: string; status: string; amount: number }>();
function expected(county = C) {
  const out: Record<string, { count: number; amount: number }> = {};
  for (const stem of Object.values(STEMS)) out[stem] = { count: 0, amount: 0 };
  for (const d of model.values()) {
    if (d.county !== county) continue;
    const stem = STEMS[d.status as keyof typeof STEMS];
    if (!stem) continue;
    out[stem]!.count += 1;
    out[stem]!.amount += d.amount;
  }
  return out;
}
const expectReport = async (where: string, county = C) => expect(await report(county), where).toEqual(expected(county));

async function create(fundId: string, amount: number, overrides: Record<string, unknown> = {}): Promise<string> {
  const county = (overrides.countyCode as string | undefined) ?? C;
  const reply = await h.call('POST', '/v1/disbursements', {
    ...asRequester(),
    body: disbursementBody(fundId, amount, { countyCode: county, beneficiary: beneficiaryNo(++accounts), ...overrides }),
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  model.set(reply.body.disbursementId as string, { county, status: 'pending_approval', amount });
  return reply.body.disbursementId as string;
}

/** A villager's objection to one item of a notice, upheld by a fund-admin: the item is withdrawn, its money released. */
async function upholdObjection(noticeId: string, itemRef: string, reason: string): Promise<void> {
  const { objectionId } = await notices.objections.fileObjection(noticeId, { itemRef, reason }, new Date());
  const upheld = await h.call('POST', `/v1/objections/${objectionId}/resolve`, {
    ...ADMIN,
    body: { outcome: 'upheld', note: 'confirmed' },
  });
  expect(upheld.status, JSON.stringify(upheld.body)).toBe(200);
}

/** Approves; returns the payout (none while a second approval or a notice is still to come). */
async function approve(id: string, approver = 'approver-1'): Promise<{ payoutId?: string; noticeId?: string }> {
  const reply = await h.call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover(approver), body: {} });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  model.get(id)!.status = reply.body.status as string;
  return { payoutId: reply.body.payoutId ?? undefined, noticeId: reply.body.notice?.noticeId };
}

async function settle(id: string, payoutId: string, outcome: 'succeeded' | 'failed'): Promise<void> {
  const body = outcome === 'succeeded' ? { outcome, bankReference: `CR-${payoutId}` } : { outcome, failureReason: 'account closed' };
  const reply = await h.settle(payoutId, body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  model.get(id)!.status = outcome === 'succeeded' ? 'paid' : 'payout_failed';
}

describe('the county report over a mixed sequence', () => {
  it('counts every transition exactly: approvals, notices, settlements, failures, corrections, subsidies, a roll-up of many', async () => {
    const fundA = await h.fund({ allocations: { [C]: 50_000_000 }, dualApprovalThreshold: 1_000_000 });
    const fundB = await h.fund({ allocations: { [C]: 50_000_000 }, noticePeriod: 'PT10M' });
    await expectReport('nothing yet');

    // Paid; failed and corrected; paid, then contradicted by a late failure.
    const paid = await create(fundA, 120_000);
    const paidPayout = (await approve(paid)).payoutId!;
    await settle(paid, paidPayout, 'succeeded');
    const failed = await create(fundA, 80_000);
    const failedPayout = (await approve(failed)).payoutId!;
    await settle(failed, failedPayout, 'failed');
    const correction = await h.call('POST', `/v1/disbursements/${failed}/corrections`, {
      ...asRequester(),
      body: { beneficiary: beneficiaryNo(++accounts), reason: 'account closed; a new one given' },
    });
    expect(correction.status, JSON.stringify(correction.body)).toBe(201);
    model.set(correction.body.disbursementId as string, { county: C, status: 'pending_approval', amount: 80_000 });
    // Late and repeated outcomes change nothing: a success after the failure, a failure after the payment, a repeat.
    expect((await h.settle(failedPayout, { outcome: 'succeeded', bankReference: 'LATE-1' })).status).toBe(409);
    expect((await h.settle(paidPayout, { outcome: 'failed', failureReason: 'returned' })).status).toBe(409);
    expect((await h.settle(paidPayout, { outcome: 'succeeded', bankReference: `CR-${paidPayout}` })).status).toBe(200);
    await expectReport('paid, failed, corrected, contradicted');

    // Rejected, cancelled, approved and unpaid, one approval of two, still pending.
    const rejected = await create(fundA, 7_000);
    const rejection = await h.call('POST', `/v1/disbursements/${rejected}/reject`, {
      ...asApprover('approver-1'),
      body: { reason: 'duplicate' },
    });
    expect(rejection.body.status).toBe('rejected');
    model.get(rejected)!.status = 'rejected';
    const cancelled = await create(fundA, 9_000);
    const cancel = await h.call('POST', `/v1/disbursements/${cancelled}/cancel`, { ...asRequester(), body: { reason: 'typo' } });
    expect(cancel.body.status).toBe('cancelled');
    model.get(cancelled)!.status = 'cancelled';
    await approve(await create(fundA, 55_000));
    const dual = await create(fundA, 2_000_000);
    expect(await approve(dual, 'approver-1')).toEqual({ payoutId: undefined, noticeId: undefined });
    await expectReport('rejected, cancelled, approved, one approval of two');
    const second = await approve(dual, 'approver-2');
    await settle(dual, second.payoutId!, 'succeeded');
    await create(fundA, 3_000);
    await expectReport('dual approval paid');

    // A public notice (fund B): one proceeds and is paid, one is objected to and withdrawn (its money released).
    const noticed = await create(fundB, 40_000);
    const proceeding = await approve(noticed);
    const objected = await create(fundB, 30_000);
    const withdrawn = await approve(objected);
    expect([model.get(noticed)!.status, model.get(objected)!.status]).toEqual(['in_notice', 'in_notice']);
    await expectReport('two in notice');
    await upholdObjection(withdrawn.noticeId!, objected, 'Not a resident of the village');
    model.get(objected)!.status = 'rejected';
    expect(await notices.end.endNotice(proceeding.noticeId!, new Date(Date.now() + 86_400_000))).toBe(true);
    model.get(noticed)!.status = 'approved';
    await expectReport('notice ended, objection upheld');
    const noticedPayout = (await h.call('GET', `/v1/disbursements/${noticed}`, AUDITOR)).body.payoutId as string;
    await settle(noticed, noticedPayout, 'succeeded');
    await expectReport('noticed disbursement paid');

    // Subsidised: drawn on a campaign's subsidy; one paid, one failed (its money back to the subsidy).
    const now = Date.now();
    const campaign = await h.call('POST', '/v1/campaigns', {
      ...OPERATOR,
      body: {
        countyCode: C,
        title: 'Kiwi harvest week',
        channel: 'livestream',
        products: [{ sku: 'KIWI-5KG', name: 'Red-heart kiwi 5 kg', unitPrice: 9_900, promoPrice: 6_900 }],
        startsAt: new Date(now + 3_600_000).toISOString(),
        endsAt: new Date(now + 7_200_000).toISOString(),
        subsidy: { fundId: fundA, amount: 500_000 },
      },
    });
    expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
    const campaignId = campaign.body.campaignId as string;
    const subsidisedPaid = await create(fundA, 60_000, { campaignId });
    await settle(subsidisedPaid, (await approve(subsidisedPaid)).payoutId!, 'succeeded');
    const subsidisedFailed = await create(fundA, 70_000, { campaignId });
    const subsidisedPayout = (await approve(subsidisedFailed)).payoutId!;
    await expectReport('subsidised approved');
    await settle(subsidisedFailed, subsidisedPayout, 'failed');
    await expectReport('subsidised paid and failed');

    // Many payments pending at once (another settler's roll-up holds the allocation's turn), rolled up together.
    const many: { id: string; payoutId: string }[] = [];
    for (let n = 0; n < 5; n++) {
      const id = await create(fundA, 10_000 + n);
      many.push({ id, payoutId: (await approve(id)).payoutId! });
    }
    const [failing] = many.splice(2, 1);
    await settle(failing!.id, failing!.payoutId, 'failed');
    const owner = 'rollup-county-report-test';
    expect(await ledger.turn.takeAllocationTurn(fundA, C, owner, new Date(), 60_000)).toBe(true);
    try {
      for (const m of many) await settle(m.id, m.payoutId, 'succeeded');
    } finally {
      await ledger.turn.releaseAllocationTurn(fundA, C, owner);
    }
    expect((await ledger.rollUp.sweepRollUps(new Date())).queued).toBe(4);
    await expectReport('a roll-up of four payments');
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 120_000);
});

describe('where the figures are written', () => {
  /** The county's disbursement stats shards (`COUNTY#<code> / STATS#disbursements#<n>`), summed. */
  async function shards(county: string): Promise<Record<string, number>> {
    const items = await h.services.scanTable();
    const sum: Record<string, number> = {};
    for (const item of items.filter((i) => i.pk === `COUNTY#${county}` && String(i.sk).startsWith('STATS#disbursements#'))) {
      for (const [name, value] of Object.entries(item)) if (/(Count|Amount)$/.test(name)) sum[name] = (sum[name] ?? 0) + (value as number);
    }
    return Object.fromEntries(Object.entries(sum).filter(([, v]) => v !== 0));
  }

  it('approvals, payments and failed payouts write no county stats shard: their figures ride on the allocation', async () => {
    const fundId = await h.fund({ allocations: { [CARRIED]: 1_000_000 } });
    const paid = await create(fundId, 21_000, { countyCode: CARRIED });
    const failed = await create(fundId, 22_000, { countyCode: CARRIED });
    const approved = await create(fundId, 23_000, { countyCode: CARRIED });
    const created = { pendingApprovalCount: 3, pendingApprovalAmount: 66_000 };
    expect(await shards(CARRIED)).toEqual(created);
    await settle(paid, (await approve(paid)).payoutId!, 'succeeded');
    await settle(failed, (await approve(failed)).payoutId!, 'failed');
    await approve(approved);
    expect(await shards(CARRIED)).toEqual(created);
    await expectReport('figures on the allocation', CARRIED);
  });

  it('refuses, with a 409 and no change, an approval or a failed payout that would take a carried figure past its bound', async () => {
    const fundId = await h.fund({ allocations: { [CARRIED]: 1_000_000 } });
    const documents = DynamoDBDocumentClient.from(h.services.dynamo);
    const near = (attribute: string, value: number) =>
      documents.send(
        new UpdateCommand({
          TableName: h.services.tableName,
          Key: platform.keys.keys.allocation(fundId, CARRIED),
          UpdateExpression: 'SET #a = :v',
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':v': value },
        }),
      );
    const failing = await create(fundId, 5_000, { countyCode: CARRIED });
    const failingPayout = (await approve(failing)).payoutId!;
    const pending = await create(fundId, 4_000, { countyCode: CARRIED });
    // One fen of room short: the approval's amount would pass the bound.
    await near('dsbApprovedAmount', stats.STATS_SHARD_LIMIT - 3_999);
    const refused = await h.call('POST', `/v1/disbursements/${pending}/approve`, { ...asApprover('approver-1'), body: {} });
    expect([refused.status, refused.body.code]).toEqual([409, 'invalid_state']);
    expect((await h.call('GET', `/v1/disbursements/${pending}`, AUDITOR)).body.status).toBe('pending_approval');
    await near('dsbPayoutFailedCount', stats.STATS_SHARD_LIMIT);
    const failed = await h.settle(failingPayout, { outcome: 'failed', failureReason: 'account closed' });
    expect([failed.status, failed.body.code]).toEqual([409, 'invalid_state']);
    expect((await h.data.payouts.getPayout(failingPayout)).status).not.toBe('failed');
    expect((await h.checkLedger()).differences).toEqual([]);
  });
});

/** The figures carried on an allocation item or a pending roll-up (`dsb<Name>` / `countyStats`), as report names. */
const carriedOf = (item: Record<string, unknown>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(item)
      .filter(([name]) => /^dsb[A-Z]/.test(name))
      .map(([name, value]) => [`${name.charAt(3).toLowerCase()}${name.slice(4)}`, value as number]),
  );

describe('items stored before', () => {
  it('takes a notice opened before `inNotice` was counted out of no figure: its end and its withdrawal leave inNotice at 0', async () => {
    const county = '500246';
    const { putCounty } = await import('#shared/data/counties/items');
    await putCounty({ countyCode: county, name: 'Shizhu', province: 'Chongqing', modelCounty: false }, new Date());
    const fundId = await h.fund({ allocations: { [county]: 1_000_000 }, noticePeriod: 'PT10M' });
    const documents = DynamoDBDocumentClient.from(h.services.dynamo);
    const TableName = h.services.tableName;
    const ending = await create(fundId, 7_000, { countyCode: county });
    const withdrawing = await create(fundId, 6_000, { countyCode: county });
    const endingNotice = (await approve(ending)).noticeId!;
    const withdrawingNotice = (await approve(withdrawing)).noticeId!;
    expect((await report(county)).inNotice).toEqual({ count: 2, amount: 13_000 });
    // As the code before left them: their openings took them out of pendingApproval and into no figure.
    for (const id of [ending, withdrawing]) {
      await documents.send(
        new UpdateCommand({ TableName, Key: platform.keys.keys.disbursement(id), UpdateExpression: 'REMOVE inNoticeCounted' }),
      );
    }
    await documents.send(
      new UpdateCommand({
        TableName,
        Key: platform.keys.keys.allocation(fundId, county),
        UpdateExpression: 'ADD dsbInNoticeCount :c, dsbInNoticeAmount :a',
        ExpressionAttributeValues: { ':c': -2, ':a': -13_000 },
      }),
    );
    expect((await report(county)).inNotice).toEqual({ count: 0, amount: 0 });
    await upholdObjection(withdrawingNotice, withdrawing, 'Moved away last year');
    expect(await notices.end.endNotice(endingNotice, new Date(Date.now() + 86_400_000))).toBe(true);
    const after = await report(county);
    expect(after.inNotice).toEqual({ count: 0, amount: 0 });
    expect(after.approved).toEqual({ count: 1, amount: 7_000 });
    expect(after.pendingApproval).toEqual({ count: 0, amount: 0 });
    model.delete(ending);
    model.delete(withdrawing);
  });

  /**
   * The county as the code before this one left it: what approvals and settlements carried on the allocation and on
   * its pending roll-ups is on a county stats shard instead (statsStep, as they wrote it), and gone from them.
   */
  async function asStoredBefore(fundId: string): Promise<void> {
    const documents = DynamoDBDocumentClient.from(h.services.dynamo);
    const TableName = h.services.tableName;
    const key = platform.keys.keys.allocation(fundId, BEFORE);
    const allocation = (await documents.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))).Item!;
    const pending = (
      await documents.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': ledger.items.rollUpPartition(fundId, BEFORE) },
          ConsistentRead: true,
        }),
      )
    ).Items!;
    const moves: [Record<string, unknown>, Record<string, number>, string[]][] = [
      [key, carriedOf(allocation), Object.keys(allocation).filter((n) => /^dsb[A-Z]/.test(n))],
      ...pending.map((p): [Record<string, unknown>, Record<string, number>, string[]] => [
        { pk: p.pk, sk: p.sk },
        (p.countyStats as Record<string, number> | undefined) ?? {},
        p.countyStats ? ['countyStats'] : [],
      ]),
    ];
    for (const [Key, figures, attributes] of moves) {
      if (attributes.length === 0) continue;
      await platform.transact([stats.statsStep(BEFORE, 'disbursements', figures, String(Key.sk))]);
      await documents.send(
        new UpdateCommand({
          TableName,
          Key,
          UpdateExpression: `REMOVE ${attributes.map((_, i) => `#r${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#r${i}`, name])),
        }),
      );
    }
  }

  it('shards holding what approvals and settlements wrote there, and a pending roll-up without figures, count once', async () => {
    const fundId = await h.fund({ allocations: { [BEFORE]: 10_000_000 } });
    const inBefore = { countyCode: BEFORE };
    const paid = await create(fundId, 11_000, inBefore);
    await settle(paid, (await approve(paid)).payoutId!, 'succeeded');
    const failed = await create(fundId, 12_000, inBefore);
    await settle(failed, (await approve(failed)).payoutId!, 'failed');
    const waiting = await create(fundId, 13_000, inBefore);
    const waitingPayout = (await approve(waiting)).payoutId!;
    await approve(await create(fundId, 14_000, inBefore));
    await create(fundId, 15_000, inBefore);
    // A payment waiting as a pending roll-up (another settler's roll-up holds the turn).
    const owner = 'rollup-stored-before-test';
    expect(await ledger.turn.takeAllocationTurn(fundId, BEFORE, owner, new Date(), 60_000)).toBe(true);
    try {
      await settle(waiting, waitingPayout, 'succeeded');
    } finally {
      await ledger.turn.releaseAllocationTurn(fundId, BEFORE, owner);
    }
    await asStoredBefore(fundId);
    await expectReport('as stored before', BEFORE);
    expect((await ledger.rollUp.sweepRollUps(new Date())).queued).toBe(1);
    await expectReport('its old pending roll-up applied', BEFORE);

    // New moves on the same allocation count on top of the old figures.
    const later = await create(fundId, 16_000, inBefore);
    await settle(later, (await approve(later)).payoutId!, 'succeeded');
    const laterFailed = await create(fundId, 17_000, inBefore);
    await settle(laterFailed, (await approve(laterFailed)).payoutId!, 'failed');
    await expectReport('new moves after', BEFORE);
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 60_000);
});
