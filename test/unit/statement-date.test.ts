import { describe, expect, it } from 'vitest';
import { statementDateProblem } from '#shared/domain/statement-date';

describe('statementDateProblem: a statement is for a day up to tomorrow (UTC)', () => {
  const now = new Date('2026-12-06T23:30:00.000Z');

  it.each(['2026-12-07', '2026-12-06', '1970-01-01', '0001-01-01'])('%s is taken', (date) => {
    expect(statementDateProblem(date, now)).toBeUndefined();
  });

  it.each(['2026-12-08', '2027-01-01', '9999-12-31'])('%s is refused', (date) => {
    expect(statementDateProblem(date, now)).toBe('must not be after tomorrow (2026-12-07, UTC)');
  });
});
