/**
 * Local key material under DATA_DIR, generated once with mode 0600 and kept across restarts:
 * `secrets.json` (the app's master key, read by shared/secrets.ts through APP_SECRETS_FILE),
 * `pii-secrets.json` (the national-ID hash key, through PII_SECRETS_FILE) and the RS256 key pair that
 * stands in for the Cognito user pool: `npm start` verifies with it, and `npm run token` and the test
 * support sign with it.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { SCOPE_PREFIX } from '#shared/domain/roles';

export const SECRETS_FILE = 'secrets.json';
export const PII_SECRETS_FILE = 'pii-secrets.json';
export const SIGNING_KEY_FILE = 'jwt-signing-key.json';
export const TOKEN_ALGORITHM = 'RS256';
export const LOCAL_AUDIENCE = 'relief-fund';
/** The local machine client (client credentials): `npm run token -- --scope ...` tokens are its access tokens. */
export const LOCAL_MACHINE_CLIENT_ID = 'relief-fund-machine';
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export function localIssuer(port: number): string {
  return `http://127.0.0.1:${port}/local-issuer`;
}

/** Writes `content` only if the file does not exist yet (two starts racing keep the first one's key). */
async function createOnce(path: string, content: () => Promise<string> | string): Promise<void> {
  try {
    await writeFile(path, await content(), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

export interface SecretsFiles {
  /** `{ masterKey }`: APP_SECRETS_FILE. */
  app: string;
  /** `{ piiHashKey }`: PII_SECRETS_FILE. */
  pii: string;
}

/**
 * Both secret files. The PII file comes first: in a DATA_DIR from before it existed, its key must be
 * the one derived from the existing master key, and on a fresh DATA_DIR it must not be derived from the
 * master key created a moment later.
 */
export async function ensureSecretsFiles(dataDir: string): Promise<SecretsFiles> {
  await mkdir(dataDir, { recursive: true });
  const pii = join(dataDir, PII_SECRETS_FILE);
  await createOnce(
    pii,
    async () => `${JSON.stringify({ piiHashKey: (await legacyPiiHashKey(dataDir)) ?? randomBytes(48).toString('base64url') })}\n`,
  );
  const app = join(dataDir, SECRETS_FILE);
  await createOnce(app, () => `${JSON.stringify({ masterKey: randomBytes(48).toString('base64url') })}\n`);
  return { app, pii };
}

/**
 * The national-ID hash key as the code before `pii-secrets.json` derived it from the master key, so
 * operator slots hashed then still block a second registration; undefined if there is no `secrets.json`.
 */
async function legacyPiiHashKey(dataDir: string): Promise<string | undefined> {
  const path = join(dataDir, SECRETS_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let masterKey: unknown;
  try {
    masterKey = (JSON.parse(text) as { masterKey?: unknown }).masterKey;
  } catch {
    masterKey = undefined;
  }
  if (typeof masterKey !== 'string' || masterKey.length < 32) {
    // Never a fresh key here: it would silently let every existing operator register again.
    throw new Error(`${path} has no valid masterKey, so the national-ID hash key cannot be carried over to ${PII_SECRETS_FILE}`);
  }
  return Buffer.from(hkdfSync('sha256', masterKey, 'relief-fund', 'pii-hash', 32)).toString('base64url');
}

export interface SigningKeyFile {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function ensureSigningKey(dataDir: string): Promise<SigningKeyFile> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, SIGNING_KEY_FILE);
  await createOnce(path, async () => {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const file: SigningKeyFile = {
      kid,
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' },
      publicJwk: { ...publicJwk, kid, alg: TOKEN_ALGORITHM, use: 'sig' },
    };
    return `${JSON.stringify(file)}\n`;
  });
  return readSigningKey(dataDir);
}

export class NoSigningKeyError extends Error {
  constructor(readonly path: string) {
    super(`no signing key at ${path}`);
    this.name = 'NoSigningKeyError';
  }
}

export async function readSigningKey(dataDir: string): Promise<SigningKeyFile> {
  const path = join(dataDir, SIGNING_KEY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NoSigningKeyError(path);
    throw error;
  }
  return JSON.parse(text) as SigningKeyFile;
}

export interface TokenRequest {
  /** Contract roles, sent as `cognito:groups` (people) or as `relief-fund/<role>` scopes (machine clients). */
  roles: string[];
  sub: string;
  ttlSeconds?: number;
  /**
   * A client-credentials access token of the local machine client, as Cognito issues them: `scope`,
   * `client_id`, `token_use: access`, no `aud` and no `username`.
   */
  machine?: boolean;
  /** The app client a person signed in with (the console's); the API's own audience otherwise. */
  audience?: string;
}

export async function mintToken(key: SigningKeyFile, issuer: string, request: TokenRequest): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, TOKEN_ALGORITHM);
  const claims: Record<string, unknown> = request.machine
    ? { scope: request.roles.map((r) => `${SCOPE_PREFIX}${r}`).join(' '), client_id: LOCAL_MACHINE_CLIENT_ID, token_use: 'access' }
    : { 'cognito:groups': request.roles, token_use: 'id' };
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(request.sub)
    .setIssuedAt()
    .setJti(randomBytes(12).toString('base64url'))
    .setExpirationTime(Math.floor(Date.now() / 1000) + (request.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS));
  if (!request.machine) jwt.setAudience(request.audience ?? LOCAL_AUDIENCE);
  return jwt.sign(privateKey);
}
