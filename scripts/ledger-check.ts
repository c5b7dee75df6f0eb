/**
 * `npm run ledger-check`: proves the books of the running local stack (`npm start` on the same
 * DATA_DIR). Recomputes every allocation's reserved and paid from what should be holding them, replays
 * the fund ledger, and prints each difference. Exit codes: 0 clean, 1 differences found or the store
 * could not be read, 2 usage.
 */
import { parseArgs } from 'node:util';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { readStackFile } from '#local/stack-file';

const USAGE = `Usage: npm run ledger-check [-- --json]

Checks the ledger of the local stack that \`npm start\` runs on DATA_DIR (default .data/):
every allocation's reserved and paid against the open payouts, unexpanded batch rows, approved
disbursements and undrawn subsidies that hold them; the fund ledger replayed from zero; fund totals.

  --json    print the result as JSON
  --help    this text

Exit codes: 0 the books balance, 1 differences found (or the store could not be read), 2 usage.
`;

let values: { json?: boolean; help?: boolean };
try {
  ({ values } = parseArgs({ options: { json: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true }));
} catch (error) {
  process.stderr.write(`ledger-check: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const dataDir = process.env.DATA_DIR || '.data';
const stack = await readStackFile(dataDir);
if (!stack) {
  process.stderr.write(`ledger-check: no running local stack found in ${dataDir} (start it with \`npm start\`, same DATA_DIR)\n`);
  process.exit(1);
}
Object.assign(process.env, {
  TABLE_NAME: stack.tableName,
  AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEndpoint,
  AWS_REGION: localRegion(),
  AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  // The check reads the table only; config() still wants the queue settings to exist.
  DELIVERY_QUEUE_URL: process.env.DELIVERY_QUEUE_URL ?? 'unused',
  EXPANSION_QUEUE_URL: process.env.EXPANSION_QUEUE_URL ?? 'unused',
});
const { checkLedger } = await import('#shared/data/ledger-check');
let result;
try {
  result = await checkLedger();
} catch (error) {
  process.stderr.write(`ledger-check: could not read the table at ${stack.dynamoEndpoint}: ${(error as Error).name}\n`);
  process.exit(1);
}
if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  for (const d of result.differences) {
    process.stdout.write(`DIFF fund ${d.fundId} county ${d.countyCode ?? '-'}: ${d.what}: expected ${d.expected}, found ${d.actual}\n`);
  }
  process.stdout.write(
    `ledger-check: ${result.allocations} allocations, ${result.entries} ledger entries, ${result.differences.length} difference(s)\n`,
  );
}
process.exit(result.differences.length === 0 ? 0 : 1);
