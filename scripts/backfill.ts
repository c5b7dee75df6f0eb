/**
 * `npm run backfill -- [--part events|payouts|all]`: brings items written by an older version in line with
 * the keys the current one reads (shared/data/platform/backfill.ts): the event log's listing keys
 * (shared/data/event-log/backfill.ts) and the payouts' created-time sort keys and settlement-time keys
 * (shared/data/payouts/backfill.ts). Against the local stack that `npm start` runs on DATA_DIR, or, with
 * TABLE_NAME set, against that table with the AWS settings of the environment. Safe to run again, and
 * while the system runs. Exit codes: 0 done, 1 the store could not be read or written, 2 usage.
 */
import type { BackfillCounts, BackfillOptions } from '#shared/data/platform/backfill';
import { fail, parseCommandLine, usage } from '#shared/cli';
import { stepProgress } from './lib/progress.ts';
import { tableStore, useTable } from './lib/table-access.ts';

const PARTS = ['events', 'payouts', 'bank-references', 'failures'] as const;
type Part = (typeof PARTS)[number];

const { values } = parseCommandLine({
  name: 'backfill',
  usage: 'npm run backfill -- [--part events|payouts|bank-references|failures|all]',
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
--part all      all four (the default)
Each part reads the whole table once; progress on stderr, the counts on stdout.
Local stack of DATA_DIR (default .data/) unless TABLE_NAME is set.`,
  options: { part: { type: 'string', default: 'all' } },
});
const part = values.part;
if (part !== 'all' && !(PARTS as readonly string[]).includes(part))
  usage(`--part must be events, payouts, bank-references, failures or all, not "${part}"`);
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
