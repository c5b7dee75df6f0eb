/**
 * A notice's end racing an objection's resolution. The end reads the items, then commits conditional on
 * the notice's version; a resolution that lands in between must make the end decide again, or a row
 * dismissed meanwhile is closed in as "held" and never proceeds (its money reserved for good).
 * The interleaving is made exact: the batch subject's `close` (which runs between the end's read and
 * its commit) first lets the resolution commit.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { asApprover, useMoneyHarness } from './disbursement-harness.ts';
import { batchesContext, noticesContext, NoticesContext } from '../support/contexts.ts';

type Notices = NoticesContext;
type Subject = NoticesContext['noticeSubjects']['batch'];

const h = useMoneyHarness({}, 120_000);
let notices: Notices;
const PUBLIC = { sub: '', roles: [] as string[] };

beforeAll(async () => {
  notices = await noticesContext();
}, 120_000);

const row = (name: string, amount: number, n: number) => ({
  amount,
  beneficiary: {
    kind: 'farmer',
    name,
    account: { bankName: 'ABC', accountName: name, accountNumber: `62229900${String(n).padStart(8, '0')}` },
  },
});

describe('notice end racing a resolution', () => {
  it('a row dismissed while the notice ends still gets exactly one payout', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: 'PT60S' });
    const created = await h.call('POST', '/v1/disbursement-batches', {
      body: { fundId, countyCode: '500241', purpose: 'produce-subsidy', items: [row('王一', 1_000, 1), row('王二', 2_000, 2)] },
    });
    expect(created.status).toBe(201);
    const batchId = created.body.batchId as string;
    const approved = await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    expect(approved.body.status).toBe('in_notice');
    const { noticeId, endsAt } = approved.body.notice as { noticeId: string; endsAt: string };
    const objected = await h.call('POST', `/public/notices/${noticeId}/objections`, {
      ...PUBLIC,
      body: { itemRef: `${batchId}-1`, reason: '王二家庭收入需要核实。' },
    });
    expect(objected.status).toBe(202);

    // The end refuses before endsAt, and does nothing.
    expect(await notices.endNotice(noticeId, new Date(Date.parse(endsAt) - 1))).toBe(false);
    expect((await notices.readNotice(noticeId)).status).toBe('open');

    const original: Subject = notices.noticeSubjects.batch;
    let raced = false;
    notices.noticeSubjects.batch = {
      ...original,
      async close(...args) {
        if (!raced) {
          raced = true;
          await notices.resolveObjection(
            objected.body.objectionId,
            { outcome: 'dismissed', note: 'Income verified' },
            { sub: 'admin-2' },
            new Date(),
          );
        }
        return original.close!(...args);
      },
    };
    try {
      expect(await notices.endNotice(noticeId, new Date(Date.parse(endsAt) + 1))).toBe(true);
    } finally {
      notices.noticeSubjects.batch = original;
    }
    expect(raced).toBe(true);
    const batches = await batchesContext();
    await batches.expandBatch(batchId);
    const payouts = await batches.listBatchPayouts(batchId, { limit: 10 }, { sub: 'auditor-1', roles: ['auditor'] });
    expect(payouts.items.map((p) => p.amount).sort((a, b) => a - b)).toEqual([1_000, 2_000]);
    const notice = await h.call('GET', `/public/notices/${noticeId}`, PUBLIC);
    expect(notice.body.items.map((i: { status: string }) => i.status)).toEqual(['proceeding', 'proceeding']);
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 60_000);
});
