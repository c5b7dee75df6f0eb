/**
 * ISO 8601 durations as the contract uses them (`noticePeriod`, `SUBSIDY_CLAIM_PERIOD`): weeks, days,
 * hours, minutes and seconds. Years and months are refused: their length depends on the calendar,
 * and a notice or claim period must be an exact span of time.
 */
const DURATION = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?!$)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** The duration in milliseconds, or undefined when the text is not such a duration. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const [weeks, days, hours, minutes, seconds] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  const ms = ((((weeks! * 7 + days!) * 24 + hours!) * 60 + minutes!) * 60 + seconds!) * 1000;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
