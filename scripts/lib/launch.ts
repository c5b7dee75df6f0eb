/**
 * Launches plan rows through the typed client with bounded concurrency. Every row carries the
 * Idempotency-Key derived from its content, which makes retrying safe: transient failures (network,
 * 5xx, 429, a key still in flight after an interrupted run) are retried with backoff, and a row that
 * was already launched comes back as a replay (`Idempotent-Replayed: true`) instead of a duplicate.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { problemOf, type ReliefFundClient } from '../../client/index.ts';
import type { PlanRow } from './plan.ts';

export type RowResult = 'created' | 'replayed' | 'failed' | 'not started';

export interface RowOutcome {
  row: number;
  line?: number;
  countyCode: string;
  channel: string;
  title: string;
  result: RowResult;
  campaignId?: string;
  httpStatus?: number;
  code?: string;
  detail?: string;
  attempts: number;
}

export interface LaunchOptions {
  concurrency: number;
  /** Stops taking new rows (rows already sent finish). */
  signal?: AbortSignal;
  maxAttempts?: number;
  /** Base backoff between attempts, doubled each time, with jitter. */
  backoffMs?: number;
  onRow?: (outcome: RowOutcome) => void;
}

const TRANSIENT_CODES = new Set(['idempotency_key_in_flight']);

export async function launchRows(client: ReliefFundClient, rows: PlanRow[], options: LaunchOptions): Promise<RowOutcome[]> {
  const outcomes: RowOutcome[] = rows.map((r) => ({
    row: r.row,
    line: r.line,
    countyCode: r.body.countyCode,
    channel: r.body.channel,
    title: r.body.title,
    result: 'not started',
    attempts: 0,
  }));
  const pending = rows.map((_, i) => i);
  const busyCounties = new Set<string>();
  let wake: (() => void)[] = [];
  const worker = async () => {
    while (!options.signal?.aborted && pending.length > 0) {
      const index = takeNext(rows, pending, busyCounties);
      if (index === undefined) {
        // Every pending row is for a county already in flight: wait for one to finish.
        await new Promise<void>((resolve) => wake.push(resolve));
        continue;
      }
      const county = rows[index]!.body.countyCode;
      busyCounties.add(county);
      try {
        outcomes[index] = await launchOne(client, rows[index]!, outcomes[index]!, options);
      } finally {
        busyCounties.delete(county);
        const waiting = wake;
        wake = [];
        for (const resolve of waiting) resolve();
      }
      options.onRow?.(outcomes[index]);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, rows.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return outcomes;
}

/**
 * The first pending row of a county that has no launch in flight. A county's launches touch the same
 * items (its allocation, aggregates, live windows), so sending them one at a time per county avoids
 * transaction conflicts and retries on the server while other counties keep the workers busy.
 */
function takeNext(rows: PlanRow[], pending: number[], busyCounties: Set<string>): number | undefined {
  const at = pending.findIndex((i) => !busyCounties.has(rows[i]!.body.countyCode));
  if (at === -1) return undefined;
  return pending.splice(at, 1)[0];
}

async function launchOne(client: ReliefFundClient, row: PlanRow, start: RowOutcome, options: LaunchOptions): Promise<RowOutcome> {
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? 250;
  let outcome = start;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    outcome = { ...start, attempts: attempt };
    try {
      const { data, error, response } = await client.POST('/v1/campaigns', {
        params: { header: { 'Idempotency-Key': row.idempotencyKey } },
        body: row.body,
      });
      if (data) {
        const replayed = response.headers.get('idempotent-replayed') === 'true';
        return { ...outcome, result: replayed ? 'replayed' : 'created', campaignId: data.campaignId, httpStatus: response.status };
      }
      const problem = problemOf(error, response.status);
      outcome = { ...outcome, result: 'failed', httpStatus: response.status, code: problem.code, detail: problem.detail };
      const transient = response.status >= 500 || response.status === 429 || TRANSIENT_CODES.has(problem.code);
      if (!transient) return outcome;
    } catch (error) {
      outcome = { ...outcome, result: 'failed', code: 'network_error', detail: (error as Error).message };
    }
    if (attempt < maxAttempts) await sleep(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
  }
  return outcome;
}
