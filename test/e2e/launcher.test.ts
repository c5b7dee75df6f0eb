/**
 * The seed and the campaign launcher as people run them (child processes over HTTP) against the local
 * runtime: seeding twice changes nothing the second time; launching the same plan twice launches each
 * campaign once, the second run replaying; a bad plan launches nothing; failures make the exit code.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { sameNodeEnv, tsxArgs } from '#test/support/node-process';
import { MODEL_COUNTIES } from '../../scripts/lib/model-counties.ts';

const run = promisify(execFile);
const DAY = 24 * 60 * 60 * 1000;

let rt: TestRuntime;
let dir: string;
let fundId: string;
let operatorToken: string;

async function script(file: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, tsxArgs(file, args), {
      env: sameNodeEnv({ ...process.env, RELIEF_FUND_URL: rt.url, ...env }),
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const launcher = (args: string[]) => script('scripts/campaigns.ts', args, { RELIEF_FUND_TOKEN: operatorToken });

/** A plan for the model counties starting tomorrow (the committed sample has fixed dates). */
async function writePlan(name: string, rows: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, ['countyCode,title,channel,startsAt,endsAt,products,subsidyAmount', ...rows].join('\n'));
  return path;
}

function modelRows(): string[] {
  const start = new Date(Date.now() + DAY).toISOString();
  const end = new Date(Date.now() + 15 * DAY).toISOString();
  return MODEL_COUNTIES.map(
    (c, i) =>
      `${c.countyCode},"Harvest week, ${c.name}",rural-taobao,${start},${end},SKU-${i}|Local produce ${i}|9900|6900,${100_000 * (i + 1)}`,
  );
}

async function allCampaigns(): Promise<{ campaignId: string; countyCode: string; channel: string }[]> {
  const items = [];
  let cursor: string | undefined;
  do {
    const res = await rt.api('GET', `/v1/campaigns?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      roles: 'auditor',
    });
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

beforeAll(async () => {
  rt = await startTestRuntime({ pollers: false });
  dir = await mkdtemp(join(tmpdir(), 'relief-fund-plans-'));
  operatorToken = await rt.token('campaign-operator', 'ops');
});
afterAll(() => rt?.stop());

describe('seed', () => {
  it('loads the model counties, a fund and allocations, and a second run changes nothing', async () => {
    const env = { PORT: new URL(rt.url).port, DATA_DIR: rt.dataDir, RELIEF_FUND_TOKEN: '' };
    const first = await script('scripts/seed.ts', [], env);
    expect(first.code, first.stderr).toBe(0);
    fundId = first.stdout.trim();
    expect(fundId).toMatch(/^fund_/);
    expect(first.stderr).toContain('(10 new)');

    const second = await script('scripts/seed.ts', [], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.trim()).toBe(fundId);
    expect(second.stderr).toContain('(0 new)');

    const counties = await rt.api('GET', '/v1/counties?modelCounty=true&limit=100', { roles: 'auditor' });
    expect(counties.body.items.map((c: { countyCode: string }) => c.countyCode).sort()).toEqual(
      MODEL_COUNTIES.map((c) => c.countyCode).sort(),
    );
    const funds = await rt.api('GET', '/v1/funds?limit=100', { roles: 'auditor' });
    expect(funds.body.items).toHaveLength(1);
    // Relief to named people from the model fund is posted for 7 days first (公示).
    expect(funds.body.items[0].noticePeriod).toBe('P7D');
    const allocations = await rt.api('GET', `/v1/funds/${fundId}/allocations?limit=100`, { roles: 'auditor' });
    expect(allocations.body.items).toHaveLength(10);
  }, 120_000);

  it('gives the new fund months of history at past times: payouts spread over the months, one lagging and one idle county', async () => {
    const fund = (await rt.api('GET', `/v1/funds/${fundId}`, { roles: 'auditor' })).body;
    expect(Date.parse(fund.createdAt)).toBeLessThan(Date.now() - 120 * DAY);
    expect(fund.period.startsOn).toMatch(/-01$/);
    expect(Date.parse(fund.period.startsOn)).toBeLessThan(Date.now() - 120 * DAY);
    expect(fund.paid).toBeGreaterThan(0);
    expect(fund.reserved).toBe(0);

    const progress = (await rt.api('GET', `/v1/funds/${fundId}/progress`, { roles: 'auditor' })).body as {
      timeElapsed: number;
      alerts: { countyCode: string; code: string }[];
    };
    expect(progress.timeElapsed).toBeGreaterThan(0.3);
    const alerted = (code: string) => progress.alerts.filter((a) => a.code === code).map((a) => a.countyCode);
    expect(alerted('lagging')).toEqual([MODEL_COUNTIES[2]!.countyCode]);
    expect(alerted('idle')).toEqual([MODEL_COUNTIES[3]!.countyCode]);

    // Written through the API's own rules at past instants: the ledger's entries fall in five different months.
    const ledger = await rt.api('GET', `/v1/funds/${fundId}/ledger?limit=100`, { roles: 'auditor' });
    expect(ledger.status).toBe(200);
    const months = new Set(
      (ledger.body.items as { at: string; kind: string }[]).filter((e) => e.kind === 'paid').map((e) => e.at.slice(0, 7)),
    );
    expect(months.size).toBeGreaterThanOrEqual(5);
  });
});

describe('campaign launcher', () => {
  it('the committed sample plan is valid', async () => {
    const dry = await launcher(['launch', 'scripts/plans/model-counties.csv', '--dry-run', '--subsidy-fund', fundId]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(await allCampaigns()).toHaveLength(0);
  });

  it('launching the same plan twice finds each campaign once; the second run replays', async () => {
    const plan = await writePlan('model.csv', modelRows());
    const first = await launcher(['launch', plan, '--subsidy-fund', fundId, '--concurrency', '4']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain('10 created, 0 already launched (replayed), 0 failed');

    const second = await launcher(['launch', plan, '--subsidy-fund', fundId]);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('0 created, 10 already launched (replayed), 0 failed');

    const campaigns = await allCampaigns();
    expect(campaigns).toHaveLength(10);
    expect(new Set(campaigns.map((c) => c.countyCode)).size).toBe(10);
    // The summary of both runs names the same campaign ids.
    for (const c of campaigns) {
      expect(first.stdout).toContain(c.campaignId);
      expect(second.stdout).toContain(c.campaignId);
    }
    // Subsidies were reserved once.
    const allocations = await rt.api('GET', `/v1/funds/${fundId}/allocations?limit=100`, { roles: 'auditor' });
    const reserved = allocations.body.items.reduce((t: number, a: { reserved: number }) => t + a.reserved, 0);
    expect(reserved).toBe(MODEL_COUNTIES.reduce((t, _, i) => t + 100_000 * (i + 1), 0));

    const report = await launcher(['report', '--county', MODEL_COUNTIES[0]!.countyCode]);
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toContain(campaigns.find((c) => c.countyCode === MODEL_COUNTIES[0]!.countyCode)!.campaignId);
    expect(report.stdout).toContain('1 campaigns');
  });

  it('a plan with an invalid row launches nothing and names the row', async () => {
    const start = new Date(Date.now() + 20 * DAY).toISOString();
    const end = new Date(Date.now() + 21 * DAY).toISOString();
    const plan = await writePlan('bad.csv', [
      `500236,Fine row,tmall,${start},${end},A|Apples|500|400,`,
      `500236,Bad price,taobao,${start},${end},B|Beans|500|600,`,
    ]);
    const res = await launcher(['launch', plan]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('row 2, line 3: products.0.promoPrice: promoPrice must not exceed unitPrice');
    expect((await allCampaigns()).filter((c) => c.channel === 'tmall' && c.countyCode === '500236')).toHaveLength(0);
  });

  it('rows the API refuses fail the run with their error codes, the others launch', async () => {
    const start = new Date(Date.now() + 30 * DAY).toISOString();
    const end = new Date(Date.now() + 31 * DAY).toISOString();
    const plan = await writePlan('mixed.csv', [
      `500236,Lychee live,livestream,${start},${end},L|Lychee|900|800,`,
      `659001,Nowhere,livestream,${start},${end},L|Lychee|900|800,`,
      `532528,Too rich,tmall,${start},${end},L|Lychee|900|800,999999999999`,
    ]);
    const res = await launcher(['launch', plan, '--subsidy-fund', fundId]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain('1 created, 0 already launched (replayed), 2 failed');
    expect(res.stdout).toMatch(/404 not_found/);
    expect(res.stdout).toMatch(/409 insufficient_allocation/);
  });
});
