/**
 * The observer role's access log (API.md 1.2): every request an observer makes, to any route and whatever it answers,
 * is in `GET /v1/access-log` once its response is out; a request whose entry cannot be written is not served; nobody
 * else's requests are logged; and the log pages newest first, by observer and time range, within bounded reads.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { captureLogs } from '#test/support/log-capture';
import { ACCOUNT_NUMBER, asApprover, asRequester, COUNTY, disbursementBody, useMoneyHarness } from './disbursement-harness.ts';

const h = useMoneyHarness();
let documents: typeof import('#shared/data/platform/clients').documents;
let recordAccess: typeof import('#shared/data/access-log/record').recordAccess;
let fundId: string;
let payoutId: string;
const admin = { sub: 'admin-1', roles: ['fund-admin'] };
const auditor = { sub: 'auditor-1', roles: ['auditor'] };
const observer = (sub: string) => ({ sub, roles: ['observer'] });

beforeAll(async () => {
  ({ documents } = await import('#shared/data/platform/clients'));
  ({ recordAccess } = await import('#shared/data/access-log/record'));
  fundId = await h.fund({ allocations: { [COUNTY]: 1_000_000 } });
  const created = await h.call('POST', '/v1/disbursements', { ...asRequester(), body: disbursementBody(fundId, 12_345) });
  const approved = await h.call('POST', `/v1/disbursements/${created.body.disbursementId}/approve`, {
    ...asApprover('checker-1'),
    body: {},
  });
  expect(approved.status).toBe(200);
  payoutId = approved.body.payoutId as string;
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface Entry {
  at: string;
  actor: string;
  method: string;
  path: string;
  status: number;
}

/** Every entry of the log for a filter, page by page (`limit` per page), in the order served. */
async function readAll(query: string, limit = 100): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const page = await h.call(
      'GET',
      `/v1/access-log?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      auditor,
    );
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expect(page.body.items.length).toBeLessThanOrEqual(limit);
    entries.push(...(page.body.items as Entry[]));
    cursor = page.body.nextCursor as string | null;
  } while (cursor);
  return entries;
}

describe('every request an observer makes is in the access log', () => {
  it('on any route, with the status it got: reads, refusals, unknown ids, bad input and writes alike', async () => {
    const who = 'observer-every';
    const requests: [string, string, number][] = [
      ['GET', `/v1/funds/${fundId}`, 200],
      ['GET', `/v1/funds/${fundId}/allocations`, 200],
      ['GET', `/v1/payouts/${payoutId}`, 200],
      ['GET', '/v1/disbursement-batches', 200],
      ['GET', '/v1/disbursements/dsb_01M8MB7QKGZ7EXTNFH95G3P5TD', 404],
      ['GET', '/v1/payouts?limit=0', 400],
      ['GET', '/v1/webhook-endpoints', 403],
      ['GET', '/v1/events', 403],
      ['GET', `/v1/funds/${fundId}/ledger`, 403],
      ['GET', '/v1/objections', 403],
      ['GET', '/v1/access-log', 403],
      ['POST', '/v1/funds', 403],
      ['PUT', `/v1/funds/${fundId}/allocations/${COUNTY}`, 403],
    ];
    for (const [method, path, status] of requests) {
      const reply = await h.call(method, path, { ...observer(who), body: method === 'GET' ? undefined : {} });
      expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body)}`).toBe(status);
    }
    const logged = await readAll(`actor=${who}`);
    // Newest first: the requests in the reverse order they were made, each with its path (no query) and status.
    expect(logged.map(({ method, path, status }) => [method, path, status])).toEqual(
      requests.map(([method, path, status]) => [method, path.split('?')[0], status]).reverse(),
    );
    expect(new Set(logged.map((e) => e.actor))).toEqual(new Set([who]));
    const times = logged.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    // And in the listing of every observer.
    const everyone = await readAll('');
    for (const entry of logged) expect(everyone).toContainEqual(entry);
  });

  it('logs nobody but observers, whatever their roles', async () => {
    const callers = [
      { sub: 'not-observed-admin', roles: ['fund-admin'] },
      { sub: 'not-observed-auditor', roles: ['auditor'] },
      { sub: 'not-observed-finance', roles: ['finance-system'] },
      { sub: 'not-observed-requester', roles: ['requester'] },
    ];
    for (const caller of callers) {
      expect((await h.call('GET', `/v1/funds/${fundId}`, caller)).status).toBe(200);
      expect((await h.call('GET', '/v1/webhook-endpoints/whe_01M8MB7QKGZ7EXTNFH95G3P5TD', caller)).status).toBeGreaterThanOrEqual(400);
    }
    const everyone = await readAll('');
    expect(everyone.filter((e) => e.actor.startsWith('not-observed-'))).toEqual([]);
    // A public route takes no token: even one that reached it with an observer's claims is not an observer's request.
    expect((await h.call('GET', '/public/notices', observer('observer-on-public'))).status).toBe(200);
    expect(await readAll('actor=observer-on-public')).toEqual([]);
    // A person who is an observer among other roles is an observer.
    expect((await h.call('GET', `/v1/funds/${fundId}`, { sub: 'observer-and-auditor', roles: ['auditor', 'observer'] })).status).toBe(200);
    expect((await readAll('actor=observer-and-auditor')).map((e) => e.path)).toEqual([`/v1/funds/${fundId}`]);
  });

  it('reads money records masked for an observer, never the full account', async () => {
    const reads = [
      await h.call('GET', `/v1/payouts/${payoutId}`, observer('observer-masked')),
      await h.call('GET', '/v1/payouts', observer('observer-masked')),
      await h.call('GET', '/v1/payouts', { ...observer('observer-masked'), headers: { accept: 'text/csv' } }),
      await h.call('GET', '/v1/disbursements', observer('observer-masked')),
    ];
    for (const read of reads) {
      expect(read.status).toBe(200);
      expect(read.text).not.toContain(ACCOUNT_NUMBER);
    }
    expect(reads[0]!.body.beneficiary.account.accountNumber).toBe(`****${ACCOUNT_NUMBER.slice(-4)}`);
    expect(reads[1]!.body.items.map((p: { payoutId: string }) => p.payoutId)).toContain(payoutId);
    expect(reads[2]!.text).toContain(payoutId);
  });
});

describe('a request whose access-log entry cannot be written is not served', () => {
  function denyAccessLogWrites() {
    const send = documents.send.bind(documents) as (command: unknown) => Promise<unknown>;
    vi.spyOn(documents, 'send').mockImplementation((async (command: unknown) => {
      if (command instanceof PutCommand && String(command.input.Item?.pk).startsWith('ACCESS#')) {
        throw Object.assign(new Error('User: arn:aws:sts::000000000000:assumed-role/x is not authorized to perform: dynamodb:PutItem'), {
          name: 'AccessDeniedException',
        });
      }
      return send(command);
    }) as never);
  }

  it('answers 503 problem+json with nothing of the response and no internal text, for a read, a refusal and a CSV', async () => {
    denyAccessLogWrites();
    const logs = captureLogs();
    let replies;
    try {
      replies = [
        await h.call('GET', `/v1/payouts/${payoutId}`, observer('observer-denied')),
        await h.call('GET', '/v1/webhook-endpoints', observer('observer-denied')),
        await h.call('GET', '/v1/payouts', { ...observer('observer-denied'), headers: { accept: 'text/csv' } }),
      ];
    } finally {
      logs.restore();
    }
    // Each withheld response is logged as such, with the error's name and not the response it withheld.
    expect(logs.text().match(/access log write failed/g)).toHaveLength(3);
    expect(logs.text()).toContain('AccessDeniedException');
    expect(logs.text()).not.toContain(ACCOUNT_NUMBER);
    for (const reply of replies) {
      expect(reply.status).toBe(503);
      expect(reply.contentType).toBe('application/problem+json');
      expect(reply.body.code).toBe('temporarily_unavailable');
      expect(reply.text).not.toContain(payoutId);
      expect(reply.text).not.toMatch(/arn:aws|AccessDenied|dynamodb/i);
    }
    // Others are served as ever: only an observer's request needs its entry.
    expect((await h.call('GET', `/v1/payouts/${payoutId}`, admin)).status).toBe(200);
    vi.restoreAllMocks();
    expect(await readAll('actor=observer-denied')).toEqual([]);
  });
});

describe('GET /v1/access-log', () => {
  const day = (d: number, h = 0) => new Date(Date.UTC(2025, 0, d, h)).toISOString();

  beforeAll(async () => {
    // Two observers over five days, two requests a day each (written as the middleware writes them, at past times).
    for (let d = 1; d <= 5; d++) {
      for (const actor of ['observer-range-a', 'observer-range-b']) {
        for (const hour of [8, 16]) {
          await recordAccess({ at: day(d, hour), actor, method: 'GET', path: `/v1/funds/${fundId}`, status: 200 });
        }
      }
    }
  });

  it('pages one observer’s entries newest first, each once, within the page size', async () => {
    const all = await readAll('actor=observer-range-a', 3);
    expect(all.map((e) => e.at)).toEqual([5, 4, 3, 2, 1].flatMap((d) => [day(d, 16), day(d, 8)]));
    expect(new Set(all.map((e) => e.actor))).toEqual(new Set(['observer-range-a']));
  });

  it('keeps `from` and drops `to`', async () => {
    const range = await readAll(`actor=observer-range-b&from=${day(2, 8)}&to=${day(4, 8)}`, 2);
    expect(range.map((e) => e.at)).toEqual([day(3, 16), day(3, 8), day(2, 16), day(2, 8)]);
    const everyone = await readAll(`from=${day(2, 8)}&to=${day(2, 17)}`, 1);
    expect(everyone.map((e) => [e.actor, e.at]).sort()).toEqual(
      [
        ['observer-range-a', day(2, 8)],
        ['observer-range-a', day(2, 16)],
        ['observer-range-b', day(2, 8)],
        ['observer-range-b', day(2, 16)],
      ].sort(),
    );
    expect(everyone.map((e) => e.at)).toEqual([day(2, 16), day(2, 16), day(2, 8), day(2, 8)]);
  });

  it('refuses a forged cursor, a cursor of another filter, bad times and an observer', async () => {
    const first = await h.call('GET', '/v1/access-log?actor=observer-range-a&limit=2', admin);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const other = await h.call(
      'GET',
      `/v1/access-log?actor=observer-range-b&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`,
      admin,
    );
    expect([other.status, other.body.code]).toEqual([400, 'validation_failed']);
    const forged = await h.call('GET', '/v1/access-log?cursor=AAAA', admin);
    expect([forged.status, forged.body.code]).toEqual([400, 'validation_failed']);
    expect((await h.call('GET', '/v1/access-log?from=yesterday', admin)).status).toBe(400);
    expect((await h.call('GET', '/v1/access-log?limit=101', admin)).status).toBe(400);
    expect((await h.call('GET', '/v1/access-log', observer('observer-range-a'))).status).toBe(403);
  });
});
