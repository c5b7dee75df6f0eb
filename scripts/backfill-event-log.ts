/**
 * `npm run backfill-event-log`: puts the event items written before the event log existed into its
 * listings (shared/data/event-log-backfill.ts). Against the local stack that `npm start` runs on
 * DATA_DIR, or, with TABLE_NAME set, against that table with the AWS settings of the environment.
 * Safe to run again. Exit codes: 0 done, 1 the store could not be read or written, 2 usage.
 */
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { readStackFile } from '#local/stack-file';
import { fail, parseCommandLine } from './lib/cli.ts';

parseCommandLine({
  name: 'backfill-event-log',
  usage: 'npm run backfill-event-log',
  details: `Gives every event item that has no event-log listing keys its listing keys (by type, and by paying
finance system for payout and disbursement events) and, when it is finished, its expiry (30 days after it
finished; never for a pending event or a failed payment instruction). Reads the whole table once.
Local stack of DATA_DIR (default .data/) unless TABLE_NAME is set.`,
  options: {},
});

if (!process.env.TABLE_NAME) {
  const dataDir = process.env.DATA_DIR || '.data';
  const stack = await readStackFile(dataDir);
  if (!stack) fail(`no running local stack found in ${dataDir} (start it with \`npm start\`, same DATA_DIR), or set TABLE_NAME`);
  Object.assign(process.env, {
    TABLE_NAME: stack.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEndpoint,
    AWS_REGION: localRegion(),
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    APP_SECRETS_FILE: process.env.APP_SECRETS_FILE ?? join(dataDir, 'secrets.json'),
  });
}
// The backfill uses the table only; config() still wants the queue and secrets settings to exist.
process.env.DELIVERY_QUEUE_URL ??= 'unused';
process.env.EXPANSION_QUEUE_URL ??= 'unused';
if (!process.env.APP_SECRETS_ARN) process.env.APP_SECRETS_FILE ??= 'unused';
const { backfillEventLog } = await import('#shared/data/event-log-backfill');
try {
  const { scanned, updated } = await backfillEventLog();
  process.stdout.write(`backfill-event-log: ${scanned} event(s) without listing keys found, ${updated} updated\n`);
} catch (error) {
  const store = process.env.AWS_ENDPOINT_URL_DYNAMODB ?? `DynamoDB in ${process.env.AWS_REGION ?? 'the default region'}`;
  fail(`could not backfill the table ${process.env.TABLE_NAME} at ${store}: ${(error as Error).name}: ${(error as Error).message.split('\n')[0]}`);
}
