/**
 * One source address cannot fill a notice with objections: at most OBJECTIONS_PER_SOURCE_HOUR (here 3)
 * an hour from one address to one notice, held by a conditional write in the objection's own
 * transaction (so it holds across processes, and a refused objection writes nothing). Other addresses,
 * and other notices, are not affected; the address is never stored in the clear.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ACCOUNT_NUMBER, asApprover, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness({ env: { OBJECTIONS_PER_SOURCE_HOUR: '3' } }, 120_000);
let notices: typeof import('#shared/data/notices/objections');
let documents: typeof import('#shared/data/platform/clients').documents;
const PUBLIC = { sub: '', roles: [] as string[] };
let accounts = 0;

beforeAll(async () => {
  notices = await import('#shared/data/notices/objections');
  ({ documents } = await import('#shared/data/platform/clients'));
}, 120_000);

async function inNotice() {
  const fundId = await h.fund({ allocations: { '500241': 1_000_000 }, noticePeriod: 'PT2H' });
  const accountNumber = `6224${String(accounts++).padStart(8, '0')}${ACCOUNT_NUMBER.slice(-4)}`;
  const created = await h.call('POST', '/v1/disbursements', {
    body: disbursementBody(fundId, 30_000, {
      beneficiary: { kind: 'farmer', name: '钱七', account: { bankName: 'ABC', accountName: '钱七', accountNumber } },
    }),
  });
  const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
    ...asApprover('approver-1'),
    body: {},
  });
  expect(approved.status).toBe(200);
  return { itemRef: created.body.disbursementId as string, noticeId: approved.body.notice.noticeId as string };
}

const reason = (n: number) => `objection from one address ${n}`;

describe('objections per source address and notice', () => {
  it('the 4th in an hour from one address is 429 rate_limited; another address, or another notice, is still heard', async () => {
    const a = await inNotice();
    const b = await inNotice();
    const now = new Date();
    for (let i = 0; i < 3; i++) await notices.fileObjection(a.noticeId, { itemRef: a.itemRef, reason: reason(i) }, now, '203.0.113.7');
    await expect(notices.fileObjection(a.noticeId, { itemRef: a.itemRef, reason: reason(3) }, now, '203.0.113.7')).rejects.toMatchObject({
      code: 'rate_limited',
    });
    await notices.fileObjection(a.noticeId, { itemRef: a.itemRef, reason: reason(4) }, now, '198.51.100.2');
    await notices.fileObjection(b.noticeId, { itemRef: b.itemRef, reason: reason(5) }, now, '203.0.113.7');
    // The next hour, the address is heard again.
    const later = new Date(now.getTime() + 60 * 60 * 1000);
    await notices.fileObjection(a.noticeId, { itemRef: a.itemRef, reason: reason(6) }, later, '203.0.113.7');
    const open = await h.call('GET', `/v1/objections?noticeId=${a.noticeId}&status=open`, { sub: 'admin-2', roles: ['fund-admin'] });
    expect(open.body.items).toHaveLength(5);
    // The address is kept only as a keyed hash.
    const scan = await documents.send(new ScanCommand({ TableName: h.services.tableName }));
    expect(JSON.stringify(scan.Items)).not.toContain('203.0.113.7');
  });

  it('a burst from one address at once: at most the limit is accepted', async () => {
    const a = await inNotice();
    const now = new Date();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => notices.fileObjection(a.noticeId, { itemRef: a.itemRef, reason: reason(i) }, now, '192.0.2.55')),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(3);
    const open = await h.call('GET', `/v1/objections?noticeId=${a.noticeId}&status=open`, { sub: 'admin-2', roles: ['fund-admin'] });
    expect(open.body.items.length).toBeLessThanOrEqual(3);
  });

  it('over HTTP: 429 problem+json from the API, an HTML message from the page form', async () => {
    const a = await inNotice();
    const path = `/public/notices/${a.noticeId}/objections`;
    for (let i = 0; i < 3; i++)
      expect((await h.call('POST', path, { ...PUBLIC, body: { itemRef: a.itemRef, reason: reason(i) } })).status).toBe(202);
    const refused = await h.call('POST', path, { ...PUBLIC, body: { itemRef: a.itemRef, reason: reason(3) } });
    expect(refused.status).toBe(429);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.body.code).toBe('rate_limited');
    const form = new URLSearchParams({ itemRef: a.itemRef, reason: reason(4) }).toString();
    const page = await h.call('POST', `/notices/${a.noticeId}/objections`, { ...PUBLIC, body: form });
    expect(page.status).toBe(429);
    expect(page.contentType).toContain('text/html');
  });
});
