/**
 * The transparency page as its route serves it (`GET /transparency/{fundId}`, the deployed handler on DynamoDB
 * Local), in Debian's Chromium on a 360 px phone: a fund whose disbursements name people and accounts, and whose
 * counties have Chinese names. The page fits the screen, axe-core finds nothing, the CSP refuses nothing, and no
 * beneficiary name, account number, national ID, phone or user id appears anywhere in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { axeViolations, cspRefusals, launchChromium, servePage } from '#test/support/browser';
import { COUNTY, moneyHarness, type MoneyHarness } from '../integration/disbursement-harness.ts';
const PERSON = { name: '王小明合作社', accountName: '王小明', accountNumber: '6230520012345678' };
const XIUSHAN = '500243';

let h: MoneyHarness;
let browser: Browser;
let served: Awaited<ReturnType<typeof servePage>>;

beforeAll(async () => {
  h = await moneyHarness();
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
  browser = await launchChromium();
  served = await servePage(headers, reply.text, `/transparency/${fundId}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

describe('the transparency route in Chromium', () => {
  it('fits 360 px, is axe-core clean, breaks no CSP rule and shows no person', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const refusals = cspRefusals(page);
    const response = await page.goto(served.url);
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    const text = await page.locator('main').innerText();
    expect(text).toContain('秀山土家族苗族自治县');
    expect(text).toContain('12,345.67');
    const html = await page.content();
    for (const value of [
      PERSON.name,
      PERSON.accountName,
      PERSON.accountNumber,
      PERSON.accountNumber.slice(-4),
      'zhang.san',
      'li.si',
      'finance-1',
    ]) {
      expect(html, value).not.toContain(value);
    }
    expect((await axeViolations(page)).map((v) => `${v.id} (${v.impact})`)).toEqual([]);
    expect(refusals).toEqual([]);
    await context.close();
  }, 60_000);
});
