/**
 * The public notice (公示) page in a real browser, as a villager's cheap phone would show it: Debian's
 * Chromium with JavaScript switched OFF and a small screen, against the real local runtime. The page
 * reads without script, shows only masked names, and its objection form posts and answers without
 * script; axe-core finds no serious or critical problem; the page's CSP refuses any script.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { axeViolations, launchChromium, seriousOf } from '#test/support/browser';
const COUNTY = '522727';
const ACCOUNT = '6230520012345678';

let rt: TestRuntime;
let browser: Browser;
let noticeId: string;
let disbursementId: string;

beforeAll(async () => {
  rt = await startTestRuntime();
  browser = await launchChromium();
  const admin = { roles: 'fund-admin', sub: 'admin' };
  expect(
    (await rt.api('PUT', `/v1/counties/${COUNTY}`, { ...admin, body: { name: '丹寨县', province: 'Guizhou', modelCounty: true } })).status,
  ).toBe(201);
  const fund = await rt.api('POST', '/v1/funds', {
    ...admin,
    idempotencyKey: 'notice-fund',
    body: { name: '最低生活保障金', currency: 'CNY', totalBudget: 100_000_000, financeSystem: 'ledger-bot', noticePeriod: 'PT10M' },
  });
  expect(fund.status, JSON.stringify(fund.body)).toBe(201);
  expect(
    (await rt.api('PUT', `/v1/funds/${fund.body.fundId}/allocations/${COUNTY}`, { ...admin, body: { amount: 100_000_000 } })).status,
  ).toBe(200);
  const created = await rt.api('POST', '/v1/disbursements', {
    roles: 'requester',
    sub: 'maker',
    idempotencyKey: 'notice-dsb',
    body: {
      fundId: fund.body.fundId,
      countyCode: COUNTY,
      amount: 120_000,
      currency: 'CNY',
      purpose: 'other',
      beneficiary: {
        kind: 'farmer',
        name: '王小明',
        account: { bankName: 'Rural Credit Cooperative', accountName: '王小明', accountNumber: ACCOUNT },
      },
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  disbursementId = created.body.disbursementId as string;
  const approved = await rt.api('POST', `/v1/disbursements/${disbursementId}/approve`, { roles: 'approver', sub: 'checker', body: {} });
  expect(approved.body.status).toBe('in_notice');
  noticeId = approved.body.notice.noticeId as string;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

async function phone(javaScriptEnabled: boolean): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 360, height: 640 }, locale: 'zh-CN' });
  return context.newPage();
}

describe('the public notice page', () => {
  it('reads without JavaScript on a small screen: masked name, amount, bilingual labels, no account', async () => {
    const page = await phone(false);
    const response = await page.goto(`${rt.url}/notices/${noticeId}`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    expect(response?.headers()['content-security-policy']).not.toMatch(/script-src/);
    const text = await page.locator('main').innerText();
    expect(text).toContain('王**');
    expect(text).toContain('¥1,200.00');
    expect(text).toContain('Public notice');
    expect(text).toContain('公示');
    expect(text).not.toContain('王小明');
    expect(await page.content()).not.toContain(ACCOUNT.slice(-4));
    await page.context().close();
  });

  it('posts an objection with JavaScript off, and the item shows as objected', async () => {
    const page = await phone(false);
    await page.goto(`${rt.url}/notices/${noticeId}`);
    await page.getByLabel(/Reason/).fill('他家去年已经领取过同类补助，请核实。');
    await page.getByLabel(/Contact/).fill('13812345678');
    await page.getByRole('button', { name: /Submit objection/ }).click();
    await page.getByRole('heading', { name: /Objection received/ }).waitFor();
    expect(await page.locator('main').innerText()).toMatch(/obj_[0-9A-Z]{26}/);
    await page.getByRole('link', { name: /Back/ }).click();
    expect(await page.locator('tbody').innerText()).toContain('Objected');
    const objections = await rt.api('GET', `/v1/objections?noticeId=${noticeId}`, { roles: 'fund-admin', sub: 'admin' });
    expect(objections.body.items).toHaveLength(1);
    expect(objections.body.items[0]).toMatchObject({ itemRef: disbursementId, contact: '138****5678' });
    await page.context().close();
  });

  it('fits a 360 px screen and has no serious or critical axe-core violations (notice and list pages)', async () => {
    const page = await phone(true);
    for (const path of [`/notices/${noticeId}`, `/notices?countyCode=${COUNTY}`]) {
      await page.goto(`${rt.url}${path}`);
      // Nothing wider than the screen: no sideways scrolling on a phone.
      expect(await page.evaluate('document.documentElement.scrollWidth'), path).toBeLessThanOrEqual(360);
      expect(
        seriousOf(await axeViolations(page)).map((v) => v.id),
        path,
      ).toEqual([]);
    }
    await page.context().close();
  });
});
