/**
 * Small statistics for the benchmark: percentiles of latencies, medians of repeated cold starts and
 * ratios against a baseline measured in the same run. Pure, so the unit tests need no services.
 */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, not ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(samples: readonly number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `count` operations over `ms` milliseconds, per second. */
export function perSecond(count: number, ms: number): number {
  if (!(ms > 0)) return 0;
  return (count * 1000) / ms;
}

/** measured ÷ baseline, or undefined when either is missing or the baseline is zero. */
export function ratio(measured: number | undefined, baseline: number | undefined): number | undefined {
  if (measured === undefined || baseline === undefined || !(baseline > 0) || !Number.isFinite(measured)) return undefined;
  return measured / baseline;
}

/** Rounds for the report (figures with more digits than the noise only mislead). */
export function round(value: number | undefined, digits = 2): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * Runs `task` over `inputs` with at most `concurrency` in flight; returns each task's duration in ms
 * (in input order) and the wall time of the whole run.
 */
export async function runConcurrently<T>(
  inputs: readonly T[],
  concurrency: number,
  task: (input: T) => Promise<void>,
  onDone?: (done: number) => void,
): Promise<{ durationsMs: number[]; wallMs: number }> {
  const durationsMs: number[] = new Array(inputs.length);
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= inputs.length) return;
      const t0 = performance.now();
      await task(inputs[index]!);
      durationsMs[index] = performance.now() - t0;
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, inputs.length)) }, worker));
  return { durationsMs, wallMs: performance.now() - started };
}
