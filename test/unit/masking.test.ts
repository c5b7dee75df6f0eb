/** Masks of personal data: what a response may show of an account number, a phone and a national ID. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { maskAccountNumber, maskNationalId, maskPhone } from '#shared/domain/masking';

describe('account numbers', () => {
  it('show only the last four digits, however the number was spaced', () => {
    expect(maskAccountNumber('6222020200112233')).toBe('****2233');
    expect(maskAccountNumber('6222 0202 0011 2233')).toBe('****2233');
    expect(maskAccountNumber('6222 0202 0011 22 33')).toBe('****2233');
  });
});

describe('phones', () => {
  it('a mainland mobile shows its first three and last four digits', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
  });

  it('never shows a whole phone number, however short (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 20 }), (phone) => {
        const masked = maskPhone(phone);
        expect(masked).toHaveLength(phone.length);
        expect(masked).toContain('*');
      }),
    );
  });

  it('a number of seven characters or fewer is masked whole; from eight on, the middle is', () => {
    expect(maskPhone('123456')).toBe('******');
    expect(maskPhone('1234567')).toBe('*******');
    expect(maskPhone('12345678')).toBe('123*5678');
  });
});

describe('national IDs', () => {
  it('show only the last four characters', () => {
    expect(maskNationalId('11010519491231002X')).toBe('**************002X');
  });

  it('four characters or fewer are masked whole; five show the last four', () => {
    expect(maskNationalId('002X')).toBe('****');
    expect(maskNationalId('1002X')).toBe('*002X');
  });
});
