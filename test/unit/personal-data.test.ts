import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  isMainlandMobile,
  isValidNationalId,
  nationalIdCheckCharacter,
  nationalIdHash,
  nationalIdProblem,
  PERSONAL_DATA_MESSAGES,
} from '#shared/domain/personal-data';
import { ApplyStationBody } from '#shared/schemas/stations';

const NOW = new Date('2026-11-29T08:00:00Z');

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A valid ID built independently of the code under test's shape checks: region, real date, sequence, check. */
const validNationalId = fc
  .record({
    region: fc.integer({ min: 110000, max: 999999 }),
    birth: fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2026-11-28T00:00:00Z'), noInvalidDate: true }),
    sequence: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ region, birth, sequence }) => {
    const first17 = `${region}${pad(birth.getUTCFullYear(), 4)}${pad(birth.getUTCMonth() + 1, 2)}${pad(birth.getUTCDate(), 2)}${pad(sequence, 3)}`;
    return first17 + nationalIdCheckCharacter(first17);
  });

const validPhone = fc
  .tuple(fc.integer({ min: 3, max: 9 }), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 9, maxLength: 9 }))
  .map(([second, rest]) => `1${second}${rest}`);

describe('national ID (GB 11643, ISO 7064 MOD 11-2)', () => {
  it('agrees with published examples, including the X check character', () => {
    // The standard's own example (check character X), and a widely published one whose check
    // character is right but whose 1880 birth date is not plausible.
    expect(isValidNationalId('11010519491231002X', NOW)).toBe(true);
    expect(nationalIdCheckCharacter('44052418800101001')).toBe('4');
    expect(nationalIdProblem('440524188001010014', NOW)).toBe('birth_date');
  });

  it('accepts every generated valid ID', () => {
    fc.assert(fc.property(validNationalId, (id) => nationalIdProblem(id, NOW) === undefined));
  });

  it('rejects any single-character change of a valid ID', () => {
    const alphabet = [...'0123456789X'];
    fc.assert(
      fc.property(validNationalId, fc.nat(17), fc.constantFrom(...alphabet), (id, position, replacement) => {
        fc.pre(id[position] !== replacement);
        const changed = id.slice(0, position) + replacement + id.slice(position + 1);
        expect(isValidNationalId(changed, NOW)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a transposition of two different adjacent digits', () => {
    fc.assert(
      fc.property(validNationalId, fc.nat(15), (id, position) => {
        fc.pre(id[position] !== id[position + 1]);
        const swapped = id.slice(0, position) + id[position + 1] + id[position] + id.slice(position + 2);
        expect(isValidNationalId(swapped, NOW)).toBe(false);
      }),
    );
  });

  it('names the problem: shape, check character, implausible birth dates', () => {
    const withCheck = (first17: string) => first17 + nationalIdCheckCharacter(first17);
    expect(nationalIdProblem('11010519491231002', NOW)).toBe('format');
    expect(nationalIdProblem('11010519491231002XX', NOW)).toBe('format');
    expect(nationalIdProblem('01010519491231002X', NOW)).toBe('format');
    expect(nationalIdProblem('110105194912310021', NOW)).toBe('check_digit');
    expect(nationalIdProblem(withCheck('11010520230229001'), NOW)).toBe('birth_date'); // not a leap year
    expect(nationalIdProblem(withCheck('11010520240229001'), NOW)).toBeUndefined(); // leap year
    expect(nationalIdProblem(withCheck('11010518991231001'), NOW)).toBe('birth_date'); // before 1900
    expect(nationalIdProblem(withCheck('11010520261130001'), NOW)).toBe('birth_date'); // tomorrow
    expect(nationalIdProblem(withCheck('11010519491331001'), NOW)).toBe('birth_date'); // month 13
    expect(nationalIdProblem(withCheck('11010519490431001'), NOW)).toBe('birth_date'); // 31 April
  });

  it('counts today in China (UTC+8): born on the 30th is fine at 20:00 UTC on the 29th', () => {
    const id = ((f: string) => f + nationalIdCheckCharacter(f))('11010520261130001');
    expect(isValidNationalId(id, new Date('2026-11-29T15:59:00Z'))).toBe(false);
    expect(isValidNationalId(id, new Date('2026-11-29T16:00:00Z'))).toBe(true);
  });
});

describe('mainland mobile numbers', () => {
  it('accepts 11 digits starting 13..19', () => {
    fc.assert(fc.property(validPhone, (phone) => isMainlandMobile(phone)));
  });

  it('rejects a wrong second digit, a wrong length or a non-digit', () => {
    fc.assert(
      fc.property(validPhone, fc.nat(10), fc.constantFrom('a', ' ', '-', '+'), (phone, position, junk) => {
        expect(isMainlandMobile(phone.slice(0, position) + junk + phone.slice(position + 1))).toBe(false);
      }),
    );
    fc.assert(fc.property(validPhone, (phone) => !isMainlandMobile(`${phone}0`) && !isMainlandMobile(phone.slice(1))));
    for (const second of '012') expect(isMainlandMobile(`1${second}812345678`)).toBe(false);
    expect(isMainlandMobile('+8613812345678')).toBe(false);
  });
});

describe('keyed hash of the national ID', () => {
  it('depends on the key and treats x and X alike', () => {
    const id = '11010519491231002X';
    expect(nationalIdHash(id, 'key-a')).toBe(nationalIdHash(id.toLowerCase(), 'key-a'));
    expect(nationalIdHash(id, 'key-a')).not.toBe(nationalIdHash(id, 'key-b'));
    expect(nationalIdHash(id, 'key-a')).not.toContain(id);
  });
});

describe('validation messages never echo the submitted value', () => {
  const body = (operator: Record<string, unknown>) => ({
    countyCode: '500241',
    village: 'Zhongyi',
    name: 'Zhongyi village service station',
    kind: 'village-service-station',
    operator: { name: 'Li Hua', phone: '13812345678', nationalId: '11010519491231002X', ...operator },
  });

  it('for any rejected phone or national ID', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ minLength: 4, maxLength: 30 }), fc.stringMatching(/^\d{10,19}X?$/)),
        fc.constantFrom('phone', 'nationalId'),
        (value, field) => {
          const parsed = ApplyStationBody.safeParse(body({ [field]: value }));
          fc.pre(!parsed.success);
          const text = JSON.stringify(parsed.error.issues.map((i) => [i.path, i.message]));
          expect(text).not.toContain(value);
          // The error points at the field, with one of our own messages.
          const messages = Object.values(PERSONAL_DATA_MESSAGES) as string[];
          const issue = parsed.error.issues.find((i) => i.path.join('.') === `operator.${field}`);
          expect(messages).toContain(issue?.message);
        },
      ),
    );
  });
});
