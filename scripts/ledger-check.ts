/**
 * `npm run ledger-check`: proves the books of the running local stack (`npm start` on the same
 * DATA_DIR). Recomputes every allocation's reserved and paid from what should be holding them, replays
 * the fund ledger, and prints each difference. Exit codes: 0 clean, 1 differences found or the store
 * could not be read, 2 usage (shared/cli.ts).
 */
import { fail, parseCommandLine } from '#shared/cli';
import { tableStore, useTable } from './lib/table-access.ts';

const { values } = parseCommandLine({
  name: 'ledger-check',
  usage: 'npm run ledger-check [-- --json]',
  details: `Checks the ledger of the local stack that \`npm start\` runs on DATA_DIR (default .data/): every
allocation's reserved and paid against the open payouts, unexpanded batch rows, approved disbursements
and undrawn subsidies that hold them; the fund ledger replayed from zero; fund totals; every snapshot's hash
and the links of each fund's snapshot chain.
--json     print the result as JSON
exit 1 also when differences are found`,
  options: { json: { type: 'boolean' } },
});

await useTable({ deployed: false });
const { checkLedger } = await import('#shared/data/ledger/check');
const { checkSnapshotChains } = await import('#shared/data/snapshots/verify');
let result;
try {
  result = await checkLedger();
  // The snapshot chains too: every hash recomputed, every link followed.
  const chains = await checkSnapshotChains();
  result = { ...result, snapshots: chains.snapshots, differences: [...result.differences, ...chains.differences] };
} catch (error) {
  fail(`could not read the table at ${tableStore()}: ${(error as Error).name}: ${(error as Error).message.split('\n')[0]}`);
}
if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  for (const d of result.differences) {
    process.stdout.write(`DIFF fund ${d.fundId} county ${d.countyCode ?? '-'}: ${d.what}: expected ${d.expected}, found ${d.actual}\n`);
  }
  process.stdout.write(
    `ledger-check: ${result.allocations} allocations, ${result.entries} ledger entries, ${result.snapshots} snapshots, ${result.differences.length} difference(s)\n`,
  );
}
process.exit(result.differences.length === 0 ? 0 : 1);
