/**
 * The app's own keys: the cursor signing key and the keyed-hash key for personal data, both derived
 * (HKDF-SHA256) from one master key. In AWS the master key is a generated Secrets Manager secret
 * (APP_SECRETS_ARN); locally `npm start` generates a file under DATA_DIR (APP_SECRETS_FILE). Both hold
 * `{ "masterKey": "…" }`, read once per cold start.
 */
import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { config } from './config.ts';

const secretSchema = z.object({ masterKey: z.string().min(32) });

export interface AppSecrets {
  /** Signs list cursors. */
  cursorKey: string;
  /** Keys the hash of national IDs (uniqueness without storing the ID). */
  piiHashKey: string;
}

function derive(masterKey: string, purpose: string): string {
  return Buffer.from(hkdfSync('sha256', masterKey, 'relief-fund', purpose, 32)).toString('base64url');
}

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
  const { masterKey } = secretSchema.parse(JSON.parse(raw ?? '{}'));
  return { cursorKey: derive(masterKey, 'cursor'), piiHashKey: derive(masterKey, 'pii-hash') };
}

/** For tests that point APP_SECRETS_FILE elsewhere. */
export function resetSecrets(): void {
  pending = undefined;
}
