/**
 * Duplicate-beneficiary screening on DynamoDB Local, through the disbursements and batches handlers:
 * a second payment to one account in one fund is flagged, the flag blocks the final approval (409
 * flagged) until a fund-admin other than the requester clears it with a reason, batches flag rows that
 * repeat an account inside the batch or outside it, and rejected or cancelled items never match.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { useLocalServices } from '#test/support/local-services';
import { handlerCaller, type Call, type HttpHandler as Handler, type Reply } from '#test/support/handler-call';
import type { HttpFunctionName } from '#shared/routes';
import { asApprover, asRequester, beneficiaryNo, COUNTY, disbursementBody, FINANCE_SYSTEM } from './disbursement-harness.ts';
import { fundsContext } from '#test/support/contexts';

let call: (method: string, path: string, options?: Call) => Promise<Reply>;
let fund: () => Promise<string>;
let scanAll: () => Promise<Record<string, unknown>[]>;
let tableName: string;

const asAdmin = (sub = 'admin-2'): Call => ({ sub, roles: ['fund-admin'] });
const asAuditor: Call = { sub: 'aud', roles: ['auditor'] };
/** A requester who is also a fund-admin: may create, and tries to clear their own flags. */
const asRequestingAdmin: Call = { sub: 'requester-admin', roles: ['requester', 'fund-admin'] };

beforeAll(async () => {
  const services = await useLocalServices();
  const load = async (path: string) => ((await import(path)) as { handler: Handler }).handler;
  const handlers: Partial<Record<HttpFunctionName, Handler>> = {
    disbursements: await load('#functions/http/disbursements'),
    batches: await load('#functions/http/batches'),
  };
  const funds = await fundsContext();
  const { putCounty } = await import('#shared/data/counties/items');
  await putCounty({ countyCode: COUNTY, name: 'Shizhu', province: 'Chongqing', modelCounty: true }, new Date());
  call = handlerCaller(handlers, { sub: 'requester-1', roles: ['requester'] });
  fund = async () => {
    const created = await funds.createFund(
      {
        name: 'Relief fund',
        financeSystem: FINANCE_SYSTEM,
        noticePeriod: 'P0D',
        totalBudget: 1_000_000_000,
        dualApprovalThreshold: 100_000_000,
      },
      { sub: 'admin-1' },
      new Date(),
    );
    await funds.setAllocation(created.fundId, COUNTY, 500_000_000, { sub: 'admin-1' }, new Date());
    return created.fundId;
  };
  scanAll = () => services.scanTable();
  tableName = services.tableName;
});

const create = (body: unknown, as: Call = asRequester()) => call('POST', '/v1/disbursements', { ...as, body });
const approve = (id: string, approver = 'approver-1') =>
  call('POST', `/v1/disbursements/${id}/approve`, { ...asApprover(approver), body: {} });
const clear = (id: string, as: Call, reason = 'Second tranche of the same cooperative, agreed by the board') =>
  call('POST', `/v1/disbursements/${id}/clear-flags`, { ...as, body: { reason } });

function batchRows(accounts: readonly number[]) {
  return accounts.map((n) => ({ beneficiary: beneficiaryNo(n), amount: 1_000 }));
}
const createBatch = (fundId: string, accounts: readonly number[], as: Call = asRequester()) =>
  call('POST', '/v1/disbursement-batches', {
    ...as,
    body: { fundId, countyCode: COUNTY, purpose: 'produce-subsidy', items: batchRows(accounts) },
  });

describe('disbursements', () => {
  it('the first payment to an account is not flagged; a second one in the same fund is, and only in that fund', async () => {
    const fundId = await fund();
    const first = await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(1) }));
    expect(first.status).toBe(201);
    expect(first.body.flags).toEqual([]);
    // Another name on the same account is the same account.
    const renamed = { ...beneficiaryNo(1), name: 'Another cooperative', account: { ...beneficiaryNo(1).account, accountName: 'Another' } };
    const second = await create(disbursementBody(fundId, 2_000, { beneficiary: renamed }));
    expect(second.status).toBe(201);
    expect(second.body.flags).toEqual([
      {
        code: 'duplicate_beneficiary',
        severity: 'high',
        matches: [first.body.disbursementId],
        dueAt: new Date(Date.parse(second.body.createdAt) + 3 * 86_400_000).toISOString(),
        clearedBy: null,
        clearedAt: null,
        reason: null,
      },
    ]);
    const third = await create(disbursementBody(fundId, 3_000, { beneficiary: beneficiaryNo(1) }));
    expect(third.body.flags[0].matches).toEqual([first.body.disbursementId, second.body.disbursementId]);

    const otherFund = await fund();
    expect((await create(disbursementBody(otherFund, 1_000, { beneficiary: beneficiaryNo(1) }))).body.flags).toEqual([]);
    expect((await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(2) }))).body.flags).toEqual([]);
  });

  it('the account number is never stored in the clear for screening', async () => {
    const fundId = await fund();
    await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(77) }));
    const index = (await scanAll()).filter((i) => String(i.pk).startsWith(`BENEF#${fundId}#`));
    expect(index.map((i) => i.sk).sort()).toEqual(['LATEST', expect.stringMatching(/^USE#/)]);
    expect(JSON.stringify(index)).not.toContain(beneficiaryNo(77).account.accountNumber);
  });

  it('a flag blocks the final approval until another fund-admin clears it with a reason; the requester cannot', async () => {
    const fundId = await fund();
    await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(3) }), asRequestingAdmin);
    const flagged = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(3) }), asRequestingAdmin)).body;
    expect(flagged.flags).toHaveLength(1);

    const blocked = await approve(flagged.disbursementId);
    expect([blocked.status, blocked.body.code]).toEqual([409, 'flagged']);
    expect((await call('GET', `/v1/disbursements/${flagged.disbursementId}`, asAuditor)).body).toMatchObject({
      status: 'pending_approval',
      approvals: [],
    });

    const own = await clear(flagged.disbursementId, asRequestingAdmin);
    expect([own.status, own.body.code]).toEqual([403, 'self_approval']);
    const notAdmin = await clear(flagged.disbursementId, { sub: 'approver-1', roles: ['approver'] });
    expect([notAdmin.status, notAdmin.body.code]).toEqual([403, 'forbidden']);
    const empty = await call('POST', `/v1/disbursements/${flagged.disbursementId}/clear-flags`, { ...asAdmin(), body: {} });
    expect(empty.status).toBe(400);

    const cleared = await clear(flagged.disbursementId, asAdmin('admin-2'));
    expect(cleared.status).toBe(200);
    expect(cleared.body.flags).toEqual([
      expect.objectContaining({
        clearedBy: 'admin-2',
        clearedAt: expect.any(String),
        reason: 'Second tranche of the same cooperative, agreed by the board',
      }),
    ]);
    expect(cleared.body.history.at(-1)).toMatchObject({
      action: 'flags_cleared',
      actor: 'admin-2',
      fromStatus: 'pending_approval',
      toStatus: 'pending_approval',
      reason: 'Second tranche of the same cooperative, agreed by the board',
    });
    const again = await clear(flagged.disbursementId, asAdmin('admin-3'));
    expect([again.status, again.body.code]).toEqual([409, 'invalid_state']);

    const approved = await approve(flagged.disbursementId);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', payoutId: expect.any(String) });
    const audit = (await scanAll()).filter((i) => i.pk === `DSB#${flagged.disbursementId}` && String(i.sk).startsWith('AUDIT#'));
    expect(audit.find((a) => a.action === 'disbursement.flags_cleared')).toMatchObject({
      actor: 'admin-2',
      reason: expect.stringContaining('Second tranche'),
    });
  });

  it('with two approvals required, the first approval of a flagged disbursement is recorded and the second is 409 flagged', async () => {
    const fundId = await fund();
    await create(disbursementBody(fundId, 100_000_000, { beneficiary: beneficiaryNo(4) }));
    const flagged = (await create(disbursementBody(fundId, 100_000_000, { beneficiary: beneficiaryNo(4) }))).body;
    expect(flagged.requiredApprovals).toBe(2);
    expect((await approve(flagged.disbursementId, 'approver-1')).status).toBe(200);
    const second = await approve(flagged.disbursementId, 'approver-2');
    expect([second.status, second.body.code]).toEqual([409, 'flagged']);
    expect((await clear(flagged.disbursementId, asAdmin())).status).toBe(200);
    expect((await approve(flagged.disbursementId, 'approver-2')).body.status).toBe('approved');
  });

  it('rejected and cancelled earlier disbursements do not flag', async () => {
    const fundId = await fund();
    const rejected = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(5) }))).body;
    expect(
      (
        await call('POST', `/v1/disbursements/${rejected.disbursementId}/reject`, {
          ...asApprover('approver-1'),
          body: { reason: 'wrong county' },
        })
      ).status,
    ).toBe(200);
    const cancelled = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(5) }))).body;
    expect(cancelled.flags).toEqual([]);
    expect(
      (await call('POST', `/v1/disbursements/${cancelled.disbursementId}/cancel`, { ...asRequester(), body: { reason: 'typo' } })).status,
    ).toBe(200);
    const next = await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(5) }));
    expect(next.body.flags).toEqual([]);
    // A live one does, and names only itself.
    const after = await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(5) }));
    expect(after.body.flags[0].matches).toEqual([next.body.disbursementId]);
  });

  it('concurrent creations paying one account: all but the first are flagged', async () => {
    const fundId = await fund();
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(6) }))),
    );
    expect(replies.every((r) => r.status === 201)).toBe(true);
    expect(replies.filter((r) => r.body.flags.length === 0)).toHaveLength(1);
  });
});

describe('batches', () => {
  it('flags rows that repeat an account inside the batch, and rows an earlier disbursement pays', async () => {
    const fundId = await fund();
    const earlier = (await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(12) }))).body;
    const res = await createBatch(fundId, [10, 11, 10, 12, 13]);
    expect(res.status).toBe(201);
    expect(res.body.flags).toEqual({ count: 3, cleared: false });
    const batchId = res.body.batchId as string;
    const page1 = await call('GET', `/v1/disbursement-batches/${batchId}/flags?limit=2`, asAuditor);
    expect(page1.status).toBe(200);
    const rowFlag = {
      code: 'duplicate_beneficiary',
      severity: 'high',
      dueAt: expect.any(String),
      clearedBy: null,
      clearedAt: null,
      reason: null,
    };
    expect(page1.body.items).toEqual([
      { row: 0, ...rowFlag, matches: [batchId] },
      { row: 2, ...rowFlag, matches: [batchId] },
    ]);
    const page2 = await call(
      'GET',
      `/v1/disbursement-batches/${batchId}/flags?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`,
      asAuditor,
    );
    expect(page2.body).toEqual({ items: [{ row: 3, ...rowFlag, matches: [earlier.disbursementId] }], nextCursor: null });

    // A later disbursement to a row's account matches the batch.
    expect((await create(disbursementBody(fundId, 1_000, { beneficiary: beneficiaryNo(13) }))).body.flags[0].matches).toEqual([batchId]);
  });

  it('a flagged batch: 409 flagged on the final approval until another fund-admin clears it; the requester cannot', async () => {
    const fundId = await fund();
    const batch = (await createBatch(fundId, [20, 20], asRequestingAdmin)).body;
    const approveBatch = () => call('POST', `/v1/disbursement-batches/${batch.batchId}/approve`, { ...asApprover('approver-1'), body: {} });
    const blocked = await approveBatch();
    expect([blocked.status, blocked.body.code]).toEqual([409, 'flagged']);
    const clearBatch = (as: Call) =>
      call('POST', `/v1/disbursement-batches/${batch.batchId}/clear-flags`, { ...as, body: { reason: 'Two plots of one household' } });
    const own = await clearBatch(asRequestingAdmin);
    expect([own.status, own.body.code]).toEqual([403, 'self_approval']);
    const cleared = await clearBatch(asAdmin());
    expect(cleared.status).toBe(200);
    expect(cleared.body.flags).toEqual({ count: 1 + 1, cleared: true });
    const approved = await approveBatch();
    expect([approved.status, approved.body.status]).toEqual([200, 'approved']);
    const audit = (await scanAll()).filter((i) => i.pk === `BAT#${batch.batchId}` && i.action === 'batch.flags_cleared');
    expect(audit).toEqual([expect.objectContaining({ actor: 'admin-2', reason: 'Two plots of one household' })]);
  });

  it("reads row flags stored before 1.2 (no severity, no due time) as duplicate screening's: high, due 3 days after the batch", async () => {
    // The console holds a batch's final approval on the first high row flag it reads: an old batch's must read high.
    const fundId = await fund();
    const batch = (await createBatch(fundId, [40, 40])).body;
    const rowFlags = (await scanAll()).filter((i) => i.pk === `BAT#${batch.batchId}` && String(i.sk).startsWith('FLAG#'));
    expect(rowFlags).toHaveLength(2);
    const { documents } = await import('#shared/data/platform/clients');
    for (const { pk, sk } of rowFlags) {
      await documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk, sk },
          UpdateExpression: 'REMOVE #severity, #dueAt',
          ExpressionAttributeNames: { '#severity': 'severity', '#dueAt': 'dueAt' },
        }),
      );
    }
    const listed = await call('GET', `/v1/disbursement-batches/${batch.batchId}/flags`, asAuditor);
    const dueAt = new Date(Date.parse(batch.createdAt as string) + 3 * 86_400_000).toISOString();
    expect(listed.body.items).toEqual(
      [0, 1].map((row) => expect.objectContaining({ row, code: 'duplicate_beneficiary', severity: 'high', dueAt })),
    );
  });

  it('an unflagged batch approves as before; a rejected batch does not flag later rows or disbursements', async () => {
    const fundId = await fund();
    const batch = (await createBatch(fundId, [30, 31])).body;
    expect(batch.flags).toEqual({ count: 0, cleared: false });
    expect((await call('GET', `/v1/disbursement-batches/${batch.batchId}/flags`, asAuditor)).body).toEqual({ items: [], nextCursor: null });
    expect(
      (
        await call('POST', `/v1/disbursement-batches/${batch.batchId}/reject`, {
          ...asApprover('approver-1'),
          body: { reason: 'duplicate upload' },
        })
      ).status,
    ).toBe(200);
    expect((await createBatch(fundId, [30, 31])).body.flags).toEqual({ count: 0, cleared: false });
    const unknown = await call('GET', '/v1/disbursement-batches/bat_01JZ0000000000000000000000/flags', asAuditor);
    expect(unknown.status).toBe(404);
  });
});
