/**
 * `npm run backfill -- [--part events|payouts|all]`: brings items written by an older version in line with
 * the keys the current one reads (shared/data/platform/backfill.ts): the event log's listing keys
 * (shared/data/event-log/backfill.ts) and the payouts' created-time sort keys and settlement-time keys
 * (shared/data/payouts/backfill.ts), and the copies of the webhook subscriptions (shared/data/webhook-endpoints/backfill.ts).
 * Against the local stack that `npm start` runs on DATA_DIR, or, with
 * TABLE_NAME set, against that table with the AWS settings of the environment. Safe to run again, and
 * while the system runs. Exit codes: 0 done, 1 the store could not be read or written, 2 usage.
 */
import type { BackfillCounts, BackfillOptions } from '#shared/data/platform/backfill';
import { fail, parseCommandLine, usage } from '#shared/cli';
import { stepProgress } from './lib/progress.ts';
import { tableStore, useTable } from './lib/table-access.ts';

const PARTS = ['events', 'payouts', 'bank-references', 'failures', 'subscriptions'] as const;
type Part = (typeof PARTS)[number];

const { values } = parseCommandLine({
  name: 'backfill',
  usage: 'npm run backfill -- [--part events|payouts|bank-references|failures|subscriptions|all]',
  details: `--part events   every event item without event-log listing keys gets them (by type, and by paying
                finance system for payout, disbursement and subsidised campaign events) and, when it is finished,
                its expiry (30 days after it finished; never for a pending event or a failed payment instruction);
                a subsidised campaign's events listed without a paying finance system get their fund's
--part payouts  every payout still sorted by its id in the payout listings gets the sort key
                <createdAt>#<payoutId> (so created-date filters find it), and every settled or failed payout
                without settlement-time keys gets them (so settled-date filters find it)
--part bank-references
                every payout settled succeeded before settlements wrote bank-reference items gets them (so
                reconciliation finds it by its bankReference on any statement date, not only its settlement day)
--part failures
                every failed payout not yet corrected that failed before the failure counters existed joins them
                (so GET /v1/payouts/failures counts it), marked so that a second run counts nothing twice
--part subscriptions
                every webhook endpoint's subscriptions (events, status, finance system) are set on each copy that the
                producers of events and the delivery read, then the copies are marked complete (until then they
                query the endpoint listing, one index partition for the whole deployment)
--part all      all five (the default)
Each part reads the whole table once; progress on stderr, the counts on stdout.
Local stack of DATA_DIR (default .data/) unless TABLE_NAME is set.`,
  options: { part: { type: 'string', default: 'all' } },
});
const part = values.part;
if (part !== 'all' && !(PARTS as readonly string[]).includes(part))
  usage(`--part must be events, payouts, bank-references, failures, subscriptions or all, not "${part}"`);
const parts: Part[] = part === 'all' ? [...PARTS] : [part as Part];

await useTable({ deployed: true });

const runs: Record<Part, { run: (options: BackfillOptions) => Promise<BackfillCounts>; found: string }> = {
  events: {
    run: async (o) => (await import('#shared/data/event-log/backfill')).backfillEventLog(o),
    found: 'event(s) without listing keys found',
  },
  payouts: { run: async (o) => (await import('#shared/data/payouts/backfill')).backfillPayouts(o), found: 'payout(s) to backfill found' },
  'bank-references': {
    run: async (o) => (await import('#shared/data/payouts/bank-reference-backfill')).backfillBankReferences(o),
    found: 'settled payout(s) read',
  },
  failures: {
    run: async (o) => (await import('#shared/data/failures/backfill')).backfillFailureCounters(o),
    found: 'uncounted failed payout(s) found',
  },
  subscriptions: {
    run: async (o) => (await import('#shared/data/webhook-endpoints/backfill')).backfillSubscriptions(o),
    found: 'webhook endpoint(s) read',
  },
};

const progress = stepProgress('backfill');
for (const name of parts) {
  progress.step(`${name}: scanning the table`);
  const started = performance.now();
  let counts: BackfillCounts;
  try {
    counts = await runs[name].run({ onProgress: (c) => progress.update(`${c.scanned} found, ${c.updated} updated`) });
  } catch (error) {
    fail(
      `could not backfill ${name} in the table ${process.env.TABLE_NAME} at ${tableStore()}: ${(error as Error).name}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const rate = counts.updated > 0 ? ` (${Math.round(counts.updated / seconds)} a second)` : '';
  process.stdout.write(`${name}: ${counts.scanned} ${runs[name].found}, ${counts.updated} updated in ${seconds.toFixed(1)}s${rate}\n`);
}
progress.done();
