/**
 * A limit per source address and notice on public objections. API Gateway's route throttle is one quota
 * for everyone; this keeps one address from filling a notice with objections (and its items' open caps)
 * while others still can. Counted per clock hour, so the window is the same in every process.
 */
const HOUR_MS = 60 * 60 * 1000;

export interface ObjectionWindow {
  /** The hour's start, `2026-12-06T23:00:00.000Z`. */
  start: string;
  /** When the counter may go (epoch seconds): an hour after the window closed. */
  expiresAt: number;
}

export function objectionWindow(now: Date): ObjectionWindow {
  const start = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
  return { start: new Date(start).toISOString(), expiresAt: Math.floor((start + 2 * HOUR_MS) / 1000) };
}
