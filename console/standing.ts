/**
 * Where the money stands, as the console shows it (pure, unit-tested): provinces from county codes, the
 * order and paging of long county lists, and the snapshot chain recomputed in the browser.
 */

/** The province-level divisions of GB/T 2260: the first two digits of a county code. */
export const PROVINCES: Readonly<Record<string, { zh: string; en: string }>> = {
  '11': { zh: '北京市', en: 'Beijing' },
  '12': { zh: '天津市', en: 'Tianjin' },
  '13': { zh: '河北省', en: 'Hebei' },
  '14': { zh: '山西省', en: 'Shanxi' },
  '15': { zh: '内蒙古自治区', en: 'Inner Mongolia' },
  '21': { zh: '辽宁省', en: 'Liaoning' },
  '22': { zh: '吉林省', en: 'Jilin' },
  '23': { zh: '黑龙江省', en: 'Heilongjiang' },
  '31': { zh: '上海市', en: 'Shanghai' },
  '32': { zh: '江苏省', en: 'Jiangsu' },
  '33': { zh: '浙江省', en: 'Zhejiang' },
  '34': { zh: '安徽省', en: 'Anhui' },
  '35': { zh: '福建省', en: 'Fujian' },
  '36': { zh: '江西省', en: 'Jiangxi' },
  '37': { zh: '山东省', en: 'Shandong' },
  '41': { zh: '河南省', en: 'Henan' },
  '42': { zh: '湖北省', en: 'Hubei' },
  '43': { zh: '湖南省', en: 'Hunan' },
  '44': { zh: '广东省', en: 'Guangdong' },
  '45': { zh: '广西壮族自治区', en: 'Guangxi' },
  '46': { zh: '海南省', en: 'Hainan' },
  '50': { zh: '重庆市', en: 'Chongqing' },
  '51': { zh: '四川省', en: 'Sichuan' },
  '52': { zh: '贵州省', en: 'Guizhou' },
  '53': { zh: '云南省', en: 'Yunnan' },
  '54': { zh: '西藏自治区', en: 'Tibet' },
  '61': { zh: '陕西省', en: 'Shaanxi' },
  '62': { zh: '甘肃省', en: 'Gansu' },
  '63': { zh: '青海省', en: 'Qinghai' },
  '64': { zh: '宁夏回族自治区', en: 'Ningxia' },
  '65': { zh: '新疆维吾尔自治区', en: 'Xinjiang' },
  '71': { zh: '台湾省', en: 'Taiwan' },
  '81': { zh: '香港特别行政区', en: 'Hong Kong' },
  '82': { zh: '澳门特别行政区', en: 'Macao' },
};

export function provinceOf(countyCode: string): string {
  return countyCode.slice(0, 2);
}

export function provinceName(code: string, locale: 'zh-CN' | 'en'): string {
  const names = PROVINCES[code];
  if (!names) return code;
  return locale === 'en' ? names.en : names.zh;
}

/** The provinces that the given counties lie in, by code. */
export function provincesIn(countyCodes: readonly string[]): string[] {
  return [...new Set(countyCodes.map(provinceOf))].sort();
}

/** Counties of one province (or all, for ''), in the order given. */
export function inProvince<T extends { countyCode: string }>(rows: readonly T[], province: string): T[] {
  return province === '' ? [...rows] : rows.filter((r) => provinceOf(r.countyCode) === province);
}

/** Most lagging first; ties by the larger idle amount, then by county code, so the order is stable. */
export function byLag<T extends { countyCode: string; lagPoints: number; idle: { amount: number } | null }>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) => b.lagPoints - a.lagPoints || (b.idle?.amount ?? 0) - (a.idle?.amount ?? 0) || a.countyCode.localeCompare(b.countyCode),
  );
}

/** Largest first by `pick`, ties by county code. */
export function byLargest<T extends { countyCode: string }>(rows: readonly T[], pick: (row: T) => number): T[] {
  return [...rows].sort((a, b) => pick(b) - pick(a) || a.countyCode.localeCompare(b.countyCode));
}

/** How many rows a chart draws at first: readable, and bounded however many counties a fund has. */
export const PAGE_ROWS = 50;

export interface RowPage<T> {
  rows: T[];
  /** 1-based first and last row shown, and how many there are. */
  first: number;
  last: number;
  total: number;
  hasPrevious: boolean;
  hasNext: boolean;
}

/** The rows shown: a page of `size` from `start`, or all of them when `size` is null ("show all"). */
export function pageOf<T>(rows: readonly T[], start: number, size: number | null): RowPage<T> {
  const from = size === null ? 0 : Math.max(0, Math.min(start, Math.max(0, rows.length - 1)));
  const to = size === null ? rows.length : Math.min(rows.length, from + size);
  return {
    rows: rows.slice(from, to),
    first: rows.length === 0 ? 0 : from + 1,
    last: to,
    total: rows.length,
    hasPrevious: from > 0,
    hasNext: to < rows.length,
  };
}

/** "Nice" axis ticks from 0 to at least `max`: 0, step, 2·step … with step 1, 2, 2.5 or 5 × 10^n. */
export function axisTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(v);
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

/** A share 0..1 as a percentage with two decimals ("41.25 %"): the figure the chart and table both show. */
export function percent(share: number): string {
  return `${(share * 100).toFixed(2)} %`;
}

/** A lag in points, as the API gives it (2 decimals; negative when ahead of time). */
export function points(lag: number): string {
  return lag.toFixed(2);
}

export const LAGGING_POINTS = 15;

// --- The snapshot chain, as API.md defines it ---

/**
 * Canonical JSON (RFC 8785) as API.md defines a snapshot's: keys sorted by UTF-16 code units at every level,
 * array order kept, no whitespace, strings and numbers as JSON.stringify writes them.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string' || typeof value === 'number') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('not a JSON number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`not JSON: ${typeof value}`);
}

/** SHA-256 (lowercase hex) of a snapshot's canonical JSON without its `hash`, with the browser's SubtleCrypto. */
export async function recomputeHash(snapshot: { hash: string }): Promise<string> {
  const { hash: _ignored, ...rest } = snapshot;
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalJson(rest)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * `ok`: its hash is that of its content and it links to the snapshot before it; `hash_mismatch`: its content
 * does not give its hash; `link_broken`: its previousHash is not the hash of the one before; `link_unread`: its
 * content is right, the one before it is not loaded yet (on a later page).
 */
export type ChainStatus = 'ok' | 'hash_mismatch' | 'link_broken' | 'link_unread';

export interface ChainedSnapshot {
  snapshotId: string;
  hash: string;
  previousHash: string | null;
}

/**
 * The status of each snapshot of a list read newest first (as the API lists them), from the hashes recomputed in
 * the same order. A full chain ends with a snapshot whose previousHash is null.
 */
export function chainStatuses(newestFirst: readonly ChainedSnapshot[], recomputed: readonly string[]): ChainStatus[] {
  return newestFirst.map((snapshot, i) => {
    if (recomputed[i] !== snapshot.hash) return 'hash_mismatch';
    const before = newestFirst[i + 1];
    if (before === undefined) return snapshot.previousHash === null ? 'ok' : 'link_unread';
    return snapshot.previousHash === before.hash ? 'ok' : 'link_broken';
  });
}

/** The halves (`yyyy-H1` / `yyyy-H2`) that a period of `yyyy-mm-dd` dates touches, oldest first. */
export function halvesOf(period: { startsOn: string; endsOn: string }): string[] {
  const half = (date: string) => Number(date.slice(0, 4)) * 2 + (Number(date.slice(5, 7)) <= 6 ? 0 : 1);
  const halves: string[] = [];
  for (let h = half(period.startsOn); h <= half(period.endsOn); h++) halves.push(`${Math.floor(h / 2)}-H${(h % 2) + 1}`);
  return halves;
}
