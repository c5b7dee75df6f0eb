/**
 * `npm run --silent token -- --role approver[,requester] --sub alice [--ttl 3600]`
 * `npm run --silent token -- --scope finance-system --sub ledger-bot` (a machine client's token: a
 * client-credentials access token of the local machine client, which `npm start` lists in MACHINE_CLIENT_IDS)
 *
 * Prints only a JWT signed with `npm start`'s local key, so run it with the same PORT and DATA_DIR.
 */
import { parseArgs } from 'node:util';
import { isRole, ROLES } from '#shared/domain/roles';
import { DEFAULT_TOKEN_TTL_SECONDS, localIssuer, mintToken, NoSigningKeyError, readSigningKey } from '#local/keys';

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(1);
}

let values: { role?: string; scope?: string; sub?: string; ttl?: string };
try {
  ({ values } = parseArgs({
    options: { role: { type: 'string' }, scope: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' } },
    strict: true,
  }));
} catch (error) {
  fail((error as Error).message);
}

if (Boolean(values.role) === Boolean(values.scope)) fail('give exactly one of --role <roles> or --scope <roles>');
const roles = (values.role ?? values.scope ?? '').split(',').map((r) => r.trim()).filter(Boolean);
const unknown = roles.filter((r) => !isRole(r));
if (roles.length === 0 || unknown.length > 0) {
  fail(`unknown role(s): ${unknown.join(', ') || '(none given)'}; roles are ${ROLES.join(', ')}`);
}
const sub = values.sub?.trim();
if (!sub) fail('--sub <caller id> is required');
const ttlSeconds = values.ttl === undefined ? DEFAULT_TOKEN_TTL_SECONDS : Number(values.ttl);
if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) fail('--ttl must be a positive number of seconds');

const port = Number(process.env.PORT || 3000);
const dataDir = process.env.DATA_DIR || '.data';
let key;
try {
  key = await readSigningKey(dataDir);
} catch (error) {
  if (error instanceof NoSigningKeyError) {
    fail(`no signing key in ${dataDir} yet: run \`npm start\` once with the same DATA_DIR (and PORT) first`);
  }
  throw error;
}
process.stdout.write(`${await mintToken(key, localIssuer(port), { roles, sub, ttlSeconds, machine: Boolean(values.scope) })}\n`);
