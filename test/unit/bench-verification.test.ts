/** The bench's verification section: its two goals (issue 23) and its table (pure, nothing run). */
import { describe, expect, it } from 'vitest';
import { evaluateGoals, renderReport, type BenchResults } from '../../bench/report.ts';

const base: BenchResults = { startedAt: '', machine: { node: 'v24', cpus: 2, platform: 'linux' } };
const verification = (timeRatio: number, readUnitsPerRow: number) => ({
  items: 5000,
  offSeconds: 10,
  requiredSeconds: 10 * timeRatio,
  createSeconds: 11.8,
  requestedSeconds: 4.5,
  answeredSeconds: 9.5,
  timeRatio,
  readUnitsPerRow,
  writeUnitsPerRow: 17.76,
  offReadUnitsPerRow: 0,
  offWriteUnitsPerRow: 2.01,
});
const goal = (results: BenchResults, name: string) => evaluateGoals(results).find((g) => g.goal === name)!;
const TIME = 'verification timeRatio < 2';
const READS = 'verification ≤ 3 read units per row';

describe('the verification goals', () => {
  it('hold under twice the time of the batch that does not verify, missed at twice or more', () => {
    expect(goal({ ...base, verification: verification(1.99, 2) }, TIME)).toMatchObject({ met: true, actual: '1.99 (5000 rows)' });
    expect(goal({ ...base, verification: verification(2, 2) }, TIME).met).toBe(false);
  });

  it('hold at 3 read units per row or fewer, missed above', () => {
    expect(goal({ ...base, verification: verification(1, 3) }, READS).met).toBe(true);
    expect(goal({ ...base, verification: verification(1, 3.01) }, READS)).toMatchObject({ met: false, actual: '3.01' });
  });

  it('are neither met nor missed when the section did not run or failed', () => {
    expect(goal(base, TIME).met).toBeUndefined();
    expect(goal({ ...base, verification: { missing: 'timed out' } }, READS)).toMatchObject({
      met: undefined,
      actual: 'missing: timed out',
    });
  });
});

describe('the verification table', () => {
  it('prints both batches, their units per row and the ratio, or says it is missing', () => {
    const text = renderReport({ ...base, verification: verification(9.77, 2.17) });
    expect(text).toMatch(/not verifying\s+10\.0\s+0\.00\s+2\.01/);
    expect(text).toMatch(
      /verifying\s+97\.7\s+2\.17\s+17\.76\s+every rule on; creation request 11\.8 s, all requested at 4\.5 s, all answered at 9\.5 s/,
    );
    expect(text).toMatch(/ratio\s+9\.77\s+5000 rows/);
    expect(text).not.toMatch(/floor/);
    const floored = renderReport({ ...base, verification: { ...verification(9.77, 2.17), floorSeconds: 32.5, floorRatio: 4.25 } });
    expect(floored).toMatch(
      /floor\s+32\.5\s+5000 answers that find no verification \(404, nothing written\); least ratio reachable here 4\.25/,
    );
    expect(renderReport({ ...base, verification: { missing: 'boom' } })).toContain('missing: boom');
  });
});
