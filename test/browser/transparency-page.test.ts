/**
 * The fund's public page (公告公示) in Debian's Chromium, on a 360 px phone, served with its own headers (CSP): it
 * fits the screen with a full page of counties, axe-core finds nothing, the CSP refuses nothing on the page (its one
 * style applies), and no name, account, ID or phone planted in the inputs reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DEFAULT_PUBLIC_COUNTIES, publicFundView } from '#shared/domain/transparency';
import { renderTransparencyPage, transparencyPageHeaders } from '#shared/http/transparency-page';
import { PLANTED, transparencyInput } from '#test/support/transparency-fixture';
import { axeViolations, cspRefusals, launchChromium, servePage } from '#test/support/browser';

let browser: Browser;
let served: Awaited<ReturnType<typeof servePage>>;

beforeAll(async () => {
  const page = renderTransparencyPage(publicFundView(transparencyInput(DEFAULT_PUBLIC_COUNTIES, { nextCursor: 'next-page' })));
  browser = await launchChromium();
  served = await servePage(transparencyPageHeaders(), page, '/transparency/fund_01JTRANSPARENCY0000000000');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

describe('the transparency page on a phone', () => {
  it('fits 360 px, is axe-core clean, breaks no CSP rule and shows no personal data', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const refusals = cspRefusals(page);
    const response = await page.goto(served.url);
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    // the inline style applied (its hash is allowed): the progress bars span the width
    expect(
      await page
        .locator('progress')
        .first()
        .evaluate((e) => e.getBoundingClientRect().width),
    ).toBeGreaterThan(300);
    expect(await page.locator('progress').count()).toBe(DEFAULT_PUBLIC_COUNTIES + 1);
    const text = await page.locator('main').innerText();
    expect(text).toContain('秀山土家族苗族自治县');
    expect(text).toContain('Time elapsed');
    const html = await page.content();
    for (const value of Object.values(PLANTED)) expect(html).not.toContain(value);
    expect((await axeViolations(page)).map((v) => `${v.id} (${v.impact})`)).toEqual([]);
    expect(refusals).toEqual([]);
    await context.close();
  }, 60_000);
});
