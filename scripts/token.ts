/**
 * `npm run --silent token -- --role approver[,requester] --sub alice [--ttl 3600]`
 * `npm run --silent token -- --scope finance-system --sub ledger-bot` (a machine client's token: a
 * client-credentials access token of the local machine client, which `npm start` lists in MACHINE_CLIENT_IDS)
 *
 * Prints only a JWT signed with `npm start`'s local key, so run it with the same PORT and DATA_DIR.
 * Exit codes: 0 printed, 1 no signing key yet, 2 usage.
 */
import { isRole, ROLES } from '#shared/domain/roles';
import { DEFAULT_TOKEN_TTL_SECONDS, localIssuer, mintToken, NoSigningKeyError, readSigningKey } from '#local/keys';
import { usage, fail, parseCommandLine } from '#shared/cli';

const { values } = parseCommandLine({
  name: 'token',
  usage: 'npm run --silent token -- (--role ROLES | --scope ROLES) --sub ID [--ttl SECONDS]',
  details: `--role     a person's roles, comma-separated (${ROLES.join(', ')})
--scope    the same, as a machine client's scopes
--sub      the caller's id
--ttl      lifetime in seconds (default ${DEFAULT_TOKEN_TTL_SECONDS})
PORT and DATA_DIR as for \`npm start\` (the issuer and the signing key)`,
  options: { role: { type: 'string' }, scope: { type: 'string' }, sub: { type: 'string' }, ttl: { type: 'string' } },
});

if (Boolean(values.role) === Boolean(values.scope)) usage('give exactly one of --role <roles> or --scope <roles>');
const roles = (values.role ?? values.scope ?? '')
  .split(',')
  .map((r) => r.trim())
  .filter(Boolean);
const unknown = roles.filter((r) => !isRole(r));
if (roles.length === 0 || unknown.length > 0) {
  usage(`unknown role(s): ${unknown.join(', ') || '(none given)'}; roles are ${ROLES.join(', ')}`);
}
const sub = values.sub?.trim();
if (!sub) usage('--sub <caller id> is required');
const ttlSeconds = values.ttl === undefined ? DEFAULT_TOKEN_TTL_SECONDS : Number(values.ttl);
if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) usage('--ttl must be a positive number of seconds');

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
