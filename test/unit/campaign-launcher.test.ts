/**
 * The launcher's sending rules against a scripted server (a fetch stand-in): what it retries, what it
 * does not, that every attempt of a row carries the row's own key, and one launch per county at a time.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReliefFundClient } from '../../client/index.ts';
import { launchRows } from '../../scripts/lib/launch.ts';
import { planFromCsv, type PlanRow } from '../../scripts/lib/plan.ts';

const NOW = new Date('2027-01-01T00:00:00Z');

function plan(counties: string[]): PlanRow[] {
  const rows = counties.map(
    (c, i) =>
      `${c},Row ${i},taobao,2027-03-${String((i % 27) + 1).padStart(2, '0')}T00:00:00Z,2027-03-${String((i % 27) + 1).padStart(2, '0')}T12:00:00Z,S${i}|Thing|100|90`,
  );
  const result = planFromCsv(['countyCode,title,channel,startsAt,endsAt,products', ...rows].join('\n'), { now: NOW });
  expect(result.errors).toEqual([]);
  return result.rows;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };
const problem = (status: number, code: string): Reply => ({ status, body: { type: 'x', title: 't', status, detail: code, code } });
const created = (id: string, replayed = false): Reply => ({
  status: 201,
  body: { campaignId: id },
  headers: replayed ? { 'idempotent-replayed': 'true' } : {},
});

/** A server that answers each request by the script for its Idempotency-Key, and records what it saw. */
function scriptedServer(script: (key: string, attempt: number, body: { countyCode: string }) => Reply, delayMs = 0) {
  const attempts = new Map<string, number>();
  const inFlight = new Map<string, number>();
  let maxSameCounty = 0;
  const seen: { key: string; countyCode: string }[] = [];
  const fetch = async (input: Request | string | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const key = request.headers.get('idempotency-key') ?? '';
    const body = (await request.json()) as { countyCode: string };
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    seen.push({ key, countyCode: body.countyCode });
    inFlight.set(body.countyCode, (inFlight.get(body.countyCode) ?? 0) + 1);
    maxSameCounty = Math.max(maxSameCounty, inFlight.get(body.countyCode)!);
    await new Promise((r) => setTimeout(r, delayMs));
    inFlight.set(body.countyCode, inFlight.get(body.countyCode)! - 1);
    const reply = script(key, n, body);
    return new Response(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': reply.status >= 400 ? 'application/problem+json' : 'application/json', ...reply.headers },
    });
  };
  return { fetch, attempts, seen, maxSameCounty: () => maxSameCounty };
}

describe('launchRows', () => {
  it('retries transient answers with the same key and stops at answers that will not change', async () => {
    const rows = plan(['500236', '532528', '622926', '653221']);
    const [flaky, busy, overlap, gone] = rows.map((r) => r.idempotencyKey);
    const server = scriptedServer((key, n) => {
      if (key === flaky) return n < 3 ? problem(503, 'internal_error') : created('cmp_flaky');
      if (key === busy) return n < 2 ? problem(409, 'idempotency_key_in_flight') : created('cmp_busy', true);
      if (key === overlap) return problem(409, 'campaign_overlap');
      if (key === gone) return problem(404, 'not_found');
      throw new Error('unexpected key');
    });
    const client = createReliefFundClient({ baseUrl: 'http://api.test', token: 't', fetch: server.fetch });
    const outcomes = await launchRows(client, rows, { concurrency: 4, backoffMs: 1 });
    expect(outcomes.map((o) => [o.result, o.campaignId ?? o.code, o.attempts])).toEqual([
      ['created', 'cmp_flaky', 3],
      ['replayed', 'cmp_busy', 2],
      ['failed', 'campaign_overlap', 1],
      ['failed', 'not_found', 1],
    ]);
    expect(server.seen.filter((s) => s.key === flaky)).toHaveLength(3);
  });

  it('gives up after the attempts allowed, reporting the last answer', async () => {
    const rows = plan(['500236']);
    const server = scriptedServer(() => problem(503, 'internal_error'));
    const client = createReliefFundClient({ baseUrl: 'http://api.test', fetch: server.fetch });
    const [outcome] = await launchRows(client, rows, { concurrency: 1, backoffMs: 1, maxAttempts: 3 });
    expect(outcome).toMatchObject({ result: 'failed', code: 'internal_error', httpStatus: 503, attempts: 3 });
  });

  it('launches every row exactly once, never two of one county at the same time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('500236', '532528', '622926'), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 8 }),
        async (counties, concurrency) => {
          const rows = plan(counties);
          const server = scriptedServer((key) => created(`cmp_${key.slice(-6)}`), 1);
          const client = createReliefFundClient({ baseUrl: 'http://api.test', fetch: server.fetch });
          const outcomes = await launchRows(client, rows, { concurrency });
          expect(outcomes.every((o) => o.result === 'created')).toBe(true);
          expect(server.seen.map((s) => s.key).sort()).toEqual(rows.map((r) => r.idempotencyKey).sort());
          expect(server.maxSameCounty()).toBe(1);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('stops taking rows once interrupted, leaving the rest not started', async () => {
    const rows = plan(['500236', '532528', '622926', '653221', '150125', '341524']);
    const stop = new AbortController();
    const server = scriptedServer((key) => {
      stop.abort();
      return created(`cmp_${key.slice(-6)}`);
    });
    const client = createReliefFundClient({ baseUrl: 'http://api.test', fetch: server.fetch });
    const outcomes = await launchRows(client, rows, { concurrency: 2, signal: stop.signal });
    const started = outcomes.filter((o) => o.result !== 'not started');
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThanOrEqual(2);
    expect(server.seen).toHaveLength(started.length);
  });
});
