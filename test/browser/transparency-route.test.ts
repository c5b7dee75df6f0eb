/**
 * The transparency page as its route serves it (`GET /transparency/{fundId}`, the deployed handler on DynamoDB
 * Local), in Debian's Chromium on a 360 px phone: a fund whose disbursements name people and accounts, and whose
 * counties have Chinese names. The page fits the screen, axe-core finds nothing, the CSP refuses nothing, and no
 * beneficiary name, account number, national ID, phone or user id appears anywhere in it.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import {
  asApprover,
  asFinance,
  asRequester,
  COUNTY,
  disbursementBody,
  moneyHarness,
  type MoneyHarness,
} from '../integration/disbursement-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
const AXE_SOURCE = (createRequire(import.meta.url)('axe-core') as { source: string }).source;
const PERSON = { name: '王小明合作社', accountName: '王小明', accountNumber: '6230520012345678' };
const XIUSHAN = '500243';

let h: MoneyHarness;
let browser: Browser;
let server: Server;
let url: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  h = await moneyHarness();
  const { putCounty } = await import('#shared/data/counties/items');
  await putCounty({ countyCode: XIUSHAN, name: '秀山土家族苗族自治县', province: '重庆市', modelCounty: true }, new Date());
  const fundId = await h.fund({ allocations: { [COUNTY]: 50_000_000, [XIUSHAN]: 80_000_000 } });
  const created = await h.call('POST', '/v1/disbursements', {
    ...asRequester('zhang.san'),
    body: disbursementBody(fundId, 1_234_567, {
      countyCode: XIUSHAN,
      beneficiary: {
        kind: 'cooperative',
        name: PERSON.name,
        account: { bankName: '中国农业银行', accountName: PERSON.accountName, accountNumber: PERSON.accountNumber },
      },
    }),
  });
  const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, { ...asApprover('li.si'), body: {} });
  await h.call('POST', `/v1/payouts/${approved.body.payoutId}/settlement`, {
    ...asFinance,
    body: { outcome: 'succeeded', bankReference: 'BR-1' },
  });
  const reply = await h.call('GET', `/transparency/${fundId}`);
  expect(reply.status).toBe(200);
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': reply.contentType, 'content-security-policy': reply.headers?.['content-security-policy'] ?? '' });
    res.end(reply.text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/transparency/${fundId}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the transparency route in Chromium', () => {
  it('fits 360 px, is axe-core clean, breaks no CSP rule and shows no person', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
    });
    const response = await page.goto(url);
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
    await page.evaluate(AXE_SOURCE);
    const results = await page.evaluate(async () => {
      const g = globalThis as unknown as {
        document: unknown;
        axe: { run: (c: unknown, o: unknown) => Promise<{ violations: { id: string; impact: string | null }[] }> };
      };
      return g.axe.run(g.document, { resultTypes: ['violations'] });
    });
    expect(results.violations.map((v) => `${v.id} (${v.impact})`)).toEqual([]);
    expect(refusals).toEqual([]);
    await context.close();
  }, 60_000);
});
