/**
 * `npm run seed`: demo data through the API, safe to run again (it looks before it creates):
 * the ten model counties, one fund with an allocation for each, and, with `--webhook-url`, a webhook
 * endpoint subscribed to every event. A new fund also gets five months of history (scripts/lib/seed-history.ts):
 * its period began five months ago, and payouts were requested, approved and settled month by month since, one
 * county lagging and one with idle money, each call sent through the API at the past instant it stands for
 * (`X-Local-Clock`, which only `npm start` honours). Then launch the sample plan:
 *   npm run campaigns -- launch scripts/plans/model-counties.csv --subsidy-fund <the fund id printed>
 *
 * Run it with the same PORT and DATA_DIR as `npm start`: it mints its own fund-admin token with the
 * local signing key, as `npm run token` does (or give one in RELIEF_FUND_TOKEN for another server).
 * Exit codes: 0 seeded, 1 a call failed or the server could not be reached, 2 usage.
 */
import { localIssuer, mintToken, NoSigningKeyError, readSigningKey } from '#local/keys';
import { clientSettings, createReliefFundClient, problemOf, type ReliefFundClient } from '../client/index.ts';
import { fail, parseCommandLine, unreachable } from '#shared/cli';
import { MODEL_COUNTIES } from './lib/model-counties.ts';
import { seedHistory, type SeedHistory, type SeedPayment } from './lib/seed-history.ts';

/** The finance system that pays the seeded fund (the README's walk-through gives its receiver this `sub`). */
const FINANCE_SYSTEM = 'ledger-bot';

export const SEED_FUND_NAME = 'Model County Revitalisation Fund';
/** 100 million yuan, 5 million per county. */
const TOTAL_BUDGET = 10_000_000_000;
/** The model fund's public notice period (the minimum-living-allowance rule's 7 days). */
const SEED_NOTICE_PERIOD = 'P7D';
const COUNTY_ALLOCATION = 500_000_000;
const SEED_SUB = 'seed';

const { values } = parseCommandLine({
  name: 'seed',
  usage: 'npm run seed -- [--url URL] [--webhook-url URL]',
  details: `--url          the API (else RELIEF_FUND_URL, else http://127.0.0.1:$PORT)
--webhook-url  also register a webhook endpoint for every event at this URL
PORT and DATA_DIR as for \`npm start\` (its signing key mints the token), or RELIEF_FUND_TOKEN`,
  options: { url: { type: 'string' }, 'webhook-url': { type: 'string' } },
});
const settings = clientSettings({ url: values.url });

function check<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (result.data !== undefined) return result.data;
  const problem = problemOf(result.error, result.response.status);
  fail(`${what}: ${result.response.status} ${problem.code}: ${problem.detail}`);
}

/** The approver of the seeded history (another person than the requester, as the four-eyes rule wants). */
const SEED_APPROVER = 'seed-approver';

interface SeedTokens {
  admin: string;
  /** Only against `npm start` (its signing key): the history's approver and finance system. */
  history?: { approver: string; finance: string };
}

async function seedTokens(): Promise<SeedTokens> {
  if (process.env.RELIEF_FUND_TOKEN) return { admin: process.env.RELIEF_FUND_TOKEN };
  const port = Number(process.env.PORT || 3000);
  try {
    const key = await readSigningKey(process.env.DATA_DIR || '.data');
    const mint = (roles: string[], sub: string, machine = false) =>
      mintToken(key, localIssuer(port), { roles, sub, ttlSeconds: 600, ...(machine ? { machine } : {}) });
    return {
      admin: await mint(['fund-admin'], SEED_SUB),
      history: { approver: await mint(['approver'], SEED_APPROVER), finance: await mint(['finance-system'], FINANCE_SYSTEM, true) },
    };
  } catch (error) {
    if (error instanceof NoSigningKeyError) fail('no local signing key yet: run `npm start` first with the same DATA_DIR and PORT');
    throw error;
  }
}

/** The history's payouts, each through the API at its past instant: requested, approved, settled. */
async function writeHistory(
  history: SeedHistory,
  fundId: string,
  clients: { admin: ReliefFundClient; approver: ReliefFundClient; finance: ReliefFundClient },
): Promise<void> {
  const names = new Map(MODEL_COUNTIES.map((c) => [c.countyCode, c.name]));
  const pay = async (p: SeedPayment, n: number) => {
    const name = `${names.get(p.countyCode)} finance bureau`;
    const created = check(
      await clients.admin.POST('/v1/disbursements', {
        params: { header: { 'Idempotency-Key': `seed-history-${p.ref}` } },
        headers: { 'x-local-clock': p.requestAt },
        body: {
          fundId,
          countyCode: p.countyCode,
          amount: p.amount,
          currency: 'CNY',
          purpose: 'infrastructure',
          memo: `seed history ${p.ref}`,
          beneficiary: {
            kind: 'county',
            name,
            account: {
              bankName: 'Agricultural Bank of China',
              accountName: name,
              accountNumber: `622848${String(n).padStart(4, '0')}${p.countyCode}`,
            },
          },
        },
      }),
      `history disbursement ${p.ref}`,
    );
    const approved = check(
      await clients.approver.POST('/v1/disbursements/{disbursementId}/approve', {
        params: { path: { disbursementId: created.disbursementId } },
        headers: { 'x-local-clock': p.approveAt },
        body: { comment: 'seed history' },
      }),
      `history approval ${p.ref}`,
    );
    if (!approved.payoutId) fail(`history approval ${p.ref}: the disbursement is ${approved.status}, not approved with a payout`);
    check(
      await clients.finance.POST('/v1/payouts/{payoutId}/settlement', {
        params: { path: { payoutId: approved.payoutId } },
        headers: { 'x-local-clock': p.settleAt },
        body: { outcome: 'succeeded', bankReference: `SEED-${p.ref}` },
      }),
      `history settlement ${p.ref}`,
    );
  };
  // Counties in parallel, each county's payouts in their order.
  const numbered = history.payments.map((p, n) => ({ p, n }));
  const counties = [...new Set(history.payments.map((p) => p.countyCode))];
  await Promise.all(
    counties.map(async (county) => {
      for (const { p, n } of numbered.filter((x) => x.p.countyCode === county)) await pay(p, n);
    }),
  );
}

async function findFund(api: ReliefFundClient): Promise<string | undefined> {
  let cursor: string | undefined;
  do {
    const page = check(await api.GET('/v1/funds', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }), 'list funds');
    const found = page.items.find((f) => f.name === SEED_FUND_NAME);
    if (found) return found.fundId;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return undefined;
}

async function main() {
  const tokens = await seedTokens();
  const api = createReliefFundClient({ ...settings, token: tokens.admin });
  const history = tokens.history
    ? seedHistory(
        new Date(),
        MODEL_COUNTIES.map((c) => c.countyCode),
        COUNTY_ALLOCATION,
      )
    : undefined;
  let newFund = false;

  let newCounties = 0;
  for (const county of MODEL_COUNTIES) {
    const { data, error, response } = await api.PUT('/v1/counties/{countyCode}', {
      params: { path: { countyCode: county.countyCode } },
      body: { name: county.name, province: county.province, modelCounty: true },
    });
    check({ data, error, response }, `county ${county.countyCode}`);
    if (response.status === 201) newCounties += 1;
  }
  process.stderr.write(`counties: ${MODEL_COUNTIES.length} model counties (${newCounties} new)\n`);

  let fundId = await findFund(api);
  if (fundId) process.stderr.write(`fund: ${fundId} (existing)\n`);
  else {
    const fund = check(
      await api.POST('/v1/funds', {
        params: { header: { 'Idempotency-Key': 'seed-model-county-fund' } },
        ...(history ? { headers: { 'x-local-clock': history.fundCreatedAt } } : {}),
        // Relief to named farmers and cooperatives is posted for 7 days first (公示; docs/public-notice.md).
        body: {
          name: SEED_FUND_NAME,
          currency: 'CNY',
          totalBudget: TOTAL_BUDGET,
          financeSystem: FINANCE_SYSTEM,
          noticePeriod: SEED_NOTICE_PERIOD,
          ...(history ? { period: history.period } : {}),
        },
      }),
      'create fund',
    );
    fundId = fund.fundId;
    newFund = true;
    process.stderr.write(`fund: ${fundId} (new)\n`);
  }

  const existing = check(
    await api.GET('/v1/funds/{fundId}/allocations', { params: { path: { fundId }, query: { limit: 100 } } }),
    'list allocations',
  );
  const allocated = new Set(existing.items.map((a) => a.countyCode));
  let newAllocations = 0;
  for (const county of MODEL_COUNTIES.filter((c) => !allocated.has(c.countyCode))) {
    check(
      await api.PUT('/v1/funds/{fundId}/allocations/{countyCode}', {
        params: { path: { fundId, countyCode: county.countyCode } },
        ...(history && newFund ? { headers: { 'x-local-clock': history.allocatedAt } } : {}),
        body: { amount: COUNTY_ALLOCATION },
      }),
      `allocation ${county.countyCode}`,
    );
    newAllocations += 1;
  }
  process.stderr.write(`allocations: ${MODEL_COUNTIES.length} counties (${newAllocations} new)\n`);

  if (history && tokens.history && newFund) {
    await writeHistory(history, fundId, {
      admin: api,
      approver: createReliefFundClient({ ...settings, token: tokens.history.approver }),
      finance: createReliefFundClient({ ...settings, token: tokens.history.finance }),
    });
    process.stderr.write(
      `history: period ${history.period.startsOn} to ${history.period.endsOn}, ${history.payments.length} payouts settled month by month; ` +
        `${history.lagging} lags, ${history.idle} holds idle money\n`,
    );
  } else process.stderr.write('history: none (only a new fund on npm start gets one)\n');

  const webhookUrl = values['webhook-url'];
  if (webhookUrl) {
    const endpoints = check(await api.GET('/v1/webhook-endpoints', { params: { query: { limit: 100 } } }), 'list webhook endpoints');
    if (endpoints.items.some((e) => e.url === webhookUrl)) process.stderr.write(`webhook endpoint: ${webhookUrl} (existing)\n`);
    else {
      const endpoint = check(
        await api.POST('/v1/webhook-endpoints', { body: { url: webhookUrl, events: ['*'], description: 'seed' } }),
        'create webhook endpoint',
      );
      process.stderr.write(`webhook endpoint: ${endpoint.endpointId}, signing secret ${endpoint.secret}\n`);
    }
  }

  process.stdout.write(`${fundId}\n`);
  process.stderr.write(
    `next: RELIEF_FUND_TOKEN=$(npm run --silent token -- --role campaign-operator --sub ops) ` +
      `npm run campaigns -- launch scripts/plans/model-counties.csv --subsidy-fund ${fundId}\n`,
  );
}

main().catch((error: unknown) => fail(unreachable(settings.baseUrl, error) ?? (error instanceof Error ? error.message : String(error))));
