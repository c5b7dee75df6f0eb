/**
 * The one place money is formatted: amounts are integer fen (1 yuan = 100 fen), shown as yuan with
 * two decimals. Integer arithmetic only, so 10^13 fen prints exactly.
 */
export type Locale = 'zh-CN' | 'en';

export function yuanFromFen(fen: number, locale: Locale = 'zh-CN'): string {
  if (!Number.isSafeInteger(fen)) return '—';
  const negative = fen < 0;
  const abs = Math.abs(fen);
  const yuan = Math.trunc(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  const grouped = new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'zh-CN', { useGrouping: true }).format(yuan);
  return `${negative ? '−' : ''}¥${grouped}.${cents}`;
}
