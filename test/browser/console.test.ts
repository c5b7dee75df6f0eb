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
import { percent } from '../../console/standing.ts';
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

/**
 * A pending batch (the maker's) whose rows all pay one account: every row repeats another, so each carries a high
 * duplicate_beneficiary flag. Returns the created batch.
 */
async function batchOfOneAccount(idempotencyKey: string, name: string, accountNumber: string, amount: number, rows: number) {
  const account = { bankName: 'Agricultural Bank of China', accountName: name, accountNumber };
  const item = { amount, beneficiary: { kind: 'cooperative', name, account } };
  const created = await rt.api('POST', '/v1/disbursement-batches', {
    roles: 'requester',
    sub: 'maker',
    idempotencyKey,
    body: { fundId, countyCode: COUNTIES[0], purpose: 'training', items: Array.from({ length: rows }, () => item) },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(created.body.flags).toEqual({ count: rows, cleared: false });
  return created.body as { batchId: string; requiredApprovals: number };
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

/** The focused element as its tag name and, for a button, its text: `<body>` when focus was lost. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const active = (globalThis as unknown as { document: { activeElement: { tagName: string; textContent: string | null } | null } })
      .document.activeElement;
    return active?.tagName === 'BUTTON' ? `BUTTON ${active.textContent?.trim()}` : (active?.tagName ?? 'none');
  });

const tableRows = (page: Page, name: string) =>
  page
    .locator(`table[data-table="${name}"] tbody tr`)
    .evaluateAll((rows) =>
      (rows as unknown as { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> }[]).map((row) =>
        Array.from(row.querySelectorAll('th, td'), (cell) => cell.textContent?.trim() ?? ''),
      ),
    );

/** The counties of a horizontal bar chart, top to bottom, with the figure at the end of each bar. */
const chartRows = (page: Page, name: string) =>
  page.locator(`[data-chart="${name}"] svg g[data-county]`).evaluateAll((groups) =>
    (
      groups as unknown as { getAttribute(a: string): string | null; querySelector(s: string): { textContent: string | null } | null }[]
    ).map((g) => ({
      county: g.getAttribute('data-county') ?? '',
      progress: (g.querySelector('.value')?.textContent ?? '').split(' · ')[0],
    })),
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
      ['支出进度', '支出进度'],
      ['报告', '报告'],
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
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
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
    // Largest allocation first, as the bars are drawn.
    expect(await tableRows(page, 'allocations')).toEqual(
      [...allocations]
        .sort((a, b) => (b.allocated as number) - (a.allocated as number))
        .map((a) => [
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
    // Where the money stands: the fund's progress, read in one request (never one county report per allocation).
    const progress = (await rt.api('GET', `/v1/funds/${fundId}/progress`, auditor)).body as {
      asOf: string;
      timeElapsed: number;
      counties: { allocated: number; paid: number; lagPoints: number; idle: { amount: number } | null }[];
    };
    const allocatedSum = progress.counties.reduce((t, c) => t + c.allocated, 0);
    const paidSum = progress.counties.reduce((t, c) => t + c.paid, 0);
    const standing = async (key: string) => page.locator(`[data-standing] [data-figure="${key}"] dd`).textContent();
    expect(await standing('asOf')).toBe(progress.asOf);
    expect(await standing('timeElapsed')).toBe(percent(progress.timeElapsed));
    expect(await standing('progress')).toBe(percent(allocatedSum === 0 ? 0 : Math.floor((paidSum / allocatedSum) * 1e6) / 1e6));
    expect(await standing('lagging')).toBe(String(progress.counties.filter((c) => c.lagPoints >= 15).length));
    expect(await standing('idle')).toBe(String(progress.counties.filter((c) => c.idle !== null).length));
    expect(await standing('idleAmount')).toBe(
      yuanFromFen(
        progress.counties.reduce((t, c) => t + (c.idle?.amount ?? 0), 0),
        'zh-CN',
      ),
    );
    const countyReports = requested.filter((u) => /\/v1\/counties\/\d+\/report/.test(u));
    expect(countyReports).toEqual([]);
    expect(requested.filter((u) => u.includes(`/v1/funds/${fundId}/progress`))).toHaveLength(1);
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

  it("shows a high flag's code, severity and due time; Approve is disabled until another fund-admin clears it with a reason", async () => {
    // The same account asked for twice in one fund: the second request carries a high duplicate_beneficiary flag.
    const body = (amount: number) => ({
      ...disbursementBody(amount, 'Danzhai Bamboo Cooperative'),
      beneficiary: {
        kind: 'cooperative',
        name: 'Danzhai Bamboo Cooperative',
        account: { bankName: 'Agricultural Bank of China', accountName: 'Danzhai Bamboo Cooperative', accountNumber: '6228480077770001' },
      },
    });
    const asMaker = { roles: 'requester', sub: 'maker' };
    expect((await rt.api('POST', '/v1/disbursements', { ...asMaker, idempotencyKey: 'dup-1', body: body(410_000) })).status).toBe(201);
    const dup = await rt.api('POST', '/v1/disbursements', { ...asMaker, idempotencyKey: 'dup-2', body: body(420_000) });
    expect(dup.body.flags, JSON.stringify(dup.body)).toEqual([
      expect.objectContaining({ code: 'duplicate_beneficiary', severity: 'high' }),
    ]);
    const flaggedId = dup.body.disbursementId as string;

    const approver = await newPage();
    await signIn(approver.page, 'checker', ['approver', 'requester']);
    await approver.page.getByRole('link', { name: '审批' }).click();
    const row = approver.page.locator(`tr[data-disbursement="${flaggedId}"]`);
    const flag = row.locator('li[data-flag="duplicate_beneficiary"]');
    await flag.waitFor();
    const shown = (await flag.textContent()) ?? '';
    expect(shown).toContain('高');
    expect(shown).toContain('重复受益人');
    expect(shown).toContain('前处理');
    expect(shown).toContain(new Date(dup.body.flags[0].dueAt as string).toLocaleString('zh-CN'));
    expect(await seriousViolations(approver.page)).toEqual([]);
    // The approver cannot clear it, nor approve while it stands (the API would answer 409 flagged), and is told why.
    expect(await row.getByRole('button', { name: '解除预警' }).isDisabled()).toBe(true);
    const approve = row.getByRole('button', { name: '批准' });
    expect(await approve.isDisabled()).toBe(true);
    expect(await approver.page.locator(`#${await approve.getAttribute('aria-describedby')}`).textContent()).toBe(
      '存在未解除的高风险预警：须由另一位基金管理员解除后才能批准。',
    );
    expect(await row.getByRole('button', { name: '驳回' }).isDisabled()).toBe(false);
    expect(
      (await rt.api('POST', `/v1/disbursements/${flaggedId}/approve`, { roles: 'approver', sub: 'checker', body: {} })).body.code,
    ).toBe('flagged');
    expect((await rt.api('GET', `/v1/disbursements/${flaggedId}`, { roles: 'auditor' })).body).toMatchObject({
      status: 'pending_approval',
      approvals: [],
    });

    // Another fund-admin clears it with a reason, on the same page.
    const admin = await newPage();
    await signIn(admin.page, 'admin-2', ['fund-admin']);
    await admin.page.getByRole('link', { name: '审批' }).click();
    const adminRow = admin.page.locator(`tr[data-disbursement="${flaggedId}"]`);
    await adminRow.getByLabel(`解除 ${flaggedId} 预警的理由`).fill('同一合作社两个项目，已核实');
    await adminRow.getByRole('button', { name: '解除预警' }).click();
    await adminRow.locator('li[data-flag="duplicate_beneficiary"]').filter({ hasText: '已由 admin-2 解除' }).waitFor();
    expect(await seriousViolations(admin.page)).toEqual([]);
    await admin.context.close();

    // Now the approval goes through.
    await approver.page.reload();
    await approver.page.getByRole('link', { name: '审批' }).click();
    await approver.page.locator(`tr[data-disbursement="${flaggedId}"]`).getByRole('button', { name: '批准' }).click();
    await approver.page
      .getByRole('status')
      .filter({ hasText: `${flaggedId}：已批准` })
      .waitFor();
    expect((await rt.api('GET', `/v1/disbursements/${flaggedId}`, { roles: 'auditor' })).body.status).toBe('approved');
    await approver.context.close();
  }, 90_000);

  it("opens a flagged batch's row flags on demand: severity, readable code and due time, paged, then who cleared them; axe-clean", async () => {
    // 60 rows paying one account, each with a high duplicate_beneficiary flag.
    const flaggedBatch = (await batchOfOneAccount('bat-flagged', 'Paika Silver Cooperative', '6228480055550060', 10_000, 60)).batchId;
    const firstPage = await rt.api('GET', `/v1/disbursement-batches/${flaggedBatch}/flags?limit=50`, { roles: 'auditor' });
    const first = (firstPage.body.items as { row: number; code: string; severity: string; dueAt: string }[])[0]!;
    expect(first).toMatchObject({ code: 'duplicate_beneficiary', severity: 'high' });

    const approver = await newPage();
    await signIn(approver.page, 'checker', ['approver']);
    await approver.page.getByRole('link', { name: '审批' }).click();
    const row = approver.page.locator(`tr[data-batch="${flaggedBatch}"]`);
    const show = row.getByRole('button', { name: '显示预警' });
    await show.waitFor();
    expect(await show.getAttribute('aria-expanded')).toBe('false');
    // Read on demand: nothing is listed until asked for.
    expect(await row.locator('li[data-flag]').count()).toBe(0);
    await show.click();
    const list = row.getByRole('list', { name: `${flaggedBatch} 的逐行预警` });
    const flag = list.locator(`li[data-row="${first.row}"]`);
    await flag.waitFor();
    expect(await row.getByRole('button', { name: '隐藏预警' }).getAttribute('aria-expanded')).toBe('true');
    const shown = (await flag.textContent()) ?? '';
    expect(shown).toContain(`第 ${first.row + 1} 行`);
    expect(shown).toContain('高');
    expect(shown).toContain('重复受益人');
    expect(shown).toContain(`${new Date(first.dueAt).toLocaleString('zh-CN')} 前处理`);
    expect(await flag.locator('.badge-danger').textContent()).toBe('高');
    // The first page of 50, then the rest through the API's cursor.
    expect(await list.locator('li').count()).toBe(50);
    expect(await row.textContent()).toContain('已显示 50 / 60 条逐行预警');
    expect(await seriousViolations(approver.page)).toEqual([]);
    await row.getByRole('button', { name: '显示更多预警' }).click();
    await row.getByText('已显示 60 / 60 条逐行预警').waitFor();
    expect(await list.locator('li').count()).toBe(60);
    // The keyboard user reads on from the first row flag the page added.
    expect(
      await list
        .locator('li')
        .nth(50)
        .evaluate((li) => li.matches(':focus')),
    ).toBe(true);
    expect(await row.getByRole('button', { name: '显示更多预警' }).count()).toBe(0);
    expect(await seriousViolations(approver.page)).toEqual([]);
    await approver.context.close();

    // Another fund-admin clears them with a reason; the rows then say who and why.
    const admin = await newPage();
    await signIn(admin.page, 'admin-2', ['fund-admin']);
    await admin.page.getByRole('link', { name: '审批' }).click();
    const adminRow = admin.page.locator(`tr[data-batch="${flaggedBatch}"]`);
    await adminRow.getByLabel(`解除 ${flaggedBatch} 预警的理由`).fill('同一合作社 60 名社员共用账户，已核实');
    await adminRow.getByRole('button', { name: '解除预警' }).click();
    await adminRow.getByText('60 行有预警，已解除').waitFor();
    await adminRow.getByRole('button', { name: '显示预警' }).click();
    await adminRow
      .locator(`li[data-row="${first.row}"]`)
      .filter({ hasText: '已由 admin-2 解除：同一合作社 60 名社员共用账户，已核实' })
      .waitFor();
    expect(await seriousViolations(admin.page)).toEqual([]);
    await admin.context.close();
  }, 90_000);

  it("holds a batch's final approval while a high row flag stands, saying why, and lets it through once a fund-admin cleared them", async () => {
    // Two rows paying one account, both with a high duplicate_beneficiary flag. The list row says only
    // `{ count: 2, cleared: false }`: the console reads the row flags to learn that one is high.
    const created = await batchOfOneAccount('bat-held', 'Paika Lusheng Cooperative', '6228480055550002', 20_000, 2);
    expect(created.requiredApprovals).toBe(1);
    const heldBatch = created.batchId;

    const { context, page } = await newPage();
    const flagReads: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes(`/v1/disbursement-batches/${heldBatch}/flags`)) flagReads.push(request.url());
    });
    await signIn(page, 'checker', ['approver']);
    await page.getByRole('link', { name: '审批' }).click();
    const row = page.locator(`tr[data-batch="${heldBatch}"]`);
    const held = '存在未解除的高风险预警：须由另一位基金管理员解除后才能批准。';
    await row.locator('.reason').getByText(held).waitFor();
    const approve = row.getByRole('button', { name: '批准' });
    expect(await approve.isDisabled()).toBe(true);
    expect(await page.locator(`#${await approve.getAttribute('aria-describedby')}`).textContent()).toBe(held);
    expect(await row.getByRole('button', { name: '驳回' }).isDisabled()).toBe(false);
    // One page told it (the first row flag is high), and the disclosure is still closed.
    expect(flagReads).toHaveLength(1);
    expect(await row.getByRole('button', { name: '显示预警' }).getAttribute('aria-expanded')).toBe('false');
    expect(await seriousViolations(page)).toEqual([]);
    // The API agrees: 409 flagged, nothing approved.
    const refused = await rt.api('POST', `/v1/disbursement-batches/${heldBatch}/approve`, { roles: 'approver', sub: 'checker', body: {} });
    expect(refused.body.code).toBe('flagged');

    // Another fund-admin clears them; the approver's page, reloaded, no longer reads the row flags and lets it through.
    const cleared = await rt.api('POST', `/v1/disbursement-batches/${heldBatch}/clear-flags`, {
      roles: 'fund-admin',
      sub: 'admin-2',
      body: { reason: '同一合作社两名社员共用账户，已核实' },
    });
    expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
    flagReads.length = 0;
    await page.reload();
    await page.getByRole('link', { name: '审批' }).click();
    await row.getByText('2 行有预警，已解除').waitFor();
    expect(await row.locator('.reason').count()).toBe(0);
    await approve.click();
    await page
      .getByRole('status')
      .filter({ hasText: `${heldBatch}：已批准` })
      .waitFor();
    expect(flagReads).toEqual([]);
    // Approved, and perhaps already expanding into its payouts.
    const decided = (await rt.api('GET', `/v1/disbursement-batches/${heldBatch}`, { roles: 'auditor' })).body;
    expect(decided.approvals).toEqual([expect.objectContaining({ approver: 'checker' })]);
    expect(decided.status).not.toBe('pending_approval');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 90_000);

  it("keeps Approve focused while a batch's row flags are read, holds it there with the reason announced, and holds nothing when the read fails", async () => {
    // Two rows paying one account each: high duplicate_beneficiary flags the list row does not show.
    const slow = (await batchOfOneAccount('bat-focus', 'Paika Indigo Cooperative', '6228480055550003', 20_000, 2)).batchId;
    const failing = (await batchOfOneAccount('bat-unread', 'Paika Bamboo Cooperative', '6228480055550004', 20_000, 2)).batchId;
    // Not newPage(): the 503 below is on purpose, and Chromium logs it as a console error.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
    // The slow batch's row flags wait until the test lets them through; the other batch's read fails.
    let readAsked!: () => void;
    const asked = new Promise<void>((resolve) => (readAsked = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route(new RegExp(`/v1/disbursement-batches/${slow}/flags`), async (route) => {
      readAsked();
      await released;
      await route.continue();
    });
    await page.route(new RegExp(`/v1/disbursement-batches/${failing}/flags`), (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'try again', code: 'unavailable' }),
      }),
    );
    const approvals: string[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && /\/approve$/.test(request.url())) approvals.push(request.url());
    });
    await signIn(page, 'checker', ['approver']);
    await page.getByRole('link', { name: '审批' }).click();
    const row = page.locator(`tr[data-batch="${slow}"]`);
    const approve = row.getByRole('button', { name: '批准' });
    await approve.waitFor();
    await asked;
    // While the read is under way: what the button said, then the keyboard user tabs from the comment onto Approve.
    const whileChecking = {
      reason: (await row.locator('.hold').allTextContents()).join(''),
      ariaDisabled: await approve.getAttribute('aria-disabled'),
    };
    await row.getByRole('textbox').first().focus();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('BUTTON 批准');
    release();
    const held = '存在未解除的高风险预警：须由另一位基金管理员解除后才能批准。';
    await row.getByText(held).waitFor();
    // The high flag found, focus stays on Approve (a disabled button would have dropped it to <body>).
    expect(await focused(page)).toBe('BUTTON 批准');
    expect(whileChecking).toEqual({ reason: '正在检查逐行预警：检查完成前不能作最终批准。', ariaDisabled: 'true' });
    expect(await approve.getAttribute('aria-disabled')).toBe('true');
    expect(await page.locator(`#${await approve.getAttribute('aria-describedby')}`).textContent()).toBe(held);
    // The reason sits in a polite live region that was there before it changed.
    expect(await row.getByRole('status').textContent()).toBe(held);
    // Enter refuses and says why, in the page's notice; nothing is posted.
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: `${slow}：${held}` })
      .waitFor();
    expect(approvals).toEqual([]);
    expect(await focused(page)).toBe('BUTTON 批准');

    // The failed read holds nothing: no "checking" left behind, Approve as the list row allows (the API would answer 409).
    const unread = page.locator(`tr[data-batch="${failing}"]`);
    await unread.locator('.hold .reason').waitFor({ state: 'detached' });
    expect(await unread.getByRole('button', { name: '批准' }).getAttribute('aria-disabled')).toBeNull();
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 90_000);

  it("names the account verification in words, a request's status and a batch's counts, and holds the final approval while one is pending", async () => {
    const maker = { roles: 'requester', sub: 'maker' };
    const single = await rt.api('POST', '/v1/disbursements', {
      ...maker,
      idempotencyKey: 'verified-one',
      body: disbursementBody(7_771, 'Verified cooperative'),
    });
    expect(single.status, JSON.stringify(single.body)).toBe(201);
    const row = (n: number) => ({
      amount: 1_000,
      beneficiary: {
        kind: 'cooperative',
        name: `Verified row ${n}`,
        account: { bankName: 'Agricultural Bank of China', accountName: `Verified row ${n}`, accountNumber: `622848110000007${n}` },
      },
    });
    const batch = await rt.api('POST', '/v1/disbursement-batches', {
      ...maker,
      idempotencyKey: 'verified-batch',
      body: { fundId, countyCode: COUNTIES[0], purpose: 'training', items: [row(1), row(2)] },
    });
    expect(batch.status, JSON.stringify(batch.body)).toBe(201);
    // This fund does not verify (its items carry none): the page is given what a verifying fund's API answers.
    const { context, page } = await newPage();
    await page.route(/\/v1\/(disbursements|disbursement-batches)\?/, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { items: Record<string, unknown>[] };
      body.items = body.items.map((item) =>
        item.disbursementId === single.body.disbursementId
          ? {
              ...item,
              verification: {
                verificationId: 'ver_01KAZZZZZZZZZZZZZZZZZZZZZZ',
                status: 'no_match',
                bankAccountName: null,
                checkedAt: null,
              },
            }
          : item.batchId === batch.body.batchId
            ? { ...item, verifications: { pending: 1, match: 58, closeMatch: 0, noMatch: 2, notPossible: 0 } }
            : item,
      );
      await route.fulfill({ response, json: body });
    });
    await signIn(page, 'checker', ['approver']);
    await page.getByRole('link', { name: '审批' }).click();
    const verificationOf = (selector: string) => page.locator(`${selector} .verification`);
    await verificationOf(`tr[data-disbursement="${single.body.disbursementId}"]`).getByText('账户核验：不一致').waitFor();
    await verificationOf(`tr[data-batch="${batch.body.batchId}"]`).getByText('账户核验：待核验 1，一致 58，不一致 2').waitFor();
    // A row still waits for the bank: the final approval is refused (API 409 account_unverified), so the button says why.
    const batchRow = page.locator(`tr[data-batch="${batch.body.batchId}"]`);
    expect(await batchRow.getByRole('button', { name: '批准' }).isDisabled()).toBe(true);
    await batchRow.getByText('银行尚未答复账户核验').waitFor();
    expect(
      await page.locator(`tr[data-disbursement="${single.body.disbursementId}"]`).getByRole('button', { name: '批准' }).isDisabled(),
    ).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'English' }).click();
    await verificationOf(`tr[data-disbursement="${single.body.disbursementId}"]`).getByText('Account verification: No match').waitFor();
    await verificationOf(`tr[data-batch="${batch.body.batchId}"]`)
      .getByText('Account verification: Pending 1, Match 58, No match 2')
      .waitFor();
    await page.getByRole('button', { name: '中文' }).click();
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

  it('shows spending progress per county with the same figures in chart and table, most lagging first, flagged in words', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'auditor-1', ['auditor']);
    await page.getByRole('navigation').getByRole('link', { name: '支出进度' }).click();
    await page.getByRole('heading', { level: 1, name: '支出进度' }).waitFor();
    await page.locator('table[data-table="progress"] tbody tr').first().waitFor();
    const progress = (await rt.api('GET', `/v1/funds/${fundId}/progress`, { roles: 'auditor' })).body as {
      timeElapsed: number;
      counties: { countyCode: string; allocated: number; paid: number; progress: number; lagPoints: number; idle: unknown }[];
    };
    const expected = [...progress.counties].sort((a, b) => b.lagPoints - a.lagPoints || a.countyCode.localeCompare(b.countyCode));
    const pct = (share: number) => `${(share * 100).toFixed(2)} %`;
    const rows = await tableRows(page, 'progress');
    expect(rows.map((r) => r.slice(0, 5))).toEqual(
      expected.map((c) => [
        countyCell(c.countyCode),
        yuanFromFen(c.allocated, 'zh-CN'),
        yuanFromFen(c.paid, 'zh-CN'),
        pct(c.progress),
        c.lagPoints.toFixed(2),
      ]),
    );
    // The chart draws the same counties in the same order, each bar labelled with the table's progress figure.
    expect(await chartRows(page, 'progress')).toEqual(rows.map((r) => ({ county: r[0]!.slice(-6), progress: r[3] })));
    expect(await page.locator('[data-figure="timeElapsed"] dd').textContent()).toBe(pct(progress.timeElapsed));
    // A lagging county says so in words, in the table and beside its bar.
    for (const c of expected.filter((c) => c.lagPoints >= 15)) {
      expect(await page.locator(`table[data-table="progress"] tr[data-county="${c.countyCode}"] td`).last().textContent()).toContain(
        '进度落后',
      );
      expect(await page.locator(`[data-chart="progress"] g[data-county="${c.countyCode}"] .value`).textContent()).toContain('进度落后');
    }

    // Filtered by province: 52 is Guizhou (Danzhai), 43 Hunan (Huayuan).
    await page.getByLabel('省份').selectOption({ label: '贵州省' });
    expect((await tableRows(page, 'progress')).map((r) => r[0])).toEqual([countyCell('522727')]);
    expect((await chartRows(page, 'progress')).map((r) => r.county)).toEqual(['522727']);

    // In English too.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Spending progress' }).waitFor();
    await page.getByLabel('Province').selectOption('');
    expect(await tableRows(page, 'progress')).toHaveLength(expected.length);
    await page.getByRole('button', { name: '中文' }).click();
    await context.close();
  }, 60_000);

  it('keeps 800 counties readable: 50 bars a page with axis values, paging by keyboard, show all, province filter, axe-clean', async () => {
    const { context, page } = await newPage();
    // A stubbed reply for the fund's progress: 800 counties in 8 provinces, lag spread out, some idle.
    const provinces = ['13', '15', '41', '43', '45', '52', '53', '62'];
    const counties = Array.from({ length: 800 }, (_, i) => {
      const allocated = 100_000_00 + i * 1_000_00;
      const paid = Math.floor((allocated * ((i * 37) % 100)) / 100);
      const progressShare = Math.floor((paid * 1_000_000) / allocated) / 1_000_000;
      return {
        countyCode: `${provinces[i % 8]}${String(1000 + Math.floor(i / 8)).padStart(4, '0')}`,
        allocated,
        paid,
        progress: progressShare,
        lagPoints: Math.floor(10_000 * (0.5 - progressShare)) / 100,
        idle: i % 50 === 0 ? { amount: allocated - paid, since: '2026-03-01T00:00:00.000Z' } : null,
      };
    });
    await page.route(`**/v1/funds/${fundId}/progress*`, (route) =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ fundId, asOf: '2026-07-01', timeElapsed: 0.5, counties, alerts: [] }),
      }),
    );
    await signIn(page, 'auditor-1', ['auditor']);
    await page.goto(`${rt.url}/console/#/progress`);
    const status = page.locator('[data-pager="progress"]');
    await status.filter({ hasText: '显示第 1–50 个县，共 800 个' }).waitFor();
    const bars = page.locator('[data-chart="progress"] g[data-county]');
    expect(await bars.count()).toBe(50);
    expect(await tableRows(page, 'progress')).toHaveLength(50);
    // Most lagging first, across the whole fund, not the first 50 received.
    const mostLagging = [...counties].sort(
      (a, b) => b.lagPoints - a.lagPoints || (b.idle?.amount ?? 0) - (a.idle?.amount ?? 0) || a.countyCode.localeCompare(b.countyCode),
    );
    expect((await chartRows(page, 'progress')).map((r) => r.county)).toEqual(mostLagging.slice(0, 50).map((c) => c.countyCode));
    // Axis values above and below the bars.
    expect(await page.locator('[data-chart="progress"] svg text.axis').allTextContents()).toEqual([
      '0 %',
      '25 %',
      '50 %',
      '75 %',
      '100 %',
      '0 %',
      '25 %',
      '50 %',
      '75 %',
      '100 %',
    ]);
    // Each county's row is the right height to read: the drawn chart is as tall as 50 rows of 22 units, scaled.
    const box = await page.locator('[data-chart="progress"] svg.hbars').boundingBox();
    expect(box!.height / 50).toBeGreaterThan(15);

    // Paging by keyboard.
    await page.getByRole('button', { name: '下 50 个' }).focus();
    await page.keyboard.press('Enter');
    await status.filter({ hasText: '显示第 51–100 个县，共 800 个' }).waitFor();
    expect((await chartRows(page, 'progress')).map((r) => r.county)).toEqual(mostLagging.slice(50, 100).map((c) => c.countyCode));
    await page.getByRole('button', { name: '显示全部 800 个' }).focus();
    await page.keyboard.press('Space');
    await status.filter({ hasText: '显示第 1–800 个县，共 800 个' }).waitFor();
    expect(await bars.count()).toBe(800);
    expect(await tableRows(page, 'progress')).toHaveLength(800);
    // Idle money is named in words too.
    const idle = counties.find((c) => c.idle && c.lagPoints < 15)!;
    expect(await page.locator(`table[data-table="progress"] tr[data-county="${idle.countyCode}"] td`).last().textContent()).toBe(
      '资金沉淀',
    );
    expect(await seriousViolations(page)).toEqual([]);

    // A province: its 100 counties, paged again from the first.
    await page.getByLabel('省份').selectOption({ label: '云南省' });
    await status.filter({ hasText: '显示第 1–50 个县，共 100 个' }).waitFor();
    const yunnan = mostLagging.filter((c) => c.countyCode.startsWith('53'));
    expect((await chartRows(page, 'progress')).map((r) => r.county)).toEqual(yunnan.slice(0, 50).map((c) => c.countyCode));
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  }, 180_000);

  it('lists the snapshots with their hashes and verifies the chain in the browser; a tampered one fails the check', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'admin', ['fund-admin']);
    await page.getByRole('navigation').getByRole('link', { name: '报告' }).click();
    await page.getByRole('heading', { level: 1, name: '报告' }).waitFor();
    const takeNow = page.getByRole('button', { name: '立即生成快照' });
    for (let n = 0; n < 2; n++) {
      await takeNow.click();
      await page.getByRole('status').filter({ hasText: '已生成快照' }).waitFor();
      await page.locator('table[data-table="snapshots"] tbody tr').nth(n).waitFor();
    }
    const listed = (await rt.api('GET', `/v1/funds/${fundId}/snapshots`, { roles: 'auditor' })).body.items as {
      snapshotId: string;
      hash: string;
      previousHash: string | null;
    }[];
    expect(listed.length).toBeGreaterThanOrEqual(2);
    const rows = await tableRows(page, 'snapshots');
    expect(rows.map((r) => [r[2], r[3]])).toEqual(listed.map((s) => [s.hash, s.previousHash ?? '无（第一个）']));
    expect(rows.map((r) => r[4])).toEqual(listed.map(() => '✓ 核验通过'));
    expect(await page.locator('[data-chain]').getAttribute('data-chain')).toBe('verified');
    await context.close();

    // The same list with one figure changed on the way (as if edited in the table): the browser finds it.
    const tampered = await newPage();
    await tampered.page.route(`**/v1/funds/${fundId}/snapshots?*`, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { items: { totals: { paid: number } }[] };
      body.items[body.items.length - 1]!.totals.paid += 1;
      await route.fulfill({ response, body: JSON.stringify(body) });
    });
    await signIn(tampered.page, 'auditor-1', ['auditor']);
    await tampered.page.goto(`${rt.url}/console/#/reports`);
    await tampered.page.locator('[data-chain="broken"]').waitFor();
    const statuses = (await tableRows(tampered.page, 'snapshots')).map((r) => r[4]);
    expect(statuses[statuses.length - 1]).toBe('✗ 内容与哈希不符');
    expect(statuses.slice(0, -1)).toEqual(statuses.slice(0, -1).map(() => '✓ 核验通过'));
    expect(await seriousViolations(tampered.page)).toEqual([]);
    await tampered.context.close();
  }, 60_000);

  it('offers the half-year reports of the fund period: a PDF download, and a clear message when the route answers 404', async () => {
    // Not newPage(): the 404 below is on purpose, and Chromium logs every 404 as a console error.
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
    const pdf = Buffer.from('%PDF-1.4\n% stand-in\n%%EOF\n');
    await page.route(`**/v1/funds/${fundId}/reports/*`, (route) => {
      const accept = route.request().headers().accept ?? '';
      if (route.request().url().endsWith('-H1'))
        return route.fulfill({
          status: 404,
          contentType: 'application/problem+json',
          body: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no such route', code: 'not_found' }),
        });
      expect(accept).toBe('application/pdf');
      return route.fulfill({ status: 200, contentType: 'application/pdf', body: pdf });
    });
    await signIn(page, 'auditor-1', ['auditor']);
    await page.goto(`${rt.url}/console/#/reports`);
    const fund = (await rt.api('GET', `/v1/funds/${fundId}`, { roles: 'auditor' })).body as { period: { startsOn: string } };
    const year = fund.period.startsOn.slice(0, 4);
    await page.locator('table[data-table="half-year-reports"] tbody tr').first().waitFor();
    expect((await tableRows(page, 'half-year-reports')).map((r) => r[0])).toEqual([`${year}-H1`, `${year}-H2`]);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: `下载 PDF（${year}-H2 报告）` }).click();
    expect((await download).suggestedFilename()).toBe(`${fundId}-${year}-H2.pdf`);
    await page.getByRole('button', { name: `查看（${year}-H1 报告）` }).click();
    await page
      .locator('[data-report-message]')
      .filter({ hasText: `服务器暂不提供 ${year}-H1 报告（404）` })
      .waitFor();
    await context.close();
  }, 60_000);
  it('lets an observer sign in and read, with no action, endpoint or delivery log in sight, every request in the access log', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'observer-1', ['observer']);
    await expect(page.getByText('当前用户：observer-1（observer）').count()).resolves.toBe(1);
    await page.locator('[data-chart="payouts"]').first().waitFor();
    const found: Record<string, string[]> = {};
    for (const [link, ready] of [
      ['审批', 'table[data-table="pending-disbursements"]'],
      ['付款', 'table[data-table="payouts"]'],
      ['促销活动', '[data-chart="campaigns"]'],
      ['服务站', '[data-chart="stations"]'],
    ]) {
      await page.getByRole('navigation').getByRole('link', { name: link }).click();
      await page.locator(ready!).first().waitFor();
      // Reads only: not one button to approve, reject or redeliver, not even a disabled one.
      expect(await page.getByRole('button', { name: /批准|驳回|重新投递/ }).count(), link).toBe(0);
      expect(await page.getByRole('columnheader', { name: '操作' }).count(), link).toBe(0);
      const violations = await seriousViolations(page);
      if (violations.length > 0) found[link!] = violations;
    }
    expect(found).toEqual({});
    await page.getByRole('navigation').getByRole('link', { name: '付款' }).click();
    await page.locator(`tr[data-payout="${failedPayoutId}"]`).waitFor();
    expect(await page.getByRole('link', { name: /的投递日志$/ }).count()).toBe(0);
    await context.close();

    // Every request the console made for the observer is in the access log, and none was refused.
    const logged = await rt.api('GET', '/v1/access-log?actor=observer-1&limit=100', { roles: 'auditor', sub: 'auditor-1' });
    expect(logged.status).toBe(200);
    const entries = logged.body.items as { method: string; path: string; status: number }[];
    expect(entries.map((e) => e.path)).toEqual(
      expect.arrayContaining(['/v1/disbursements', '/v1/payouts', '/v1/campaigns', '/v1/stations']),
    );
    expect(entries.filter((e) => e.status >= 400)).toEqual([]);
  }, 90_000);

  it('has no serious or critical axe-core violations on any page, in either language', async () => {
    const { context, page } = await newPage();
    await signIn(page, 'admin', ['fund-admin', 'approver', 'auditor']);
    const endpoints = (await rt.api('GET', '/v1/webhook-endpoints', { roles: 'auditor' })).body.items as { endpointId: string }[];
    const found: Record<string, string[]> = {};
    for (const locale of ['zh-CN', 'en']) {
      for (const [route, ready] of [
        ['overview', '[data-chart="allocations"]'],
        ['progress', '[data-chart="progress"]'],
        ['reports', 'table[data-table="half-year-reports"]'],
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
