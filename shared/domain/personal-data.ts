/**
 * Operators' personal data: validation of mainland mobile numbers and resident identity numbers
 * (GB 11643-1999), and the keyed hash that lets the fund tell two applications by one person apart
 * without keeping the number itself. Pure: the hashing key is passed in (it comes from configuration,
 * shared/secrets.ts), and the clock is passed in.
 *
 * Messages here go into 400 responses: they say what is wrong, never echo the submitted value.
 */
import { createHmac } from 'node:crypto';

/** Mainland mobile: 11 digits, `1` then `3`..`9`. */
export const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;

export function isMainlandMobile(phone: string): boolean {
  return MAINLAND_MOBILE.test(phone);
}

/** 6-digit region code, 8-digit birth date, 3-digit sequence, check character. */
const NATIONAL_ID_SHAPE = /^[1-9]\d{16}[0-9X]$/;

/** The shape as submitted, before normalization (a lower-case `x` is accepted). */
export const NATIONAL_ID_INPUT = /^[1-9]\d{16}[0-9Xx]$/;

/** ISO 7064 MOD 11-2 weights: 2^(17-i) mod 11 for positions 0..16. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;

/** The check character for the first 17 digits (`X` stands for 10). */
export function nationalIdCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('17 digits expected');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  const check = (12 - (sum % 11)) % 11;
  return check === 10 ? 'X' : String(check);
}

export type NationalIdProblem = 'format' | 'check_digit' | 'birth_date';

export const PERSONAL_DATA_MESSAGES = {
  phone: 'must be a mainland mobile number: 11 digits starting with 13 to 19',
  format: 'must be an 18-character resident identity number: 17 digits then a digit or X',
  check_digit: 'the check character does not match (GB 11643)',
  birth_date: 'the birth date in the number is not a real date between 1900-01-01 and today',
} as const;

/** Callers accept a lower-case `x` check character; everything downstream sees the canonical form. */
export function normalizeNationalId(nationalId: string): string {
  return nationalId.toUpperCase();
}

const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Why a (normalized) national ID is not acceptable, or undefined when it is. */
export function nationalIdProblem(nationalId: string, now: Date): NationalIdProblem | undefined {
  if (!NATIONAL_ID_SHAPE.test(nationalId)) return 'format';
  if (nationalIdCheckCharacter(nationalId.slice(0, 17)) !== nationalId[17]) return 'check_digit';
  if (!isPlausibleBirthDate(nationalId.slice(6, 14), now)) return 'birth_date';
  return undefined;
}

export function isValidNationalId(nationalId: string, now: Date): boolean {
  return nationalIdProblem(nationalId, now) === undefined;
}

/** `YYYYMMDD`: a real calendar date, not before 1900, not after today as counted in China (UTC+8). */
function isPlausibleBirthDate(yyyymmdd: string, now: Date): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < 1900 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return false;
  const todayInChina = new Date(now.getTime() + CHINA_OFFSET_MS);
  const today = Date.UTC(todayInChina.getUTCFullYear(), todayInChina.getUTCMonth(), todayInChina.getUTCDate());
  return date.getTime() <= today;
}

/**
 * Keyed hash (HMAC-SHA256, hex) of a normalized national ID. Keyed, because an unkeyed hash of an
 * 18-character number with a known structure is reversed by enumerating birth dates and sequences.
 */
export function nationalIdHash(nationalId: string, piiHashKey: string): string {
  return createHmac('sha256', piiHashKey)
    .update(`national-id:${normalizeNationalId(nationalId)}`)
    .digest('hex');
}
