/**
 * Masks for personal data in responses and in every webhook but `payout.requested` (the finance
 * system needs the full account number to pay). Pure and total: any input yields a masked string.
 */

/** `6222020200112233` → `****2233`. */
export function maskAccountNumber(accountNumber: string): string {
  const digits = accountNumber.replace(/\s+/g, '');
  return `****${digits.slice(-4)}`;
}

/** `13812345678` → `138****5678`. */
export function maskPhone(phone: string): string {
  // Seven characters or fewer would show every one of them around an empty middle.
  if (phone.length <= 7) return '*'.repeat(phone.length);
  return `${phone.slice(0, 3)}${'*'.repeat(phone.length - 7)}${phone.slice(-4)}`;
}

/** `11010519491231002X` → `**************002X`. */
export function maskNationalId(nationalId: string): string {
  if (nationalId.length <= 4) return '*'.repeat(nationalId.length);
  return `${'*'.repeat(nationalId.length - 4)}${nationalId.slice(-4)}`;
}
