/**
 * The national-ID hash key lives in its own secret (pii-secrets.json locally). A DATA_DIR from before
 * that file existed keeps the key the old code derived from the master key, so operators registered
 * then still block a second registration; a fresh DATA_DIR gets a random key of its own. The handlers
 * read it through PII_SECRETS_FILE with `piiSecrets()`.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureSecretsFiles } from '#local/keys';
import { resetConfig } from '#shared/config';
import { appSecrets, piiSecrets, resetSecrets } from '#shared/secrets';

let root: string;
const saved = { ...process.env };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'relief-fund-secrets-test-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(() => {
  process.env = { ...saved };
  resetConfig();
  resetSecrets();
});

let dirs = 0;
async function dataDir(): Promise<string> {
  return mkdtemp(join(root, `data-${dirs++}-`));
}

/** What the code before pii-secrets.json used as the national-ID hash key. */
function oldDerivation(masterKey: string): string {
  return Buffer.from(hkdfSync('sha256', masterKey, 'relief-fund', 'pii-hash', 32)).toString('base64url');
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

function useSecretFiles(files: { app?: string; pii?: string }): void {
  process.env.TABLE_NAME = 't';
  process.env.DELIVERY_QUEUE_URL = 'q';
  process.env.EXPANSION_QUEUE_URL = 'q';
  delete process.env.APP_SECRETS_ARN;
  delete process.env.PII_SECRETS_ARN;
  delete process.env.PII_SECRETS_FILE;
  process.env.APP_SECRETS_FILE = files.app ?? '/nonexistent/secrets.json';
  if (files.pii) process.env.PII_SECRETS_FILE = files.pii;
  resetConfig();
  resetSecrets();
}

describe('local secret files', () => {
  it('carries the old derived key over when a DATA_DIR has secrets.json but no pii-secrets.json', async () => {
    const dir = await dataDir();
    const masterKey = randomBytes(48).toString('base64url');
    const before = `${JSON.stringify({ masterKey })}\n`;
    await writeFile(join(dir, 'secrets.json'), before, { mode: 0o600 });

    const files = await ensureSecretsFiles(dir);

    expect(files.pii).toBe(join(dir, 'pii-secrets.json'));
    const { piiHashKey } = await readJson<{ piiHashKey: string }>(files.pii);
    expect(piiHashKey).toBe(oldDerivation(masterKey));
    expect((await stat(files.pii)).mode & 0o777).toBe(0o600);
    // The master key itself is left as it was (it still signs the cursors people hold).
    expect(await readFile(files.app, 'utf8')).toBe(before);
  });

  it('gives a fresh DATA_DIR a random key, not one derived from the new master key, both files private', async () => {
    const dir = await dataDir();
    const files = await ensureSecretsFiles(dir);

    const { piiHashKey } = await readJson<{ piiHashKey: string }>(files.pii);
    const { masterKey } = await readJson<{ masterKey: string }>(files.app);
    expect(piiHashKey).toMatch(/^[\w-]{64}$/);
    expect(Buffer.from(piiHashKey, 'base64url')).toHaveLength(48);
    expect(piiHashKey).not.toBe(oldDerivation(masterKey));
    for (const path of [files.app, files.pii]) expect((await stat(path)).mode & 0o777, path).toBe(0o600);

    const other = await readJson<{ piiHashKey: string }>((await ensureSecretsFiles(await dataDir())).pii);
    expect(other.piiHashKey).not.toBe(piiHashKey);
  });

  it('keeps the first keys on every later start', async () => {
    const dir = await dataDir();
    const first = await ensureSecretsFiles(dir);
    const pii = await readFile(first.pii, 'utf8');
    const app = await readFile(first.app, 'utf8');

    const second = await ensureSecretsFiles(dir);
    expect(second).toEqual(first);
    expect(await readFile(second.pii, 'utf8')).toBe(pii);
    expect(await readFile(second.app, 'utf8')).toBe(app);
  });

  it('refuses to invent a key when the old secrets.json is broken, without quoting it', async () => {
    const dir = await dataDir();
    await writeFile(join(dir, 'secrets.json'), '{"masterKey":"too-short-to-be-a-key"}', { mode: 0o600 });

    const failure = await ensureSecretsFiles(dir).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/masterKey/);
    expect((failure as Error).message).not.toContain('too-short-to-be-a-key');
    await expect(stat(join(dir, 'pii-secrets.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('piiSecrets()', () => {
  it('reads the key from PII_SECRETS_FILE, once per cold start', async () => {
    const files = await ensureSecretsFiles(await dataDir());
    const { piiHashKey } = await readJson<{ piiHashKey: string }>(files.pii);
    useSecretFiles(files);

    expect(await piiSecrets()).toEqual({ piiHashKey });

    await writeFile(files.pii, JSON.stringify({ piiHashKey: randomBytes(48).toString('base64url') }));
    expect((await piiSecrets()).piiHashKey).toBe(piiHashKey);
    resetSecrets();
    expect((await piiSecrets()).piiHashKey).not.toBe(piiHashKey);
  });

  it('in a migrated DATA_DIR, hashes with exactly the key the old code used', async () => {
    const dir = await dataDir();
    const masterKey = randomBytes(48).toString('base64url');
    await writeFile(join(dir, 'secrets.json'), JSON.stringify({ masterKey }), { mode: 0o600 });
    useSecretFiles(await ensureSecretsFiles(dir));

    expect((await piiSecrets()).piiHashKey).toBe(oldDerivation(masterKey));
  });

  it('does not come from the app secret: without PII_SECRETS_* it fails clearly, while the cursor key still loads', async () => {
    const files = await ensureSecretsFiles(await dataDir());
    useSecretFiles({ app: files.app });

    await expect(piiSecrets()).rejects.toThrow(/PII_SECRETS_ARN or PII_SECRETS_FILE/);
    expect(Object.keys(await appSecrets())).toEqual([
      'cursorKey',
      'idempotencyKey',
      'idempotencyReplyKey',
      'screeningKey',
      'objectionSourceKey',
    ]);
  });

  it('rejects a malformed secret without quoting it', async () => {
    const path = join(await dataDir(), 'pii-secrets.json');
    for (const content of [
      JSON.stringify({ piiHashKey: 'short-key-material' }),
      'short-key-material',
      JSON.stringify({ masterKey: 'x'.repeat(64) }),
    ]) {
      await writeFile(path, content);
      useSecretFiles({ pii: path });
      const failure = await piiSecrets().catch((error: Error) => error);
      expect(failure, content).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/PII secret/);
      expect((failure as Error).message).not.toContain('short-key-material');
      expect((failure as Error).message).not.toContain('xxxx');
    }
  });
});
