/**
 * The payout CSV export (`Accept: text/csv`) of N payouts (default 5,000) against a baseline from the same
 * run: reading the same listing as JSON pages of the same size (the same queries and key reads, no CSV).
 * Figures: seconds, the CSV's size (it must fit the 6 MB Lambda response), and heap/RSS growth while it
 * runs, each side measured after a GC when node runs with --expose-gc (`measure`, also the reconciliation bench's).
 */
import type { Phase } from './stack.ts';
import { settledPayout } from './stack.ts';

export interface PayoutExportResult {
  payouts: number;
  csvBytes: number;
  exportSeconds: number;
  baselineSeconds: number;
  ratioToBaseline: number;
  exportHeapDeltaMiB: number;
  exportRssDeltaMiB: number;
  baselineHeapDeltaMiB: number;
  baselineRssDeltaMiB: number;
}

export interface Measured<T> {
  value: T;
  seconds: number;
  heapDeltaMiB: number;
  rssDeltaMiB: number;
}

const MiB = 1024 * 1024;

export async function measure<T>(run: () => Promise<T>): Promise<Measured<T>> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  let peakRss = before.rss;
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
  }, 5);
  const started = performance.now();
  const value = await run();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const after = process.memoryUsage();
  peakHeap = Math.max(peakHeap, after.heapUsed);
  peakRss = Math.max(peakRss, after.rss);
  return { value, seconds, heapDeltaMiB: (peakHeap - before.heapUsed) / MiB, rssDeltaMiB: (peakRss - before.rss) / MiB };
}

export async function benchPayoutExport(_phase: Phase, count: number): Promise<PayoutExportResult> {
  // The phase's runtime set the environment: the data modules talk to its table.
  const { payoutPutStep } = await import('#shared/data/payouts/items');
  const { listPayouts } = await import('#shared/data/payouts/items');
  const { exportPayoutsCsv } = await import('#shared/data/payouts/export');
  const { transact } = await import('#shared/data/platform/transactions');
  const { newId } = await import('#shared/ids');
  const fundId = newId('fund');
  const start = Date.now() - count * 10;
  const steps = Array.from({ length: count }, (_, n) => {
    const at = new Date(start + n * 10);
    return payoutPutStep(
      settledPayout(n, { payoutId: newId('payout', at.getTime()), disbursementId: newId('disbursement', at.getTime()), fundId }, at),
      newId('message', at.getTime()),
      { payer: 'finance-bench' },
    );
  });
  const chunks = Array.from({ length: Math.ceil(steps.length / 25) }, (_, i) => steps.slice(i * 25, i * 25 + 25));
  for (let i = 0; i < chunks.length; i += 8) await Promise.all(chunks.slice(i, i + 8).map((c) => transact(c)));

  const readAsJson = async () => {
    let cursor: string | undefined;
    let n = 0;
    let bytes = 0;
    do {
      // The JSON list's work: the same pages read and serialised.
      const page = await listPayouts({ fundId, limit: 500, cursor });
      bytes += JSON.stringify(page).length;
      n += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return bytes > 0 ? n : 0;
  };
  // One read first, so neither side pays for a cold connection pool or a cold table.
  await readAsJson();
  const baseline = await measure(readAsJson);
  const exported = await measure(() => exportPayoutsCsv({ fundId }));
  if (baseline.value !== count) throw new Error(`baseline read ${baseline.value} of ${count} payouts`);
  const lines = exported.value.split('\r\n').length - 2;
  if (lines !== count) throw new Error(`the CSV has ${lines} rows for ${count} payouts`);
  return {
    payouts: count,
    csvBytes: Buffer.byteLength(exported.value),
    exportSeconds: exported.seconds,
    baselineSeconds: baseline.seconds,
    ratioToBaseline: exported.seconds / baseline.seconds,
    exportHeapDeltaMiB: exported.heapDeltaMiB,
    exportRssDeltaMiB: exported.rssDeltaMiB,
    baselineHeapDeltaMiB: baseline.heapDeltaMiB,
    baselineRssDeltaMiB: baseline.rssDeltaMiB,
  };
}
