/**
 * The transparency page as its route serves it (`GET /transparency/{fundId}`, the deployed handler on DynamoDB
 * Local), in Debian's Chromium on a 360 px phone: a fund whose disbursements name people and accounts, and whose
 * counties have Chinese names. The page fits the screen, axe-core finds nothing, the CSP refuses nothing, and no
 * beneficiary name, account number, national ID, phone or user id appears anywhere in it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPublicPageOnPhone } from '#test/support/browser';
import { COUNTY, useMoneyHarness } from '../integration/disbursement-harness.ts';

const PERSON = { name: '王小明合作社', accountName: '王小明', accountNumber: '6230520012345678' };
const XIUSHAN = '500243';

const h = useMoneyHarness({}, 120_000);
let served: Parameters<typeof checkPublicPageOnPhone>[0];

beforeAll(async () => {
  const { putCounty } = await import('#shared/data/counties/items');
  await putCounty({ countyCode: XIUSHAN, name: '秀山土家族苗族自治县', province: '重庆市', modelCounty: true }, new Date());
  const fundId = await h.fund({ allocations: { [COUNTY]: 50_000_000, [XIUSHAN]: 80_000_000 } });
  const { payoutId } = await h.approvedPayout(fundId, 1_234_567, {
    requester: 'zhang.san',
    approver: 'li.si',
    overrides: {
      countyCode: XIUSHAN,
      beneficiary: {
        kind: 'cooperative',
        name: PERSON.name,
        account: { bankName: '中国农业银行', accountName: PERSON.accountName, accountNumber: PERSON.accountNumber },
      },
    },
  });
  expect((await h.settle(payoutId, { outcome: 'succeeded', bankReference: 'BR-1' })).status).toBe(200);
  const reply = await h.call('GET', `/transparency/${fundId}`);
  expect(reply.status).toBe(200);
  const headers = { 'content-type': reply.contentType, 'content-security-policy': reply.headers?.['content-security-policy'] ?? '' };
  served = { headers, body: reply.text, path: `/transparency/${fundId}` };
}, 120_000);

describe('the transparency route in Chromium', () => {
  it('fits 360 px, is axe-core clean, breaks no CSP rule and shows no person', async () => {
    const absent = [
      PERSON.name,
      PERSON.accountName,
      PERSON.accountNumber,
      PERSON.accountNumber.slice(-4),
      'zhang.san',
      'li.si',
      'finance-1',
    ];
    await checkPublicPageOnPhone(served, absent, async (page) => {
      const text = await page.locator('main').innerText();
      expect(text).toContain('秀山土家族苗族自治县');
      expect(text).toContain('12,345.67');
    });
  }, 60_000);
});
