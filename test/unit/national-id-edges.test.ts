/** Edges of the national-ID rules: the check character's input, the canonical form, and the keyed hash. */
import { describe, expect, it } from 'vitest';
import {
  NATIONAL_ID_INPUT,
  nationalIdCheckCharacter,
  nationalIdHash,
  nationalIdProblem,
  normalizeNationalId,
} from '#shared/domain/personal-data';

const NOW = new Date('2026-11-29T08:00:00Z');

describe('the check character', () => {
  it('is computed from exactly 17 digits and nothing else', () => {
    expect(nationalIdCheckCharacter('11010519491231002')).toBe('X');
    for (const input of ['1101051949123100', '110105194912310021', 'a11010519491231002', '11010519491231002a', '1101051949123100X']) {
      expect(() => nationalIdCheckCharacter(input), input).toThrow(RangeError);
      expect(() => nationalIdCheckCharacter(input), input).toThrow('17 digits expected');
    }
  });
});

describe('the canonical form', () => {
  it('writes a lower-case x check character as X and leaves digits alone', () => {
    expect(normalizeNationalId('11010519491231002x')).toBe('11010519491231002X');
    expect(normalizeNationalId('440524188001010014')).toBe('440524188001010014');
  });

  it('a lower-case x is a format problem until normalised', () => {
    expect(nationalIdProblem('11010519491231002x', NOW)).toBe('format');
    expect(nationalIdProblem(normalizeNationalId('11010519491231002x'), NOW)).toBeUndefined();
  });
});

describe('the keyed hash', () => {
  it('tells two people apart: different numbers never share a hash', () => {
    expect(nationalIdHash('11010519491231002X', 'key-a')).not.toBe(nationalIdHash('440524188001010014', 'key-a'));
  });

  it('is the same for the same person, with x or X, and is HMAC-SHA256 in hex', () => {
    const hash = nationalIdHash('11010519491231002x', 'key-a');
    expect(hash).toBe(nationalIdHash('11010519491231002X', 'key-a'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the shape of a submitted national ID', () => {
  it('is 18 characters: a first digit other than 0, 16 digits, then a digit, X or x', () => {
    for (const id of ['11010519491231002X', '11010519491231002x', '440524188001010014']) expect(NATIONAL_ID_INPUT.test(id), id).toBe(true);
  });

  it('refuses a leading 0, letters among the digits, a wrong check character, and anything before or after', () => {
    for (const id of [
      '01010519491231002X',
      '1101051949123100AX',
      '11010519491231002Y',
      '911010519491231002X',
      '11010519491231002X9',
      ' 11010519491231002X',
    ]) {
      expect(NATIONAL_ID_INPUT.test(id), id).toBe(false);
    }
  });

  it('a longer number that ends like a valid one is a format problem', () => {
    expect(nationalIdProblem('911010519491231002X', NOW)).toBe('format');
  });
});
