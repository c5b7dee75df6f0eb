/**
 * Objections that nobody can use to silence a notice: the cap counts open objections only (junk, once
 * dismissed, frees the item), a fund admin resolves up to 100 at once, and whoever requested or
 * approved an item does not decide on objections to it.
 */
import { describe, expect, it } from 'vitest';
import { ACCOUNT_NUMBER, asApprover, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness({}, 120_000);
const PUBLIC = { sub: '', roles: [] as string[] };
const ADMIN = { sub: 'admin-2', roles: ['fund-admin'] };

let accounts = 0;

/** A farmer's disbursement requested by `requester`, approved by `approver-1`, now in a notice. */
async function inNotice(requester = { sub: 'requester-1', roles: ['requester'] }) {
  const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: 'PT10M' });
  const accountNumber = `6223${String(accounts++).padStart(8, '0')}${ACCOUNT_NUMBER.slice(-4)}`;
  const created = await h.call('POST', '/v1/disbursements', {
    ...requester,
    body: disbursementBody(fundId, 40_000, {
      beneficiary: { kind: 'farmer', name: '赵六', account: { bankName: 'ABC', accountName: '赵六', accountNumber } },
    }),
  });
  expect(created.status).toBe(201);
  const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
    ...asApprover('approver-1'),
    body: {},
  });
  expect(approved.status).toBe(200);
  return { disbursementId: created.body.disbursementId as string, noticeId: approved.body.notice.noticeId as string };
}

async function object(noticeId: string, itemRef: string, n: number) {
  return h.call('POST', `/public/notices/${noticeId}/objections`, { ...PUBLIC, body: { itemRef, reason: `junk objection number ${n}` } });
}

describe('the objection cap counts open objections only', () => {
  it('20 junk objections, dismissed, then a 21st is accepted and holds the item', async () => {
    const { disbursementId, noticeId } = await inNotice();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = await object(noticeId, disbursementId, i);
      expect(reply.status).toBe(202);
      ids.push(reply.body.objectionId);
    }
    expect((await object(noticeId, disbursementId, 20)).status).toBe(409);
    for (const id of ids) {
      const reply = await h.call('POST', `/v1/objections/${id}/resolve`, { ...ADMIN, body: { outcome: 'dismissed', note: 'junk' } });
      expect(reply.status).toBe(200);
    }
    const genuine = await h.call('POST', `/public/notices/${noticeId}/objections`, {
      ...PUBLIC,
      body: { itemRef: disbursementId, reason: '该户家中有公职人员，不符合条件。' },
    });
    expect(genuine.status).toBe(202);
    const notice = await h.call('GET', `/public/notices/${noticeId}`, PUBLIC);
    expect(notice.body.items[0].status).toBe('objected');
  }, 60_000);

  it('under concurrent filing, at most 20 are open at once (held by a conditional write, not a read)', async () => {
    const { disbursementId, noticeId } = await inNotice();
    const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => object(noticeId, disbursementId, i)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(20);
    // Some may have lost a write conflict: file one by one until the cap answers.
    for (let i = 30; ; i++) {
      const reply = await object(noticeId, disbursementId, i);
      if (reply.status === 409) {
        expect(reply.body.detail).toContain('20 open objections');
        break;
      }
      expect(reply.status).toBe(202);
    }
    const open = await h.call('GET', `/v1/objections?noticeId=${noticeId}&status=open&limit=100`, ADMIN);
    expect(open.body.items).toHaveLength(20);
  }, 60_000);
});

describe('who may resolve', () => {
  it("the item's requester, also a fund admin, may not resolve its objections (403 self_approval), single or bulk", async () => {
    const requester = { sub: 'maker-admin', roles: ['requester', 'fund-admin'] };
    const { disbursementId, noticeId } = await inNotice(requester);
    const objection = (await object(noticeId, disbursementId, 1)).body.objectionId as string;
    const single = await h.call('POST', `/v1/objections/${objection}/resolve`, {
      ...requester,
      body: { outcome: 'dismissed', note: 'mine' },
    });
    expect(single.status).toBe(403);
    expect(single.body.code).toBe('self_approval');
    const bulk = await h.call('POST', '/v1/objections/resolve', {
      ...requester,
      body: { objectionIds: [objection], outcome: 'dismissed', note: 'mine' },
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body).toEqual({ resolved: [], refused: [{ objectionId: objection, code: 'self_approval' }] });
    const byApprover = await h.call('POST', '/v1/objections/resolve', {
      sub: 'approver-1',
      roles: ['fund-admin'],
      body: { objectionIds: [objection], outcome: 'upheld', note: 'mine' },
    });
    expect(byApprover.body.refused).toEqual([{ objectionId: objection, code: 'self_approval' }]);
    const list = await h.call('GET', `/v1/objections?noticeId=${noticeId}`, ADMIN);
    expect(list.body.items[0].status).toBe('open');
  });
});

describe('POST /v1/objections/resolve', () => {
  it('resolves each on its own: one refused blocks no other', async () => {
    const { disbursementId, noticeId } = await inNotice();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await object(noticeId, disbursementId, i)).body.objectionId);
    const first = await h.call('POST', `/v1/objections/${ids[0]}/resolve`, { ...ADMIN, body: { outcome: 'dismissed', note: 'done' } });
    expect(first.status).toBe(200);
    const unknown = 'obj_01M8MB7QKGZ7EXTNFH95G3P5TD';
    const reply = await h.call('POST', '/v1/objections/resolve', {
      ...ADMIN,
      body: { objectionIds: [...ids, unknown], outcome: 'dismissed', note: 'A flood from one address' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.resolved).toEqual(ids.slice(1));
    expect(reply.body.refused).toEqual([
      { objectionId: ids[0], code: 'invalid_state' },
      { objectionId: unknown, code: 'not_found' },
    ]);
    const open = await h.call('GET', `/v1/objections?noticeId=${noticeId}&status=open`, ADMIN);
    expect(open.body.items).toEqual([]);
    const notice = await h.call('GET', `/public/notices/${noticeId}`, PUBLIC);
    expect(notice.body.items[0].status).toBe('listed');
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 60_000);

  it('upheld in bulk withdraws the item once and releases its money once', async () => {
    const { disbursementId, noticeId } = await inNotice();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await object(noticeId, disbursementId, i)).body.objectionId);
    const reply = await h.call('POST', '/v1/objections/resolve', {
      ...ADMIN,
      body: { objectionIds: ids, outcome: 'upheld', note: 'moved away' },
    });
    expect(reply.body).toEqual({ resolved: ids, refused: [] });
    const d = await h.call('GET', `/v1/disbursements/${disbursementId}`, ADMIN);
    expect(d.body.status).toBe('rejected');
    expect((await h.checkLedger()).differences).toEqual([]);
  }, 60_000);

  it('takes 1..100 distinct ids, and only from a fund admin', async () => {
    const body = (objectionIds: string[]) => ({ objectionIds, outcome: 'dismissed', note: 'n' });
    const id = (n: number) => `obj_01M8MB7QKGZ7EXTNFH95G${String(n).padStart(5, '0')}`.replace(/[ILOU]/g, '0');
    expect((await h.call('POST', '/v1/objections/resolve', { ...ADMIN, body: body([]) })).status).toBe(400);
    const many = Array.from({ length: 101 }, (_, i) => id(i));
    expect((await h.call('POST', '/v1/objections/resolve', { ...ADMIN, body: body(many) })).status).toBe(400);
    expect((await h.call('POST', '/v1/objections/resolve', { ...ADMIN, body: body([id(1), id(1)]) })).status).toBe(400);
    const hundred = await h.call('POST', '/v1/objections/resolve', { ...ADMIN, body: body(many.slice(0, 100)) });
    expect(hundred.status).toBe(200);
    expect(hundred.body.refused).toHaveLength(100);
    const approver = await h.call('POST', '/v1/objections/resolve', { sub: 'a', roles: ['approver'], body: body([id(1)]) });
    expect(approver.status).toBe(403);
  }, 60_000);
});
