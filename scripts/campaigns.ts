/**
 * The campaign launcher.
 *
 *   npm run campaigns -- launch <plan.csv|plan.json> [--dry-run] [--concurrency 8] [--subsidy-fund fund_…]
 *   npm run campaigns -- report [--county 500236]
 *
 * Options for both: --url (else RELIEF_FUND_URL, else http://127.0.0.1:$PORT) and --token (else
 * RELIEF_FUND_TOKEN; locally: `npm run --silent token -- --role campaign-operator --sub ops`).
 * Exit codes: 0 all rows launched or replayed, 1 an invalid plan or any failed row, 2 usage, 130 interrupted.
 */
import { clientSettings, createReliefFundClient } from '../client/index.ts';
import { cannotReach, parseCommandLine, unreachable, usage } from '#shared/cli';
import { launchRows, type RowOutcome } from './lib/launch.ts';
import { describeError, readPlan } from './lib/plan.ts';
import { progressReporter, type ProgressCounts } from './lib/progress.ts';
import { allCampaigns, ApiFailure, campaignTable } from './lib/report.ts';
import { formatTable } from './lib/table.ts';

const { values, positionals } = parseCommandLine({
  name: 'campaigns',
  usage: `npm run campaigns -- launch <plan.csv|plan.json> [--dry-run] [--concurrency N] [--subsidy-fund FUND_ID]
npm run campaigns -- report [--county CODE]`,
  details: `--url URL    the API (else RELIEF_FUND_URL, else http://127.0.0.1:$PORT)
--token JWT  a campaign-operator token (else RELIEF_FUND_TOKEN)`,
  moreExitCodes: '130 interrupted',
  positionals: true,
  options: {
    'dry-run': { type: 'boolean' },
    concurrency: { type: 'string' },
    'subsidy-fund': { type: 'string' },
    county: { type: 'string' },
    url: { type: 'string' },
    token: { type: 'string' },
  },
});
const [command, ...rest] = positionals;

const settings = clientSettings({ url: values.url, token: values.token });
const needToken = () => {
  if (!settings.token) usage('no token: pass --token or set RELIEF_FUND_TOKEN');
};

if (command === 'launch') {
  if (rest.length !== 1) usage('launch takes exactly one plan file');
  const concurrency = values.concurrency === undefined ? 8 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) usage('--concurrency must be 1..64');
  process.exitCode = await launch(rest[0]!, concurrency, values['dry-run'] ?? false);
} else if (command === 'report') {
  if (rest.length !== 0) usage('report takes no file');
  process.exitCode = await report(values.county);
} else {
  usage(command ? `unknown command "${command}"` : 'give a command');
}

async function launch(path: string, concurrency: number, dryRun: boolean): Promise<number> {
  const plan = await readPlan(path, { subsidyFund: values['subsidy-fund'], now: new Date() });
  if (plan.errors.length) {
    process.stderr.write(`${path}: ${plan.errors.length} problem(s), nothing launched:\n`);
    for (const e of plan.errors) process.stderr.write(`  ${describeError(e)}\n`);
    return 1;
  }
  process.stderr.write(`${path}: ${plan.rows.length} campaign(s) valid\n`);
  if (dryRun) return 0;
  needToken();

  const client = createReliefFundClient(settings);
  const stop = new AbortController();
  const onInterrupt = () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: finishing rows in flight (Ctrl-C again to quit now); run again to resume\n');
    stop.abort();
  };
  process.on('SIGINT', onInterrupt);

  const counts: ProgressCounts = { created: 0, replayed: 0, failed: 0 };
  const progress = progressReporter(plan.rows.length);
  let done = 0;
  const started = Date.now();
  const outcomes = await launchRows(client, plan.rows, {
    concurrency,
    signal: stop.signal,
    onRow(o) {
      done += 1;
      if (o.result === 'created' || o.result === 'replayed' || o.result === 'failed') counts[o.result] += 1;
      progress.row(done, counts, describeOutcome(o));
    },
  });
  progress.finish();
  process.off('SIGINT', onInterrupt);

  process.stdout.write(`${summaryTable(outcomes)}\n`);
  const notStarted = outcomes.filter((o) => o.result === 'not started').length;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\n${counts.created} created, ${counts.replayed} already launched (replayed), ${counts.failed} failed` +
      `${notStarted ? `, ${notStarted} not started` : ''} in ${seconds} s\n`,
  );
  const unsent = outcomes.filter((o) => o.code === 'network_error').length;
  if (unsent > 0) process.stderr.write(`campaigns: ${unsent} row(s) not sent: ${cannotReach(settings.baseUrl, 'no connection')}\n`);
  if (stop.signal.aborted) return 130;
  return counts.failed > 0 ? 1 : 0;
}

function describeOutcome(o: RowOutcome): string {
  const what = `row ${o.row} ${o.countyCode} ${o.channel}`;
  return o.result === 'failed'
    ? `${what}: failed ${o.code ?? ''} ${o.detail ?? ''}`.trimEnd()
    : `${what}: ${o.result} ${o.campaignId ?? ''}`.trimEnd();
}

function summaryTable(outcomes: RowOutcome[]): string {
  return formatTable(
    [
      { header: 'row', align: 'right' },
      { header: 'county' },
      { header: 'channel' },
      { header: 'title', max: 32 },
      { header: 'result' },
      { header: 'campaign / error', max: 100 },
    ],
    outcomes.map((o) => [
      String(o.row),
      o.countyCode,
      o.channel,
      o.title,
      o.result,
      o.campaignId ?? (o.code ? `${o.httpStatus ?? ''} ${o.code}: ${o.detail ?? ''}`.trim() : ''),
    ]),
  );
}

async function report(county: string | undefined): Promise<number> {
  needToken();
  if (county !== undefined && !/^[1-9]\d{5}$/.test(county)) usage('--county takes a 6-digit county code');
  try {
    const campaigns = await allCampaigns(createReliefFundClient(settings), county);
    process.stdout.write(`${campaignTable(campaigns)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ApiFailure) {
      process.stderr.write(`campaigns: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`campaigns: ${unreachable(settings.baseUrl, error) ?? (error as Error).message}\n`);
    return 1;
  }
}
