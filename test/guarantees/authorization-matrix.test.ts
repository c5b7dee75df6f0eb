/**
 * The authorization matrix, generated from shared/routes.ts: every route × every role through the
 * local runtime (JWT authorizer emulation + the handler's own role check), plus every way a token can
 * be wrong. A route added to the table is covered by this suite without editing it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { generateKeyPair, importJWK, SignJWT, UnsecuredJWT } from 'jose';
import { startTestRuntime, type TestRuntime } from '#test/support/runtime';
import { routes, routeKey, type RouteDefinition } from '#shared/routes';
import { ROLES } from '#shared/domain/roles';
import { LOCAL_AUDIENCE, localIssuer, mintToken, readSigningKey } from '#local/keys';

let rt: TestRuntime;
type SigningKey = Parameters<SignJWT['sign']>[0];

beforeAll(async () => {
  rt = await startTestRuntime({ pollers: false });
});
afterAll(async () => rt?.stop());

/** Syntactically valid ids that name nothing, so an allowed caller reaches the handler and gets a 4xx. */
const SAMPLE_PARAMS: Record<string, string> = {
  countyCode: '659001',
  fundId: 'fund_01M8MB7QKGZ7EXTNFH95G3P5TD',
  disbursementId: 'dsb_01M8MB7QKGZ7EXTNFH95G3P5TD',
  batchId: 'bat_01M8MB7QKGZ7EXTNFH95G3P5TD',
  payoutId: 'pay_01M8MB7QKGZ7EXTNFH95G3P5TD',
  campaignId: 'cmp_01M8MB7QKGZ7EXTNFH95G3P5TD',
  stationId: 'stn_01M8MB7QKGZ7EXTNFH95G3P5TD',
  endpointId: 'whe_01M8MB7QKGZ7EXTNFH95G3P5TD',
  messageId: 'msg_01M8MB7QKGZ7EXTNFH95G3P5TD',
  noticeId: 'ntc_01M8MB7QKGZ7EXTNFH95G3P5TD',
  objectionId: 'obj_01M8MB7QKGZ7EXTNFH95G3P5TD',
  reconciliationId: 'rcn_01M8MB7QKGZ7EXTNFH95G3P5TD',
  snapshotId: 'snp_01M8MB7QKGZ7EXTNFH95G3P5TD',
  entryId: 'blk_01M8MB7QKGZ7EXTNFH95G3P5TD',
  verificationId: 'ver_01M8MB7QKGZ7EXTNFH95G3P5TD',
  half: '2026-H1',
};

function samplePath(route: RouteDefinition): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = SAMPLE_PARAMS[name];
    if (!value) throw new Error(`add a sample value for {${name}} (${routeKey(route)})`);
    return value;
  });
}

function call(route: RouteDefinition, token: string | undefined) {
  return rt.api(route.method, samplePath(route), {
    token,
    idempotencyKey: route.method === 'POST' ? randomBytes(8).toString('hex') : undefined,
    body: route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH' ? {} : undefined,
  });
}

const protectedRoutes = routes.filter((r) => r.roles !== 'public');
const publicRoutes = routes.filter((r) => r.roles === 'public');

describe('public routes take no token', () => {
  for (const route of publicRoutes) {
    it(routeKey(route), async () => {
      const reply = await call(route, undefined);
      // Unknown sample ids answer 404 and empty bodies 400: never 401/403, and never a 5xx.
      expect([200, 400, 404]).toContain(reply.status);
    });
  }
});

describe('route table', () => {
  it('declares roles for every route: public, or a non-empty list of known roles', () => {
    for (const route of routes) {
      if (route.roles === 'public') {
        // Public by the contract: meta routes and the public notice board (公示) with its objections.
        expect(
          route.path === '/health' ||
            route.path === '/docs' ||
            route.path === '/docs/reference.js' ||
            route.path === '/v1/openapi.json' ||
            /^\/(public\/)?notices(\/|$)/.test(route.path) ||
            // The fund's public page (公告公示) and its JSON: aggregates only.
            /^\/(public\/funds|transparency)\/\{fundId\}$/.test(route.path),
          routeKey(route),
        ).toBe(true);
        continue;
      }
      expect(route.roles.length, routeKey(route)).toBeGreaterThan(0);
      for (const role of route.roles) expect(ROLES, routeKey(route)).toContain(role);
    }
  });

  it('gives the auditor read access only', () => {
    for (const route of protectedRoutes) {
      if ((route.roles as readonly string[]).includes('auditor')) expect(route.method, routeKey(route)).toBe('GET');
    }
  });

  it('gives the observer read access only, and none to endpoints, events, objections, the ledger or the access log', () => {
    // API 1.2: an observer reads funds, allocations, progress, snapshots, reports and money records (masked).
    const neverObserved = /^\/v1\/(webhook-endpoints|events|objections|access-log|reconciliations|account-verifications)(\/|$)|\/ledger$/;
    const observed = protectedRoutes.filter((r) => (r.roles as readonly string[]).includes('observer'));
    for (const route of observed) {
      expect(route.method, routeKey(route)).toBe('GET');
      expect(route.path, routeKey(route)).not.toMatch(neverObserved);
    }
    const reads = observed.map(routeKey);
    for (const key of [
      'GET /v1/funds/{fundId}',
      'GET /v1/funds/{fundId}/allocations',
      'GET /v1/funds/{fundId}/progress',
      'GET /v1/funds/{fundId}/snapshots/{snapshotId}',
      'GET /v1/disbursements/{disbursementId}',
      'GET /v1/disbursement-batches/{batchId}',
      'GET /v1/payouts/{payoutId}',
      'GET /v1/payouts',
    ]) {
      expect(reads, key).toContain(key);
    }
  });
});

describe('every route × every role', () => {
  for (const route of protectedRoutes) {
    it(`${routeKey(route)}`, async () => {
      for (const role of ROLES) {
        const res = await call(route, await rt.token(role, `matrix-${role}`));
        const allowed = (route.roles as readonly string[]).includes(role);
        expect(res.status, `${role} on ${routeKey(route)}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
        if (allowed) {
          expect(res.status, `${role} must pass authorization on ${routeKey(route)}`).not.toBe(401);
          expect(res.body?.code, `${role} must pass authorization on ${routeKey(route)}`).not.toBe('forbidden');
        } else {
          expect(res.status, `${role} must be refused on ${routeKey(route)}`).toBe(403);
          expect(res.body.code).toBe('forbidden');
        }
      }
    });
  }
});

describe('the access log holds every request the observer made above', () => {
  it('one entry per protected route, with the status it got, none for the other roles', async () => {
    const entries: { actor: string; method: string; path: string; status: number }[] = [];
    let cursor: string | null = null;
    const auditor = await rt.token('auditor', 'matrix-log-reader');
    do {
      const page = await rt.api('GET', `/v1/access-log?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
        token: auditor,
      });
      expect(page.status).toBe(200);
      entries.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const observed = entries.filter((e) => e.actor === 'matrix-observer');
    expect(observed.map((e) => `${e.method} ${e.path}`).sort()).toEqual(protectedRoutes.map((r) => `${r.method} ${samplePath(r)}`).sort());
    for (const e of observed) expect(e.status, `${e.method} ${e.path}`).toBeLessThan(500);
    expect(entries.filter((e) => e.actor.startsWith('matrix-') && e.actor !== 'matrix-observer')).toEqual([]);
  });
});

describe('scope roles come only from machine clients', () => {
  const allScopes = ROLES.map((r) => `relief-fund/${r}`).join(' ');
  let people: Record<string, string>;
  let machine: string;

  beforeAll(async () => {
    const issuer = localIssuer(Number(new URL(rt.url).port));
    const key = await readSigningKey(rt.dataDir);
    const privateKey = (await importJWK(key.privateJwk, 'RS256')) as SigningKey;
    const signed = (claims: Record<string, unknown>, audience?: string) => {
      const jwt = new SignJWT({ scope: allScopes, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setSubject('li.hua')
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime('10m');
      if (audience) jwt.setAudience(audience);
      return jwt.sign(privateKey);
    };
    people = {
      // The user-facing app client allowed the resource server's scopes, by mistake: its users' tokens carry them.
      "a person's ID token": await signed({ token_use: 'id', 'cognito:username': 'li.hua' }, LOCAL_AUDIENCE),
      "a person's access token": await signed({ token_use: 'access', client_id: LOCAL_AUDIENCE, username: 'li.hua' }),
    };
    machine = await mintToken(key, issuer, { roles: [...ROLES], sub: 'ledger-bot', machine: true });
  });

  for (const route of protectedRoutes) {
    it(`${routeKey(route)}`, async () => {
      for (const [name, token] of Object.entries(people)) {
        const res = await call(route, token);
        expect(res.status, `${name} with relief-fund scopes on ${routeKey(route)}`).toBe(403);
        expect(res.body.code).toBe('forbidden');
      }
      const res = await call(route, machine);
      expect(res.status, `a machine client's token on ${routeKey(route)}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
      expect(res.status).not.toBe(401);
      expect(res.body?.code, `a machine client's scopes must grant its roles on ${routeKey(route)}`).not.toBe('forbidden');
    });
  }
});

describe('bad tokens are refused on every protected route before any handler runs', () => {
  let bad: Record<string, string | undefined>;

  beforeAll(async () => {
    const port = Number(new URL(rt.url).port);
    const issuer = localIssuer(port);
    const key = await readSigningKey(rt.dataDir);
    const good = await mintToken(key, issuer, { roles: [...ROLES], sub: 'intruder' });
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else' })).toString('base64url');
    const { privateKey: strangerKey } = await generateKeyPair('RS256');
    const privateKey = (await importJWK(key.privateJwk, 'RS256')) as SigningKey;
    const sign = (overrides: { iss?: string; aud?: string; exp?: number; key?: SigningKey }) =>
      new SignJWT({ 'cognito:groups': [...ROLES] })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setSubject('intruder')
        .setIssuer(overrides.iss ?? issuer)
        .setAudience(overrides.aud ?? LOCAL_AUDIENCE)
        .setExpirationTime(overrides.exp ?? Math.floor(Date.now() / 1000) + 600)
        .sign(overrides.key ?? privateKey);
    bad = {
      missing: undefined,
      expired: await sign({ exp: Math.floor(Date.now() / 1000) - 60 }),
      'wrong issuer': await sign({ iss: 'https://cognito-idp.example.invalid/other' }),
      'wrong audience': await sign({ aud: 'another-app' }),
      'alg none': new UnsecuredJWT({ 'cognito:groups': [...ROLES] })
        .setSubject('intruder')
        .setIssuer(issuer)
        .setAudience(LOCAL_AUDIENCE)
        .setExpirationTime('10m')
        .encode(),
      'HS256 with the public key as secret': await new SignJWT({ 'cognito:groups': [...ROLES] })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setSubject('intruder')
        .setIssuer(issuer)
        .setAudience(LOCAL_AUDIENCE)
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk))),
      'tampered payload': `${header}.${forgedPayload}.${signature}`,
      'signed by another key': await sign({ key: strangerKey }),
      garbage: 'not-a-jwt',
    };
  });

  for (const route of protectedRoutes) {
    it(`${routeKey(route)}`, async () => {
      for (const [name, token] of Object.entries(bad)) {
        const res = await call(route, token);
        expect(res.status, `${name} on ${routeKey(route)}`).toBe(401);
        expect(res.body.code).toBe('unauthenticated');
      }
    });
  }
});

/**
 * Webhook endpoint ownership (API 1.2, "No single person can redirect a payment"): only a finance system
 * binds an endpoint, to itself; a fund-admin's endpoints are observers; a finance system sees, changes
 * and rotates only its own; on a finance system's endpoint a fund-admin re-enables, tests, resends,
 * reads deliveries and deletes, but changes neither url nor events and does not rotate the secret.
 */
describe('webhook endpoint ownership: every role, and a second finance system', () => {
  const FS1 = 'matrix-finance-one';
  const FS2 = 'matrix-finance-two';
  const url = (n: number) => `http://127.0.0.1:9/hook-${n}`;
  const as = (role: string, sub = `owner-${role}`) => ({ roles: role, sub });
  const admin = as('fund-admin');
  const one = as('finance-system', FS1);
  const two = as('finance-system', FS2);
  const create = (who: { roles: string; sub: string }, body: Record<string, unknown>) =>
    rt.api('POST', '/v1/webhook-endpoints', { ...who, idempotencyKey: randomBytes(8).toString('hex'), body: { events: ['*'], ...body } });
  const listed = async (who: { roles: string; sub: string }) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await rt.api('GET', `/v1/webhook-endpoints?limit=100${cursor ? `&cursor=${cursor}` : ''}`, who);
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((e: { endpointId: string }) => e.endpointId));
      cursor = page.body.nextCursor;
    } while (cursor);
    return ids;
  };

  it('binding: only a finance system, only to itself; a fund-admin may not name a financeSystem', async () => {
    for (const role of ROLES) {
      const bound = await create(as(role), { url: url(1), financeSystem: FS1 });
      expect(bound.status, `${role} binding an endpoint to ${FS1}`).toBe(403);
      expect(bound.body.code).toBe('forbidden');
    }
    const byTwo = await create(two, { url: url(1), financeSystem: FS1 });
    expect(byTwo.status).toBe(403);
    expect(byTwo.body.code).toBe('forbidden');

    const own = await create(one, { url: url(1), financeSystem: FS1 });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ financeSystem: FS1, secret: expect.stringMatching(/^whsec_/) });
    const implicit = await create(one, { url: url(2) });
    expect(implicit.status).toBe(201);
    expect(implicit.body.financeSystem).toBe(FS1);
    const observer = await create(admin, { url: url(3) });
    expect(observer.status).toBe(201);
    expect(observer.body.financeSystem).toBeNull();
  });

  it("a finance system sees, changes and rotates only its own; a fund-admin only re-enables, tests, resends, reads and deletes a finance system's", async () => {
    const mine = (await create(one, { url: url(4) })).body.endpointId as string;
    const theirs = (await create(two, { url: url(5) })).body.endpointId as string;
    const observer = (await create(admin, { url: url(6) })).body.endpointId as string;
    const path = (id: string, tail = '') => `/v1/webhook-endpoints/${id}${tail}`;
    const unknownMessage = 'msg_01M8MB7QKGZ7EXTNFH95G3P5TD';

    // The owner.
    expect((await rt.api('GET', path(mine), one)).status).toBe(200);
    expect((await rt.api('PATCH', path(mine), { ...one, body: { url: url(7), events: ['payout.requested'] } })).status).toBe(200);
    expect((await rt.api('POST', path(mine, '/rotate-secret'), { ...one, body: {} })).body.secret).toMatch(/^whsec_/);
    expect((await rt.api('GET', path(mine, '/deliveries'), one)).status).toBe(200);
    const ofOne = await listed(one);
    expect(ofOne).toContain(mine);
    expect(ofOne).not.toContain(theirs);
    expect(ofOne).not.toContain(observer);

    // Another finance system: the endpoint does not exist for it.
    for (const [method, tail, body] of [
      ['GET', '', undefined],
      ['PATCH', '', { status: 'enabled' }],
      ['POST', '/rotate-secret', {}],
      ['GET', '/deliveries', undefined],
      ['DELETE', '', undefined],
    ] as const) {
      const reply = await rt.api(method, path(mine, tail), { ...two, body });
      expect(reply.status, `${FS2} ${method} ${tail} on ${FS1}'s endpoint`).toBe(404);
      expect(reply.body.code).toBe('not_found');
    }
    expect((await rt.api('GET', path(observer), one)).status).toBe(404);

    // A fund-admin on a finance system's endpoint.
    expect((await rt.api('GET', path(mine), admin)).status).toBe(200);
    expect((await rt.api('PATCH', path(mine), { ...admin, body: { status: 'enabled' } })).status).toBe(200);
    for (const body of [{ url: url(8) }, { events: ['*'] }, { status: 'enabled', url: url(8) }]) {
      const reply = await rt.api('PATCH', path(mine), { ...admin, body });
      expect(reply.status, `fund-admin PATCH ${JSON.stringify(body)}`).toBe(403);
      expect(reply.body.code).toBe('forbidden');
    }
    const rotate = await rt.api('POST', path(mine, '/rotate-secret'), { ...admin, body: {} });
    expect(rotate.status).toBe(403);
    expect(rotate.body.code).toBe('forbidden');
    expect((await rt.api('GET', path(mine, '/deliveries'), admin)).status).toBe(200);
    expect((await rt.api('POST', path(mine, '/test'), { ...admin, body: {} })).status).toBe(202);
    expect((await rt.api('POST', path(mine, `/messages/${unknownMessage}/resend`), { ...admin, body: {} })).status).toBe(404);

    // A fund-admin's own (observer) endpoint: every change.
    expect((await rt.api('PATCH', path(observer), { ...admin, body: { url: url(9) } })).status).toBe(200);
    expect((await rt.api('POST', path(observer, '/rotate-secret'), { ...admin, body: {} })).status).toBe(200);

    // The auditor reads every endpoint; nobody else reads any.
    const ofAuditor = await listed(as('auditor'));
    expect(ofAuditor).toEqual(expect.arrayContaining([mine, theirs, observer]));
    for (const role of ROLES.filter((r) => !['fund-admin', 'finance-system', 'auditor'].includes(r))) {
      expect((await rt.api('GET', path(mine), as(role))).status, role).toBe(403);
    }

    expect((await rt.api('DELETE', path(mine), admin)).status).toBe(204);
    expect((await rt.api('DELETE', path(theirs), two)).status).toBe(204);
  });
});
