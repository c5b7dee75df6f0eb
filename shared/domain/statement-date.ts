/**
 * Which statement dates a reconciliation takes (API 1.2: dates a route cannot store are 400, never 500). A bank
 * statement is for a day that has begun somewhere: up to tomorrow in UTC (China is UTC+8, so its today is often UTC's
 * tomorrow). A later date, 9999-12-31 included (its next day, the end of the searched range, has a five-digit year),
 * is refused.
 */

/** The problem with `statementDate` (a valid `YYYY-MM-DD`) at `now`, or undefined when it is acceptable. */
export function statementDateProblem(statementDate: string, now: Date): string | undefined {
  const tomorrow = new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10);
  return statementDate > tomorrow ? `must not be after tomorrow (${tomorrow}, UTC)` : undefined;
}
