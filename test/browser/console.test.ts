/**
 * The fund console in a real browser: Debian's Chromium driven by playwright-core against the real
 * local runtime (DynamoDB Local, the SQS emulator, the handlers, the hosted-UI stand-in). Signs in with
 * PKCE, checks the overview's figures against the API, approves, redelivers, switches language, and
 * runs axe-core on every page. Without /usr/bin/chromium these tests fail, saying how to install it.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureConsoleBuilt } from '#local/console-build';
import { yuanFromFen } from '../../console/money.ts';
import { eventually } from '#test/support/eventually';
import { startReceiver, type Receiver } from '#test/support/receiver';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const BUNDLE_BUDGET_BYTES = 250 * 1024;
const COUNTIES = ['522727', '433130'] as const;
const COUNTY_NAMES: Record<string, string> = { '522727': 'Danzhai', '433130': 'Huayuan' };
/** How the console labels a county: name · code. */
const countyCell = (code: string) => `${COUNTY_NAMES[code]} · ${code}`;
const AXE_SOURCE = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

const suiteStarted = performance.now();
const figures: Record<string, number> = {};
let rt: TestRuntime;
let receiver: Receiver;
let receiverHealthy = false;
let browser: Browser;
let fundId: string;
let pendingId: string;
let ownRequestId: string;
let halfApprovedId: string;
let batchId: string;
let failedPayoutId: string;
let toCorrectPayoutId: string;
const consoleErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM}: install it with \`apt-get update && apt-get install -y chromium\` (as root). .ci/run does this when it is missing.`,
    );
  }
  const build = await ensureConsoleBuilt();
  if (build.built) figures.consoleBuildMs = Math.round(build.ms);
  receiver = await startReceiver({ respond: () => ({ status: receiverHealthy ? 200 : 500 }) });
  rt = await startTestRuntime({ env: { WEBHOOK_RETRY_SCHEDULE: '1,1', WEBHOOK_TIMEOUT_MS: '2000' } });
  [browser] = await Promise.all([chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }), seed()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await rt?.stop();
  await receiver?.stop();
  figures.browserSuiteMs = Math.round(performance.now() - suiteStarted);
  await mkdir('.tmp', { recursive: true });
  await writeFile(join('.tmp', 'console-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  console.info('console figures', figures);
});

/** The one place this test creates a fund, so a change to fund creation is a change here. */
async function createFund(): Promise<string> {
  const res = await rt.api('POST', '/v1/funds', {
    roles: 'fund-admin',
    sub: 'admin',
    idempotencyKey: 'console-fund',
    body: { name: 'Rural revitalisation 2026', currency: 'CNY', totalBudget: 1_000_000_000_00, financeSystem: 'ledger-bot' },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.fundId as string;
}

function disbursementBody(amount: number, name: string) {
  return {
    fundId,
    countyCode: COUNTIES[0],
    amount,
    currency: 'CNY',
    purpose: 'produce-subsidy',
    beneficiary: {
      kind: 'cooperative',
      name,
      account: { bankName: 'Agricultural Bank of China', accountName: name, accountNumber: `62284800${String(amount).padStart(8, '0')}` },
    },
  };
}

async function seed(): Promise<void> {
  const admin = { roles: 'fund-admin', sub: 'admin' };
  for (const countyCode of COUNTIES) {
    const body = { name: COUNTY_NAMES[countyCode], province: 'Guizhou', modelCounty: true };
    expect((await rt.api('PUT', `/v1/counties/${countyCode}`, { ...admin, body })).status).toBe(201);
  }
  fundId = await createFund();
  for (const [countyCode, amount] of [
    [COUNTIES[0], 50_000_000_00],
    [COUNTIES[1], 20_000_000_00],
  ] as const) {
    expect((await rt.api('PUT', `/v1/funds/${fundId}/allocations/${countyCode}`, { ...admin, body: { amount } })).status).toBe(200);
  }
  // The finance system binds its own endpoint, with its own token.
  const endpoint = await rt.api('POST', '/v1/webhook-endpoints', {
    roles: 'finance-system',
    sub: 'ledger-bot',
    body: {
      url: `${receiver.url}/webhooks`,
      events: ['payout.requested'],
      description: 'finance (answers 500 until healthy)',
    },
  });
  expect(endpoint.status).toBe(201);

  const request = async (sub: string, roles: string, amount: number, name: string) => {
    const res = await rt.api('POST', '/v1/disbursements', {
      roles,
      sub,
      idempotencyKey: `dsb-${amount}`,
      body: disbursementBody(amount, name),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.disbursementId as string;
  };
  pendingId = await request('maker', 'requester', 2_500_000, 'Danzhai Tea Cooperative');
  ownRequestId = await request('checker', 'requester,approver', 1_200_000, 'Danzhai Silk Cooperative');
  // 1.5 million yuan: over the default dual-approval threshold, so one approval leaves it pending.
  halfApprovedId = await request('maker', 'requester', 150_000_000, 'Danzhai Road Cooperative');
  const first = await rt.api('POST', `/v1/disbursements/${halfApprovedId}/approve`, { roles: 'approver', sub: 'checker', body: {} });
  expect(first.body).toMatchObject({ status: 'pending_approval', requiredApprovals: 2 });
  const batch = await rt.api('POST', '/v1/disbursement-batches', {
    roles: 'requester',
    sub: 'maker',
    idempotencyKey: 'bat-1',
    body: {
      fundId,
      countyCode: COUNTIES[0],
      purpose: 'training',
      items: [{ amount: 300_000, beneficiary: disbursementBody(300_000, 'Paika Weaving Cooperative').beneficiary }],
    },
  });
  expect(batch.status, JSON.stringify(batch.body)).toBe(201);
  batchId = batch.body.batchId as string;
  const toFail = await request('maker', 'requester', 800_000, 'Danzhai Honey Cooperative');
  const approved = await rt.api('POST', `/v1/disbursements/${toFail}/approve`, { roles: 'approver', sub: 'other-checker', body: {} });
  expect(approved.status).toBe(200);
  failedPayoutId = approved.body.payoutId as string;
  // A payout the bank returned (account closed): the Failures page corrects it.
  const toCorrect = await request('maker', 'requester', 660_000, 'Danzhai Rice Cooperative');
  const approvedToCorrect = await rt.api('POST', `/v1/disbursements/${toCorrect}/approve`, {
    roles: 'approver',
    sub: 'other-checker',
    body: {},
  });
  expect(approvedToCorrect.status).toBe(200);
  toCorrectPayoutId = approvedToCorrect.body.payoutId as string;
  const returned = await rt.api('POST', `/v1/payouts/${toCorrectPayoutId}/settlement`, {
    roles: 'finance-system',
    sub: 'ledger-bot',
    body: { outcome: 'failed', failureCode: 'account_closed' },
  });
  expect(returned.status, JSON.stringify(returned.body)).toBe(200);

  const campaign = await rt.api('POST', '/v1/campaigns', {
    roles: 'campaign-operator',
    sub: 'ops',
    idempotencyKey: 'cmp-1',
    body: {
      countyCode: COUNTIES[1],
      title: 'Huayuan kiwi week',
      channel: 'livestream',
      products: [{ sku: 'KIWI-5KG', name: 'Kiwi 5 kg', unitPrice: 6800, promoPrice: 5900 }],
      startsAt: new Date(Date.now() + 3_600_000).toISOString(),
      endsAt: new Date(Date.now() + 8 * 86_400_000).toISOString(),
      subsidy: { fundId, amount: 300_000_00 },
    },
  });
  expect(campaign.status, JSON.stringify(campaign.body)).toBe(201);
  const station = await rt.api('POST', '/v1/stations', {
    roles: 'station-officer',
    sub: 'officer-a',
    idempotencyKey: 'stn-1',
    body: {
      countyCode: COUNTIES[0],
      village: 'Paika',
      name: 'Paika village service station',
      kind: 'village-service-station',
      operator: { name: 'Wang Fang', phone: '13812345678', nationalId: '11010519491231002X' },
    },
  });
  expect(station.status, JSON.stringify(station.body)).toBe(201);
}

async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  return { context, page };
}

/** Through the console's Sign in button, the hosted UI (roles and a name) and back with a PKCE code. */
async function signIn(page: Page, name: string, roles: string[]): Promise<void> {
  await page.goto(`${rt.url}/console/`);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/oauth2\/authorize\?/);
  await page.getByLabel('Name').fill(name);
  for (const box of await page.getByRole('checkbox').all()) {
    const role = await box.getAttribute('value');
    await box.setChecked(roles.includes(role ?? ''));
  }
  await page.getByRole('button', { name: /Continue/ }).click();
  await page.getByRole('heading', { level: 1, name: '概览' }).waitFor();
}

async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated over CDP, so the page's CSP (no inline scripts) stays as it is.
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(async () => {
    // Runs in the page; this file type-checks without the DOM library.
    const page = globalThis as unknown as {
      document: unknown;
      axe: {
        run: (
          context: unknown,
          options: unknown,
        ) => Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown }[] }[] }>;
      };
    };
    return page.axe.run(page.document, { resultTypes: ['violations'] });
  });
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
}

const tableRows = (page: Page, name: string) =>
  page
    .locator(`table[data-table="${name}"] tbody tr`)
    .evaluateAll((rows) =>
      (rows as unknown as { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> }[]).map((row) =>
        Array.from(row.querySelectorAll('th, td'), (cell) => cell.textContent?.trim() ?? ''),
      ),
    );

describe('the fund console', () => {
  it('signs in through the hosted UI with PKCE, in Chinese by default, with a heading on every page', async () => {
    const { context, page } = await newPage();
    expect(
      await seriousViolations(
        await (async () => {
          await page.goto(`${rt.url}/console/`);
          return page;
        })(),
      ),
    ).toEqual([]);
    await signIn(page, 'auditor-1', ['auditor']);
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await expect(page.getByText('当前用户：auditor-1（auditor）').count()).resolves.toBe(1);
    for (const [link, heading] of [
      ['审批', '审批'],
      ['付款', '付款'],
      ['失败支付', '失败的支付'],
      ['促销活动', '促销活动'],
      ['服务站', '服务站'],
      ['概览', '概览'],
    ]) {
      await page.getByRole('navigation').getByRole('link', { name: link }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    }
    await context.close();
  }, 60_000);

  it('shows the overview figures the API reports, charts drawn with their tables', async () => {
    // The seed's failing payout runs out of retries about two seconds after its approval: compare
    // the page with the API once it has, not while it is moving.
    await eventually(
      async () => (await rt.api('GET', `/v1/payouts/${failedPayoutId}`, { roles: 'auditor' })).body.status,
      (s) => s === 'delivery_failed',
      30_000,
    );
    const { context, page } = await newPage();
    await signIn(page, 'auditor-1', ['auditor']);
    // A fresh navigation, signed in: from navigation start to the charts on screen.
    await page.goto(`${rt.url}/console/#/overview`);
    await page.locator('[data-chart="payouts"] svg.bars rect').first().waitFor({ state: 'attached' });
    figures.overviewChartsDrawnMs = Math.round(
      await page.evaluate(() =>
        Math.max(...['chart:allocations', 'chart:payouts'].map((n) => performance.getEntriesByName(n)[0]?.startTime ?? Infinity)),
      ),
    );
    const assets = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => e.name)
        .filter((n) => n.includes('/console/assets/')),
    );
    let gzipped = 0;
    for (const asset of assets) gzipped += gzipSync(Buffer.from(await (await fetch(asset)).arrayBuffer()), { level: 9 }).length;
    figures.firstPageGzipBytes = gzipped;
    expect(gzipped).toBeLessThan(BUNDLE_BUDGET_BYTES);

    const auditor = { roles: 'auditor', sub: 'auditor-1' };
    const fund = (await rt.api('GET', `/v1/funds/${fundId}`, auditor)).body;
    for (const key of ['totalBudget', 'allocated', 'reserved', 'paid', 'unallocated']) {
      expect(await page.locator(`[data-figure="${key}"] dd`).textContent(), key).toBe(yuanFromFen(fund[key], 'zh-CN'));
    }
    const allocations = (await rt.api('GET', `/v1/funds/${fundId}/allocations`, auditor)).body.items as Record<string, number | string>[];
    await page.locator('[data-chart="allocations"]').getByRole('button', { name: '以表格显示数据' }).click();
    expect(await tableRows(page, 'allocations')).toEqual(
      allocations.map((a) => [
        countyCell(a.countyCode as string),
        ...(['allocated', 'reserved', 'paid', 'available'] as const).map((k) => yuanFromFen(a[k] as number, 'zh-CN')),
      ]),
    );
    const statuses = ['queued', 'sent', 'settled', 'failed', 'delivery_failed'];
    const labels = ['排队中', '已发送', '已结算', '失败', '投递失败'];
    const counts = await Promise.all(
      statuses.map(
        async (status) =>
          ((await rt.api('GET', `/v1/payouts?status=${status}&limit=100`, auditor)).body.items as { fundId: string }[]).filter(
            (p) => p.fundId === fundId,
          ).length,
      ),
    );
    expect(await tableRows(page, 'payouts')).toEqual(statuses.map((_, i) => [labels[i], String(counts[i])]));
    const reports = await Promise.all(
      allocations.map(async (a) => (await rt.api('GET', `/v1/counties/${a.countyCode}/report`, auditor)).body),
    );
    expect(await tableRows(page, 'reports')).toEqual(
      reports.map((r) => [
        countyCell(r.countyCode),
        ...[
          r.disbursements.pendingApproval.count,
          r.disbursements.approved.count,
          r.disbursements.paid.count,
          r.disbursements.payoutFailed.count,
          r.campaigns.scheduled,
          r.campaigns.active,
          r.campaigns.ended,
          r.campaigns.cancelled,
        ].map(String),
      ]),
    );
    if (process.env.CONSOLE_SCREENSHOT) await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT, fullPage: true });
    await context.close();
  }, 60_000);

  it('approves a pending disbursement once, even on a double click, and a listed pending batch', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'checker', ['approver', 'requester']);
    await page.getByRole('link', { name: '审批' }).click();
    const row = page.locator(`tr[data-disbursement="${pendingId}"]`);
    await row.getByRole('textbox').first().fill('核对无误');
    await row.getByRole('button', { name: '批准' }).dblclick();
    await page
      .getByRole('status')
      .filter({ hasText: `${pendingId}：已批准` })
      .waitFor();
    const after = (await rt.api('GET', `/v1/disbursements/${pendingId}`, { roles: 'auditor' })).body;
    expect(after.status).toBe('approved');
    expect(after.approvals).toEqual([expect.objectContaining({ approver: 'checker', comment: '核对无误' })]);
    // The list is read again after the decision: the approved row leaves it.
    await row.waitFor({ state: 'detached' });

    // Pending batches are listed and decided the same way.
    const batchRow = page.locator(`tr[data-batch="${batchId}"]`);
    await batchRow.getByRole('button', { name: '批准' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${batchId}：已批准` })
      .waitFor();
    const decided = (await rt.api('GET', `/v1/disbursement-batches/${batchId}`, { roles: 'auditor' })).body;
    expect(decided.approvals).toEqual([expect.objectContaining({ approver: 'checker' })]);
    expect(decided.status).not.toBe('pending_approval');
    await context.close();
  }, 60_000);

  it("disables Approve on the approver's own request and on one they already approved, with the reason", async () => {
    const { context, page } = await newPage();
    await signIn(page, 'checker', ['approver', 'requester']);
    await page.getByRole('link', { name: '审批' }).click();
    const row = page.locator(`tr[data-disbursement="${ownRequestId}"]`);
    const approve = row.getByRole('button', { name: '批准' });
    expect(await approve.isDisabled()).toBe(true);
    expect(await row.getByRole('button', { name: '驳回' }).isDisabled()).toBe(true);
    const reasonId = await approve.getAttribute('aria-describedby');
    expect(await page.locator(`#${reasonId}`).textContent()).toBe('这是您本人提交的申请，须由其他审批人审批。');

    // Approved once by this approver, waiting for a second one: Approve is disabled, Reject is not.
    const half = page.locator(`tr[data-disbursement="${halfApprovedId}"]`);
    expect(await half.locator('td').nth(8).textContent()).toBe('1 / 2');
    const approveAgain = half.getByRole('button', { name: '批准' });
    expect(await approveAgain.isDisabled()).toBe(true);
    expect(await page.locator(`#${await approveAgain.getAttribute('aria-describedby')}`).textContent()).toBe('您已经批准过。');
    expect(await half.getByRole('button', { name: '驳回' }).isDisabled()).toBe(false);
    await context.close();
  }, 60_000);

  it('a fund-admin corrects a failed payout from the Failures page, and the correction appears under Approvals', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'admin-2', ['fund-admin']);
    await page.getByRole('link', { name: '失败支付' }).click();
    await page.getByRole('heading', { level: 1, name: '失败的支付' }).waitFor();
    // The chart's table holds the same figures: the returned payout under its code.
    await page.locator('table[data-table="failures-by-code"]').waitFor({ state: 'attached' });
    expect(await tableRows(page, 'failures-by-code')).toContainEqual(['账户已销户', expect.stringContaining('6,600')]);
    const row = page.locator(`tr[data-payout="${toCorrectPayoutId}"]`);
    await row.getByRole('button', { name: '更正' }).click();
    expect(await seriousViolations(page)).toEqual([]);
    await row.getByLabel('开户银行').fill('Guizhou Rural Credit Union');
    await row.getByLabel('账号').fill('6222020200998877');
    await row.getByLabel('理由').fill('原账户已销户，合作社提供了新账户');
    await row.getByRole('button', { name: '提交更正待审批' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${toCorrectPayoutId} 已由` })
      .waitFor();
    const correction = (await rt.api('GET', `/v1/payouts/${toCorrectPayoutId}`, { roles: 'auditor' })).body.correctedBy as string;
    expect(correction).toMatch(/^dsb_/);
    expect((await rt.api('GET', `/v1/disbursements/${correction}`, { roles: 'auditor' })).body).toMatchObject({
      status: 'pending_approval',
      amount: 660_000,
      requestedBy: 'admin-2',
    });

    await page.getByRole('link', { name: '审批' }).click();
    const pending = page.locator(`tr[data-disbursement="${correction}"]`);
    await pending.waitFor();
    expect(await pending.textContent()).toContain('Danzhai');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 60_000);

  it('redelivers a delivery_failed payout and links to the delivery log', async () => {
    await eventually(
      async () => (await rt.api('GET', `/v1/payouts/${failedPayoutId}`, { roles: 'auditor' })).body.status,
      (s) => s === 'delivery_failed',
      30_000,
    );
    const { context, page } = await newPage();
    await signIn(page, 'admin', ['fund-admin']);
    await page.getByRole('link', { name: '付款' }).click();
    await page.getByLabel('状态').selectOption('delivery_failed');
    const row = page.locator(`tr[data-payout="${failedPayoutId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('class')).toContain('attention');
    receiverHealthy = true;
    await row.getByRole('button', { name: '重新投递' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `${failedPayoutId} 已重新排队` })
      .waitFor();
    await eventually(
      async () => (await rt.api('GET', `/v1/payouts/${failedPayoutId}`, { roles: 'auditor' })).body.status,
      (s) => s === 'sent',
      30_000,
    );

    await page.getByRole('link', { name: /的投递日志$/ }).click();
    await page.getByRole('heading', { level: 1, name: '投递日志' }).waitFor();
    // The log loads after the heading: wait for its first line before reading it.
    await page.locator('table[data-table="deliveries"] tbody tr').first().waitFor();
    const outcomes = (await tableRows(page, 'deliveries')).map((cells) => cells[4]);
    expect(outcomes).toContain('失败');
    expect(outcomes).toContain('成功');
    await context.close();
  }, 90_000);

  it('switches to English and back, keeping the choice', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'checker', ['approver']);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.getByRole('link', { name: 'Approvals' }).click();
    const row = page.locator(`tr[data-disbursement="${ownRequestId}"]`);
    expect(await row.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await row.getByRole('button', { name: 'Reject' }).count()).toBe(1);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Approvals' }).waitFor();
    await page.getByRole('button', { name: '中文' }).click();
    await page.getByRole('heading', { level: 1, name: '审批' }).waitFor();
    await context.close();
  }, 60_000);

  it('has no serious or critical axe-core violations on any page, in either language', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'admin', ['fund-admin', 'approver', 'auditor']);
    const endpoints = (await rt.api('GET', '/v1/webhook-endpoints', { roles: 'auditor' })).body.items as { endpointId: string }[];
    const found: Record<string, string[]> = {};
    for (const locale of ['zh-CN', 'en']) {
      for (const [route, ready] of [
        ['overview', '[data-chart="allocations"]'],
        ['approvals', 'table[data-table="pending-disbursements"]'],
        ['payouts', 'table[data-table="payouts"]'],
        ['failures', '[data-chart="failures-by-code"]'],
        ['campaigns', '[data-chart="campaigns"]'],
        ['stations', '[data-chart="stations"]'],
        [`deliveries/${endpoints[0]!.endpointId}`, 'table[data-table="deliveries"]'],
      ]) {
        await page.goto(`${rt.url}/console/#/${route}`);
        await page.locator(ready!).first().waitFor();
        const violations = await seriousViolations(page);
        if (violations.length > 0) found[`${locale} ${route}`] = violations;
      }
      if (locale === 'zh-CN') await page.getByRole('button', { name: 'English' }).click();
    }
    await page.goto(
      `${rt.url}/oauth2/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: 'relief-fund-console',
        redirect_uri: `${rt.url}/console/`,
        state: 's',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })}`,
    );
    const hosted = await seriousViolations(page);
    if (hosted.length > 0) found['hosted sign-in'] = hosted;
    expect(found).toEqual({});
    await context.close();
  }, 90_000);

  it('logged no console errors on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
