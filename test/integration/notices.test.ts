/**
 * The public notice (公示) end to end on the local services: the final approval reserves and posts the
 * notice; an objection holds its item; upheld withdraws and releases, dismissed proceeds; the notice's
 * end (the sweeper) creates each clean item's payout exactly once. The ledger check stays clean.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT_NUMBER, asApprover, asFinance, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';
import { batchesContext, noticesContext, NoticesContext } from '../support/contexts.ts';

const h = useMoneyHarness({}, 120_000);
let notices: NoticesContext;
const asAdmin = (sub = 'admin-2') => ({ sub, roles: ['fund-admin'] });
const PUBLIC = { sub: '', roles: [] as string[] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NOTICE = 'PT2S';

beforeAll(async () => {
  notices = await noticesContext();
}, 120_000);

async function ledgerClean() {
  const { differences } = await h.checkLedger();
  expect(differences).toEqual([]);
}

/** Each disbursement pays its own account: duplicate screening would hold a second one to the same account. */
let accounts = 0;

async function approvedIntoNotice(fundId: string, name = '王小明', amount = 50_000) {
  const accountNumber = `6222${String(accounts++).padStart(8, '0')}${ACCOUNT_NUMBER.slice(-4)}`;
  const created = await h.call('POST', '/v1/disbursements', {
    body: disbursementBody(fundId, amount, {
      beneficiary: { kind: 'farmer', name, account: { bankName: 'ABC', accountName: name, accountNumber } },
    }),
  });
  expect(created.status).toBe(201);
  const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
    ...asApprover('approver-1'),
    body: {},
  });
  expect(approved.status).toBe(200);
  return approved.body;
}

/** Waits past the notice's end, then runs the sweeper's notice source as the schedule would. */
async function endOfNotice(endsAt: string) {
  await sleep(Math.max(0, Date.parse(endsAt) - Date.now()) + 50);
  await notices.noticeEndSource.sweep(new Date());
}

describe('public notice lifecycle', () => {
  it('opens a notice instead of a payout, reserves the money, shows only a masked name', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: NOTICE });
    const d = await approvedIntoNotice(fundId);
    expect(d.status).toBe('in_notice');
    expect(d.payoutId).toBeNull();
    expect(d.notice.noticeId).toMatch(/^ntc_/);
    expect(Date.parse(d.notice.endsAt) - Date.parse(d.notice.startsAt)).toBe(2000);
    const allocation = await h.data.funds.findAllocation(fundId, '500241');
    expect(allocation).toMatchObject({ reserved: 50_000, available: 950_000 });

    const notice = await h.call('GET', `/public/notices/${d.notice.noticeId}`, PUBLIC);
    expect(notice.status).toBe(200);
    expect(notice.body).toMatchObject({ status: 'open', countyName: 'Shizhu', fundName: 'Relief fund' });
    expect(notice.body.items).toEqual([
      { itemRef: d.disbursementId, beneficiaryName: '王**', beneficiaryKind: 'farmer', amount: 50_000, status: 'listed' },
    ]);
    expect(notice.text).not.toContain('王小明');
    expect(notice.text).not.toContain(ACCOUNT_NUMBER.slice(-4));

    const page = await h.call('GET', `/notices/${d.notice.noticeId}`, PUBLIC);
    expect(page.status).toBe(200);
    expect(page.contentType).toContain('text/html');
    expect(page.text).toContain('王**');
    expect(page.text).not.toContain('王小明');
    expect(page.text).not.toContain(ACCOUNT_NUMBER.slice(-4));
    expect(page.text).not.toContain('<script');
    expect(page.text).toContain('<form method="post"');
    await ledgerClean();
  });

  it('open → end → the clean item pays, once, and the post-payment notice shows it paid', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: NOTICE });
    const d = await approvedIntoNotice(fundId, '李四');
    await endOfNotice(d.notice.endsAt);
    await notices.noticeEndSource.sweep(new Date()); // a second sweep proceeds nothing twice
    const after = await h.call('GET', `/v1/disbursements/${d.disbursementId}`, asAdmin());
    expect(after.body.status).toBe('approved');
    expect(after.body.payoutId).toMatch(/^pay_/);
    expect(after.body.history.map((e: { action: string }) => e.action)).toEqual(['created', 'notice_opened', 'notice_ended']);
    // As at a final approval: nobody here subscribes to `disbursement.approved`, so the notice's end writes it finished.
    const approvedEvent = (await h.services.scanTable()).find(
      (i) => i.type === 'event' && i.eventType === 'disbursement.approved' && i.subject === d.disbursementId,
    );
    expect(approvedEvent).toMatchObject({ state: 'dropped' });
    expect(approvedEvent!.gsi4pk).toBeUndefined();
    await ledgerClean();
    const settled = await h.call('POST', `/v1/payouts/${after.body.payoutId}/settlement`, {
      ...asFinance,
      body: { outcome: 'succeeded', bankReference: 'BR-N1' },
    });
    expect(settled.status).toBe(200);
    const notice = await h.call('GET', `/public/notices/${d.notice.noticeId}`, PUBLIC);
    expect(notice.body).toMatchObject({ status: 'closed', items: [{ status: 'paid' }] });
    expect(await h.data.funds.findAllocation(fundId, '500241')).toMatchObject({ reserved: 0, paid: 50_000 });
    await ledgerClean();
  });

  it('object → upheld: the disbursement is rejected and its money released; the objector contact is masked', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: 'PT30S' });
    const d = await approvedIntoNotice(fundId, '张三');
    const objected = await h.call('POST', `/public/notices/${d.notice.noticeId}/objections`, {
      ...PUBLIC,
      body: { itemRef: d.disbursementId, reason: '此人已迁出本村，不应领取。', contact: '13812345678' },
    });
    expect(objected.status).toBe(202);
    const notice = await h.call('GET', `/public/notices/${d.notice.noticeId}`, PUBLIC);
    expect(notice.body.items[0].status).toBe('objected');

    const list = await h.call('GET', `/v1/objections?noticeId=${d.notice.noticeId}`, asAdmin());
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ status: 'open', contact: '138****5678' });
    expect(list.text).not.toContain('13812345678');

    const byApprover = await h.call('POST', `/v1/objections/${objected.body.objectionId}/resolve`, {
      sub: 'approver-1',
      roles: ['fund-admin'],
      body: { outcome: 'dismissed', note: 'n' },
    });
    expect(byApprover.status).toBe(403);
    expect(byApprover.body.code).toBe('self_approval');

    // The fund's finance system sees the notice's events in its event log (another system does not).
    const ofFinance = await h.call('GET', '/v1/events?type=objection.received&limit=100', asFinance);
    expect(ofFinance.body.items.map((e: { data: { objectionId: string } }) => e.data.objectionId)).toContain(objected.body.objectionId);
    const ofOther = await h.call('GET', '/v1/events?type=objection.received&limit=100', {
      sub: 'finance-other',
      roles: ['finance-system'],
    });
    expect(ofOther.body.items).toEqual([]);

    const upheld = await h.call('POST', `/v1/objections/${objected.body.objectionId}/resolve`, {
      ...asAdmin(),
      body: { outcome: 'upheld', note: 'Checked with the village committee' },
    });
    expect(upheld.status).toBe(200);
    expect(upheld.body).toMatchObject({ status: 'upheld', resolvedBy: 'admin-2', contact: '138****5678' });
    const after = await h.call('GET', `/v1/disbursements/${d.disbursementId}`, asAdmin());
    expect(after.body.status).toBe('rejected');
    expect(await h.data.funds.findAllocation(fundId, '500241')).toMatchObject({ reserved: 0, available: 1_000_000 });
    const again = await h.call('POST', `/v1/objections/${objected.body.objectionId}/resolve`, {
      ...asAdmin(),
      body: { outcome: 'dismissed', note: 'again' },
    });
    expect(again.status).toBe(409);
    await ledgerClean();
  });

  it('object → end (held) → dismissed: the item proceeds then, and pays', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: NOTICE });
    const d = await approvedIntoNotice(fundId, '赵六');
    const objected = await h.call('POST', `/public/notices/${d.notice.noticeId}/objections`, {
      ...PUBLIC,
      body: { itemRef: d.disbursementId, reason: '请核实其家庭收入情况。' },
    });
    expect(objected.status).toBe(202);
    await endOfNotice(d.notice.endsAt);
    const held = await h.call('GET', `/v1/disbursements/${d.disbursementId}`, asAdmin());
    expect(held.body.status).toBe('in_notice');
    const closed = await h.call('GET', `/public/notices/${d.notice.noticeId}`, PUBLIC);
    expect(closed.body).toMatchObject({ status: 'closed', items: [{ status: 'objected' }] });
    const late = await h.call('POST', `/public/notices/${d.notice.noticeId}/objections`, {
      ...PUBLIC,
      body: { itemRef: d.disbursementId, reason: 'one more objection, too late' },
    });
    expect(late.status).toBe(409);
    await ledgerClean();

    const dismissed = await h.call('POST', `/v1/objections/${objected.body.objectionId}/resolve`, {
      ...asAdmin(),
      body: { outcome: 'dismissed', note: 'Income verified' },
    });
    expect(dismissed.status).toBe(200);
    const after = await h.call('GET', `/v1/disbursements/${d.disbursementId}`, asAdmin());
    expect(after.body.status).toBe('approved');
    const payout = await h.call('GET', `/v1/payouts/${after.body.payoutId}`, asAdmin());
    expect(payout.body.status).toBe('queued');
    await ledgerClean();
  });

  it('a disbursement to a station or county, or a fund without a notice period, pays as before', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 } });
    const created = await h.call('POST', '/v1/disbursements', {
      body: disbursementBody(fundId, 10_000, {
        beneficiary: { kind: 'farmer', name: '钱七', account: { bankName: 'ABC', accountName: '钱七', accountNumber: '6222000011112222' } },
      }),
    });
    const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
      ...asApprover('approver-1'),
      body: {},
    });
    expect(approved.body).toMatchObject({ status: 'approved', notice: null });
  });
});

describe('public routes refuse junk and write nothing', () => {
  it('answers junk, huge, unknown and closed with 4xx problem+json', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: 'PT30S' });
    const d = await approvedIntoNotice(fundId, '孙八');
    const path = `/public/notices/${d.notice.noticeId}/objections`;
    const bodies: unknown[] = [
      'not json',
      '{"itemRef":',
      [],
      {},
      { itemRef: d.disbursementId },
      { itemRef: d.disbursementId, reason: 'short' },
      { itemRef: d.disbursementId, reason: 'x'.repeat(1001) },
      { itemRef: 'dsb_01ARZ3NDEKTSV4RRFFQ69G5FAV', reason: 'a valid reason text' },
      { itemRef: d.disbursementId, reason: 'a valid reason text', extra: 1 },
      { itemRef: d.disbursementId, reason: 'a valid reason text', contact: 'x'.repeat(200) },
      'x'.repeat(5000),
    ];
    for (const body of bodies) {
      const reply = await h.call('POST', path, { ...PUBLIC, body });
      expect(reply.status, JSON.stringify(body).slice(0, 60)).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(reply.contentType).toContain('application/problem+json');
    }
    const unknown = await h.call('POST', '/public/notices/ntc_01ARZ3NDEKTSV4RRFFQ69G5FAV/objections', {
      ...PUBLIC,
      body: { itemRef: d.disbursementId, reason: 'a valid reason text' },
    });
    expect(unknown.status).toBe(404);
    expect((await h.call('GET', '/public/notices/ntc_01ARZ3NDEKTSV4RRFFQ69G5FAV', PUBLIC)).status).toBe(404);
    expect((await h.call('GET', '/notices/not-a-notice', PUBLIC)).status).toBe(404);
    const notice = await h.call('GET', `/public/notices/${d.notice.noticeId}`, PUBLIC);
    expect(notice.body.items[0]).toMatchObject({ status: 'listed' });
    const objections = await h.call('GET', `/v1/objections?noticeId=${d.notice.noticeId}`, asAdmin());
    expect(objections.body.items).toEqual([]);
  });

  it('the page form posts without JavaScript and answers HTML', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: 'PT30S' });
    const d = await approvedIntoNotice(fundId, '周九');
    const form = new URLSearchParams({ itemRef: d.disbursementId, reason: '该户已享受同类补助。', contact: '' }).toString();
    const reply = await h.call('POST', `/notices/${d.notice.noticeId}/objections`, { ...PUBLIC, body: form });
    expect(reply.status).toBe(202);
    expect(reply.text).toContain('obj_');
    const bad = await h.call('POST', `/notices/${d.notice.noticeId}/objections`, { ...PUBLIC, body: 'itemRef=x&reason=short' });
    expect(bad.status).toBe(400);
    expect(bad.contentType).toContain('text/html');
  });

  it('at most 20 objections per item', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: 'PT60S' });
    const d = await approvedIntoNotice(fundId, '吴十');
    const path = `/public/notices/${d.notice.noticeId}/objections`;
    for (let i = 0; i < 20; i++) {
      expect((await h.call('POST', path, { ...PUBLIC, body: { itemRef: d.disbursementId, reason: `objection number ${i}` } })).status).toBe(
        202,
      );
    }
    const over = await h.call('POST', path, { ...PUBLIC, body: { itemRef: d.disbursementId, reason: 'objection number 21' } });
    expect(over.status).toBe(409);
  }, 60_000);
});

describe('batch notice: one notice, rows held and withdrawn one by one', () => {
  const row = (kind: string, name: string, amount: number, n: number) => ({
    amount,
    beneficiary: {
      kind,
      name,
      ...(kind === 'station' ? {} : {}),
      account: { bankName: 'ABC', accountName: name, accountNumber: `62220000${String(n).padStart(8, '0')}` },
    },
  });

  it('posts farmer and cooperative rows; upheld row released, held row proceeds when dismissed; every other row pays once', async () => {
    const fundId = await h.fund({ allocations: { '500241': 10_000_000 }, noticePeriod: 'PT3S' });
    const items = [
      row('farmer', '王一', 1_000, 1),
      row('farmer', '王二', 2_000, 2),
      row('cooperative', '红星合作社', 3_000, 3),
      row('county', 'Shizhu county', 4_000, 4),
      row('farmer', '王五', 5_000, 5),
    ];
    const created = await h.call('POST', '/v1/disbursement-batches', {
      body: { fundId, countyCode: '500241', purpose: 'produce-subsidy', items },
    });
    expect(created.status).toBe(201);
    const batchId = created.body.batchId as string;
    const approved = await h.call('POST', `/v1/disbursement-batches/${batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('in_notice');
    const noticeId = approved.body.notice.noticeId as string;
    expect(await h.data.funds.findAllocation(fundId, '500241')).toMatchObject({ reserved: 15_000 });
    await ledgerClean();

    const posted = await h.call('GET', `/public/notices/${noticeId}`, PUBLIC);
    expect(posted.body.items.map((i: { beneficiaryName: string }) => i.beneficiaryName)).toEqual(['王*', '王*', '红****', '王*']);
    expect(posted.text).not.toContain('Shizhu county');

    const object = (ref: string, reason: string) =>
      h.call('POST', `/public/notices/${noticeId}/objections`, { ...PUBLIC, body: { itemRef: ref, reason } });
    const upheldObjection = await object(`${batchId}-0`, '王一已于去年迁出本村。');
    const heldObjection = await object(`${batchId}-1`, '王二家庭收入需要核实。');
    expect(upheldObjection.status).toBe(202);
    expect(heldObjection.status).toBe(202);
    const upheld = await h.call('POST', `/v1/objections/${upheldObjection.body.objectionId}/resolve`, {
      ...asAdmin(),
      body: { outcome: 'upheld', note: 'Moved away: confirmed' },
    });
    expect(upheld.status).toBe(200);
    expect(await h.data.funds.findAllocation(fundId, '500241')).toMatchObject({ reserved: 14_000 });
    await ledgerClean();

    await endOfNotice(approved.body.notice.endsAt);
    const batches = await batchesContext();
    await batches.expandBatch(batchId);
    await batches.expandBatch(batchId); // a duplicate job creates nothing twice
    const payouts = await h.call('GET', `/v1/disbursement-batches/${batchId}/payouts`, asAdmin());
    expect(payouts.body.items.map((p: { amount: number }) => p.amount).sort((a: number, b: number) => a - b)).toEqual([
      3_000, 4_000, 5_000,
    ]);
    const closed = await h.call('GET', `/public/notices/${noticeId}`, PUBLIC);
    expect(closed.body.items.map((i: { status: string }) => i.status)).toEqual(['withdrawn', 'objected', 'proceeding', 'proceeding']);
    await ledgerClean();

    const dismissed = await h.call('POST', `/v1/objections/${heldObjection.body.objectionId}/resolve`, {
      ...asAdmin(),
      body: { outcome: 'dismissed', note: 'Income verified' },
    });
    expect(dismissed.status).toBe(200);
    const all = await h.call('GET', `/v1/disbursement-batches/${batchId}/payouts`, asAdmin());
    expect(all.body.items).toHaveLength(4);
    await ledgerClean();
    for (const p of all.body.items) {
      const settled = await h.call('POST', `/v1/payouts/${p.payoutId}/settlement`, {
        ...asFinance,
        body: { outcome: 'succeeded', bankReference: `BR-${p.payoutId}` },
      });
      expect(settled.status).toBe(200);
    }
    const done = await h.call('GET', `/v1/disbursement-batches/${batchId}`, asAdmin());
    expect(done.body.status).toBe('completed');
    expect(await h.data.funds.findAllocation(fundId, '500241')).toMatchObject({
      reserved: 0,
      paid: 14_000,
      available: 10_000_000 - 14_000,
    });
    const paid = await h.call('GET', `/public/notices/${noticeId}`, PUBLIC);
    expect(paid.body.items.map((i: { status: string }) => i.status)).toEqual(['withdrawn', 'paid', 'paid', 'paid']);
    await ledgerClean();
  }, 60_000);

  it('a notice end that dies after its commit, or runs twice at once, still gives every clean item exactly one payout', async () => {
    const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: 'PT2S' });
    const ds = await Promise.all(['甲', '乙', '丙'].map((n, i) => approvedIntoNotice(fundId, `${n}某`, 1_000 * (i + 1))));
    const endsAt = ds
      .map((d) => d.notice.endsAt)
      .sort()
      .at(-1)!;
    await sleep(Math.max(0, Date.parse(endsAt) - Date.now()) + 50);
    // Two sweepers at once (an overlapping schedule, a restart): each notice closes once.
    const now = new Date();
    const results = await Promise.all(
      ds.flatMap((d) => [notices.endNotice(d.notice.noticeId, now), notices.endNotice(d.notice.noticeId, now)]),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
    await notices.noticeEndSource.sweep(new Date());
    for (const d of ds) {
      const after = await h.call('GET', `/v1/disbursements/${d.disbursementId}`, asAdmin());
      expect(after.body.status).toBe('approved');
      const list = await h.call('GET', `/v1/payouts?status=queued`, asAdmin());
      expect(list.body.items.filter((p: { disbursementId: string }) => p.disbursementId === d.disbursementId)).toHaveLength(1);
    }
    await ledgerClean();
  }, 30_000);
});
