/**
 * The app's own keys: the cursor signing key and the keyed-hash key for personal data.
 * In AWS they live in one Secrets Manager secret (APP_SECRETS_ARN); locally `npm start` generates a file
 * under DATA_DIR (APP_SECRETS_FILE). Both hold the same JSON, read once per cold start.
 */
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { config } from './config.ts';

const secretSchema = z.object({
  cursorKey: z.string().min(32),
  piiHashKey: z.string().min(32),
});

export type AppSecrets = z.infer<typeof secretSchema>;

let pending: Promise<AppSecrets> | undefined;

export function appSecrets(): Promise<AppSecrets> {
  pending ??= load().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function load(): Promise<AppSecrets> {
  const { APP_SECRETS_ARN, APP_SECRETS_FILE } = config();
  const raw = APP_SECRETS_ARN
    ? (await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: APP_SECRETS_ARN }))).SecretString
    : await readFile(APP_SECRETS_FILE as string, 'utf8');
  return secretSchema.parse(JSON.parse(raw ?? '{}'));
}

/** For tests that point APP_SECRETS_FILE elsewhere. */
export function resetSecrets(): void {
  pending = undefined;
}
