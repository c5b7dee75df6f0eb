/**
 * What the browser tests share: Debian's Chromium driven by playwright-core (never a downloaded browser), axe-core
 * injected through the DevTools protocol (not a <script>, so the page's CSP stays as served), the CSP refusals a
 * page logs, one page served as a route answered it, and the checks every public page must pass.
 */
import { existsSync } from 'node:fs';
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
const AXE_SOURCE = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`The browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  nodes: unknown[];
}

/** axe-core's violations on the page as it stands. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    const g = globalThis as unknown as {
      document: unknown;
      axe: { run: (c: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> };
    };
    return g.axe.run(g.document, { resultTypes: ['violations'] });
  });
  return results.violations;
}

/** The serious and critical ones, the bar the pages must clear. */
export const seriousOf = (violations: AxeViolation[]) => violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');

/** Every Content-Security-Policy refusal the page logs from now on (the array fills as it runs). */
export function cspRefusals(page: Page): string[] {
  const refusals: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) refusals.push(message.text());
  });
  return refusals;
}

/** Serves `body` with `headers` at every path on 127.0.0.1; the URL of `path` on it, and how to stop it. */
export async function servePage(
  headers: OutgoingHttpHeaders,
  body: string,
  path: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What every public page (no sign-in, shared by link) must hold, checked in Chromium on a 360 px phone in Chinese:
 * served as a route answers it (`headers`, `body`), its CSP allows no source but hashed styles and refuses nothing
 * on it, it fits the screen, axe-core finds no violation, and none of `absent` (the people, accounts and users
 * planted in its inputs) appears anywhere in it. `check` looks at what this page shows.
 */
export async function checkPublicPageOnPhone(
  served: { headers: OutgoingHttpHeaders; body: string; path: string },
  absent: readonly string[],
  check: (page: Page) => Promise<void>,
): Promise<void> {
  const browser = await launchChromium();
  const server = await servePage(served.headers, served.body, served.path);
  try {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const refusals = cspRefusals(page);
    const response = await page.goto(server.url);
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await check(page);
    const html = await page.content();
    for (const value of absent) expect(html, value).not.toContain(value);
    expect((await axeViolations(page)).map((v) => `${v.id} (${v.impact})`)).toEqual([]);
    expect(refusals).toEqual([]);
  } finally {
    await browser.close();
    await server.close();
  }
}
