/**
 * The app's own keys, from two secrets so that only the function that hashes national IDs can read
 * the key for it:
 * - the app secret `{ "masterKey": "…" }` (APP_SECRETS_ARN, or APP_SECRETS_FILE locally), read by every
 *   API function but `public`: the cursor signing key and the idempotency keys are derived from it
 *   (HKDF-SHA256, one purpose each), and so is the key of the account-number hash for duplicate screening;
 * - the PII secret `{ "piiHashKey": "…" }` (PII_SECRETS_ARN, or PII_SECRETS_FILE locally), read by the
 *   stations function only: it keys the hash of national IDs and is used as it is.
 * In AWS both are generated Secrets Manager secrets; locally `npm start` generates both files under
 * DATA_DIR (local/keys.ts). Each is read once per cold start, on first use, not at import.
 */
import { hkdfSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { config } from './config.ts';
import { tracer } from './tracing.ts';

const appSecretSchema = z.object({ masterKey: z.string().min(32) });
const piiSecretSchema = z.object({ piiHashKey: z.string().min(32) });

export interface AppSecrets {
  /** Signs list cursors. */
  cursorKey: string;
  /** Keys the hashes of (caller, Idempotency-Key) and of the request, so a guessed body cannot be confirmed. */
  idempotencyKey: string;
  /** Encrypts the replies idempotency records keep for replays (they may name a person). */
  idempotencyReplyKey: string;
  /** Keys the hash of beneficiary account numbers for duplicate screening (compared, never stored). */
  screeningKey: string;
  /** Keys the hash of an objector's source address (the per-address limit; the address itself is never stored). */
  objectionSourceKey: string;
}

export interface PiiSecrets {
  /** Keys the hash of national IDs (uniqueness without storing the ID). */
  piiHashKey: string;
}

function derive(masterKey: string, purpose: string): string {
  return Buffer.from(hkdfSync('sha256', masterKey, 'relief-fund', purpose, 32)).toString('base64url');
}

/** One read per cold start; a failed read is not cached, so the next request tries again. */
function once<T>(load: () => Promise<T>): { get(): Promise<T>; reset(): void } {
  let pending: Promise<T> | undefined;
  return {
    get() {
      pending ??= load().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    reset() {
      pending = undefined;
    },
  };
}

/**
 * The secret's JSON, checked against its schema. Errors name the secret but never quote it: JSON.parse's
 * message would include the start of the text, and that is key material.
 */
async function readSecret<T>(name: string, source: { arn?: string; file?: string }, schema: z.ZodType<T>): Promise<T> {
  const raw = source.arn
    ? (await tracer.captureAWSv3Client(new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: source.arn }))).SecretString
    : await readFile(source.file as string, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(raw ?? '');
  } catch {
    throw new Error(`The ${name} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`The ${name} is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.code}`).join(', ')}`);
  }
  return parsed.data;
}

const app = once(async (): Promise<AppSecrets> => {
  const { APP_SECRETS_ARN, APP_SECRETS_FILE } = config();
  const { masterKey } = await readSecret('app secret', { arn: APP_SECRETS_ARN, file: APP_SECRETS_FILE }, appSecretSchema);
  return {
    cursorKey: derive(masterKey, 'cursor'),
    idempotencyKey: derive(masterKey, 'idempotency'),
    idempotencyReplyKey: derive(masterKey, 'idempotency-reply'),
    screeningKey: derive(masterKey, 'account-screening'),
    objectionSourceKey: derive(masterKey, 'objection-source'),
  };
});

const pii = once(async (): Promise<PiiSecrets> => {
  const { PII_SECRETS_ARN, PII_SECRETS_FILE } = config();
  if (!PII_SECRETS_ARN && !PII_SECRETS_FILE) {
    throw new Error('The national-ID hash key is not configured: PII_SECRETS_ARN or PII_SECRETS_FILE is required');
  }
  return readSecret('PII secret', { arn: PII_SECRETS_ARN, file: PII_SECRETS_FILE }, piiSecretSchema);
});

export function appSecrets(): Promise<AppSecrets> {
  return app.get();
}

export function piiSecrets(): Promise<PiiSecrets> {
  return pii.get();
}

/** For tests and the local runtime that point the secret variables elsewhere. */
export function resetSecrets(): void {
  app.reset();
  pii.reset();
}
