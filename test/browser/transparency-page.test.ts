/**
 * The fund's public page (公告公示) in Debian's Chromium, on a 360 px phone, served with its own headers (CSP): it
 * fits the screen with a full page of counties, axe-core finds nothing, the CSP refuses nothing on the page (its one
 * style applies), and no name, account, ID or phone planted in the inputs reaches it.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { DEFAULT_PUBLIC_COUNTIES, publicFundView } from '#shared/domain/transparency';
import { renderTransparencyPage, transparencyPageHeaders } from '#shared/http/transparency-page';
import { PLANTED, transparencyInput } from '#test/support/transparency-fixture';

const CHROMIUM = '/usr/bin/chromium';
const AXE_SOURCE = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

let browser: Browser;
let server: Server;
let url: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  const page = renderTransparencyPage(publicFundView(transparencyInput(DEFAULT_PUBLIC_COUNTIES, { nextCursor: 'next-page' })));
  server = createServer((_req, res) => {
    res.writeHead(200, transparencyPageHeaders());
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/transparency/fund_01JTRANSPARENCY0000000000`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the transparency page on a phone', () => {
  it('fits 360 px, is axe-core clean, breaks no CSP rule and shows no personal data', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const refusals: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
    });
    const response = await page.goto(url);
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
