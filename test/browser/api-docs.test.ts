/**
 * `/docs`, the API reference (Scalar's standalone bundle, served by the public function itself), in
 * Debian's Chromium against the real local runtime: it renders the operations and the webhooks of
 * the OpenAPI document, fetches nothing from any host but ours (no CDN fonts, scripts, telemetry),
 * runs under its CSP without one violation, and axe-core finds no serious or critical problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { axeViolations, launchChromium, seriousOf } from '#test/support/browser';

let rt: TestRuntime;
let browser: Browser;

beforeAll(async () => {
  rt = await startTestRuntime();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

interface Watched {
  page: Page;
  /** Every request the page made, by URL. */
  requests: string[];
  /** Console errors and warnings, page errors and CSP violations (securitypolicyviolation events). */
  problems: string[];
}

async function openDocs(hash = ''): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const problems: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  // A refusal Chromium does not log (an eval probe) still fires securitypolicyviolation: log each one.
  await page.addInitScript(() => {
    interface Violation {
      violatedDirective: string;
      blockedURI: string;
      sourceFile: string;
      lineNumber: number;
      columnNumber: number;
    }
    const g = globalThis as unknown as { document: { addEventListener(type: string, listener: (e: Violation) => void): void } };
    g.document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`),
    );
  });
  const response = await page.goto(`${rt.url}/docs${hash}`);
  expect(response?.status()).toBe(200);
  return { page, requests, problems };
}

describe('the API reference at /docs', () => {
  it('renders operations and webhooks from /v1/openapi.json, asks no other host for anything, breaks no CSP rule', async () => {
    // Scalar renders a section when it is shown: its deep links (#tag/…/POST/…, #webhook/POST/…) show one.
    // Each view is opened in a page of its own.
    const operation = await openDocs('#tag/disbursements/POST/v1/disbursements');
    const csp = (await operation.page.request.get(`${rt.url}/docs`)).headers()['content-security-policy'];
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/unsafe-eval/);
    // An operation (createDisbursement) by its summary.
    await operation.page.getByRole('heading', { name: 'Request a disbursement' }).first().waitFor({ timeout: 30_000 });

    // The webhooks section of the OpenAPI 3.1 document: payout.requested, with its payload's `data` schema…
    const webhook = await openDocs('#webhook/POST/payout.requested');
    await webhook.page
      .getByRole('heading', { name: /^payout\.requested/ })
      .first()
      .waitFor({ timeout: 30_000 });
    await webhook.page.getByText('bankReference').first().waitFor({ timeout: 30_000 });
    // …and its example payload (shared/schemas/examples.ts), the payout's id in it.
    await webhook.page.getByText('pay_01JDXP5C9D2E7H4K1N8S3W6ZXA').first().waitFor({ timeout: 30_000 });

    const origin = new URL(rt.url).origin;
    for (const { page, requests, problems } of [operation, webhook]) {
      const foreign = requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'));
      expect(foreign).toEqual([]);
      expect(requests).toContain(`${origin}/v1/openapi.json`);
      // The one refusal that is expected: zod 4 inside Scalar's bundle tries `Function('')` once to see
      // whether it may compile validators; refused (no 'unsafe-eval'), it validates without. Chromium logs
      // nothing for it; the securitypolicyviolation event shows it. Any other refusal fails here.
      const zodProbe = new RegExp(`^error: CSP violation: script-src eval at ${origin}/docs/reference\\.js`);
      expect(problems.filter((p) => !zodProbe.test(p))).toEqual([]);
      await page.context().close();
    }
  }, 90_000);

  it('has no serious or critical axe-core violations (an operation, a webhook)', async () => {
    const views = [
      { hash: '#tag/disbursements/POST/v1/disbursements', heading: 'Request a disbursement' },
      { hash: '#webhook/POST/payout.requested', heading: /^payout\.requested/ },
    ];
    for (const view of views) {
      const { page } = await openDocs(view.hash);
      await page.getByRole('heading', { name: view.heading }).first().waitFor({ timeout: 30_000 });
      // axe-core is injected through the DevTools protocol, not a <script>: the page's CSP stays as served.
      const serious = seriousOf(await axeViolations(page)).map((v) => `${v.id} (${v.nodes.length})`);
      expect(serious, view.hash).toEqual([]);
      await page.context().close();
    }
  }, 90_000);
});
