/**
 * Scripts that work on the table directly (the ledger check, the backfill): the table of the local stack
 * that `npm start` runs on DATA_DIR, unless TABLE_NAME (and the AWS environment) names a deployed one.
 */
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, localRegion } from '#local/environment';
import { readStackFile } from '#local/stack-file';
import { fail } from '#shared/cli';

export async function useTable(options: { deployed: boolean }): Promise<void> {
  if (!(options.deployed && process.env.TABLE_NAME)) {
    const dataDir = process.env.DATA_DIR || '.data';
    const stack = await readStackFile(dataDir);
    const or = options.deployed ? ', or set TABLE_NAME' : '';
    if (!stack) fail(`no running local stack found in ${dataDir} (start it with \`npm start\`, same DATA_DIR)${or}`);
    Object.assign(process.env, {
      TABLE_NAME: stack.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoEndpoint,
      AWS_REGION: localRegion(),
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      APP_SECRETS_FILE: process.env.APP_SECRETS_FILE ?? join(dataDir, 'secrets.json'),
    });
  }
  // These scripts use the table only; config() still wants the queue and secrets settings to exist.
  process.env.DELIVERY_QUEUE_URL ??= 'unused';
  process.env.EXPANSION_QUEUE_URL ??= 'unused';
  if (!process.env.APP_SECRETS_ARN) process.env.APP_SECRETS_FILE ??= 'unused';
}

/** Where the table was, for a message that says what could not be reached. */
export function tableStore(): string {
  return process.env.AWS_ENDPOINT_URL_DYNAMODB ?? `DynamoDB in ${process.env.AWS_REGION ?? 'the default region'}`;
}
