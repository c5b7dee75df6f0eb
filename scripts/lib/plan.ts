/**
 * Campaign plans: one row per county campaign, as CSV or JSON, validated as a whole before anything is
 * launched, with the API's own zod schema and rules (so a plan that passes here fails at the API only
 * for reasons the plan cannot know: an unknown county or fund, an overlap with a live campaign, money).
 *
 * CSV columns (header row required, any order):
 *   countyCode, title, channel, startsAt, endsAt, products[, subsidyFundId, subsidyAmount]
 * `products` holds `sku|name|unitPrice|promoPrice` entries separated by `;`, prices in fen.
 * JSON: an array of launch bodies exactly as `POST /v1/campaigns` takes them, or `{ "campaigns": [...] }`.
 * A subsidy without a fund id takes the one given with `--subsidy-fund`.
 *
 * Each row's Idempotency-Key is a hash of its normalised body, so launching the same plan again (after a
 * crash or Ctrl-C) replays what was done instead of doing it twice.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { launchClockErrors, overlaps } from '#shared/domain/campaigns';
import { LaunchCampaignBody, type LaunchCampaignInput } from '#shared/schemas/campaigns';
import { CsvSyntaxError, parseCsv } from '#shared/csv';

export interface PlanRow {
  /** 1-based position in the plan. */
  row: number;
  /** The CSV line the row starts on. */
  line?: number;
  body: LaunchCampaignInput;
  idempotencyKey: string;
}

export interface PlanError {
  row?: number;
  line?: number;
  path: string;
  message: string;
}

export interface Plan {
  rows: PlanRow[];
  errors: PlanError[];
}

export interface PlanOptions {
  /** Fund for subsidies that name no fund of their own. */
  subsidyFund?: string;
  now: Date;
}

export const CSV_COLUMNS = ['countyCode', 'title', 'channel', 'startsAt', 'endsAt', 'products', 'subsidyFundId', 'subsidyAmount'] as const;
const REQUIRED_COLUMNS = CSV_COLUMNS.slice(0, 6);

interface RawRow {
  row: number;
  line?: number;
  value: unknown;
  errors: PlanError[];
}

export async function readPlan(path: string, options: PlanOptions): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { rows: [], errors: [{ path: 'file', message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` }] };
  }
  return extname(path).toLowerCase() === '.json' ? planFromJson(text, options) : planFromCsv(text, options);
}

export function planFromCsv(text: string, options: PlanOptions): Plan {
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) return { rows: [], errors: [{ line: error.line, path: 'csv', message: error.message }] };
    throw error;
  }
  const [header, ...data] = records;
  if (!header) return { rows: [], errors: [{ path: 'file', message: 'the plan is empty' }] };
  const columns = header.fields.map((f) => f.trim());
  const errors: PlanError[] = [];
  const unknown = columns.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (unknown.length) errors.push({ line: header.line, path: 'header', message: `unknown column(s): ${unknown.join(', ')}` });
  if (missing.length) errors.push({ line: header.line, path: 'header', message: `missing column(s): ${missing.join(', ')}` });
  if (errors.length) return { rows: [], errors };

  const raws: RawRow[] = data.map((record, i) => {
    const row = i + 1;
    const rowErrors: PlanError[] = [];
    if (record.fields.length !== columns.length) {
      rowErrors.push({ row, line: record.line, path: 'csv', message: `${record.fields.length} fields, the header has ${columns.length}` });
    }
    const cell = Object.fromEntries(columns.map((c, n) => [c, (record.fields[n] ?? '').trim()]));
    const value: Record<string, unknown> = {
      countyCode: cell.countyCode,
      title: cell.title,
      channel: cell.channel,
      startsAt: cell.startsAt,
      endsAt: cell.endsAt,
      products: parseProducts(cell.products ?? '', (path, message) => rowErrors.push({ row, line: record.line, path, message })),
    };
    if (cell.subsidyAmount) {
      value.subsidy = { fundId: cell.subsidyFundId || options.subsidyFund, amount: wholeNumber(cell.subsidyAmount) };
    } else if (cell.subsidyFundId) {
      rowErrors.push({ row, line: record.line, path: 'subsidyAmount', message: 'a subsidy fund needs a subsidyAmount (fen)' });
    }
    return { row, line: record.line, value, errors: rowErrors };
  });
  return validate(raws, options);
}

export function planFromJson(text: string, options: PlanOptions): Plan {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { rows: [], errors: [{ path: 'json', message: `not valid JSON: ${(error as Error).message}` }] };
  }
  const list: unknown[] | undefined = Array.isArray(parsed)
    ? parsed
    : parsed && typeof parsed === 'object' && Array.isArray((parsed as { campaigns?: unknown }).campaigns)
      ? (parsed as { campaigns: unknown[] }).campaigns
      : undefined;
  if (!list) return { rows: [], errors: [{ path: 'json', message: 'expected an array of campaigns or { "campaigns": [...] }' }] };
  const raws: RawRow[] = list.map((value, i) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const subsidy = (value as { subsidy?: unknown }).subsidy;
      if (subsidy && typeof subsidy === 'object' && !('fundId' in subsidy) && options.subsidyFund) {
        return { row: i + 1, value: { ...value, subsidy: { fundId: options.subsidyFund, ...subsidy } }, errors: [] };
      }
    }
    return { row: i + 1, value, errors: [] };
  });
  return validate(raws, options);
}

function validate(raws: RawRow[], options: PlanOptions): Plan {
  const errors: PlanError[] = [];
  const rows: PlanRow[] = [];
  if (raws.length === 0) errors.push({ path: 'file', message: 'the plan has no campaigns' });
  for (const raw of raws) {
    const at = { row: raw.row, line: raw.line };
    errors.push(...raw.errors);
    const parsed = LaunchCampaignBody.safeParse(raw.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path.map(String).join('.') || '(row)';
        const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
        // A cell already reported as malformed needs no second complaint about its parts.
        if (raw.errors.some((e) => path === e.path || path.startsWith(`${e.path}.`))) continue;
        errors.push({ ...at, path, message: hint(path, message) });
      }
      continue;
    }
    const late = launchClockErrors(parsed.data, options.now);
    if (late.length) {
      errors.push(...late.map((e) => ({ ...at, ...e })));
      continue;
    }
    if (raw.errors.length) continue;
    const body = normalise(parsed.data);
    rows.push({ row: raw.row, line: raw.line, body, idempotencyKey: idempotencyKeyOf(body) });
  }
  errors.push(...crossRowErrors(rows));
  return { rows: errors.length ? [] : rows, errors };
}

function hint(path: string, message: string): string {
  return path === 'subsidy.fundId' ? `${message} (give subsidyFundId or --subsidy-fund)` : message;
}

/** Instants in UTC as the API stores them, so the body (and its key) is the same however a row wrote its time. */
function normalise(body: LaunchCampaignInput): LaunchCampaignInput {
  return { ...body, startsAt: new Date(body.startsAt).toISOString(), endsAt: new Date(body.endsAt).toISOString() };
}

/** Two rows of one plan that are the same campaign, or would overlap each other, can only fail at the API. */
function crossRowErrors(rows: PlanRow[]): PlanError[] {
  const errors: PlanError[] = [];
  const seen = new Map<string, PlanRow>();
  const byLane = new Map<string, PlanRow[]>();
  for (const r of rows) {
    const at = { row: r.row, line: r.line };
    const same = seen.get(r.idempotencyKey);
    if (same) {
      errors.push({ ...at, path: '(row)', message: `the same campaign as row ${same.row}` });
      continue;
    }
    seen.set(r.idempotencyKey, r);
    const lane = `${r.body.countyCode}|${r.body.channel}`;
    const window = { startsAt: Date.parse(r.body.startsAt), endsAt: Date.parse(r.body.endsAt) };
    const other = (byLane.get(lane) ?? []).find((o) =>
      overlaps(window, { startsAt: Date.parse(o.body.startsAt), endsAt: Date.parse(o.body.endsAt) }),
    );
    if (other) {
      errors.push({ ...at, path: 'startsAt', message: `overlaps row ${other.row} (same county and channel)` });
      continue;
    }
    byLane.set(lane, [...(byLane.get(lane) ?? []), r]);
  }
  return errors;
}

/** JSON with object keys sorted, so equal bodies hash equally whatever order their fields came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function idempotencyKeyOf(body: LaunchCampaignInput): string {
  return `campaign-plan-${createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 40)}`;
}

function wholeNumber(text: string): unknown {
  return /^\d+$/.test(text) ? Number(text) : text;
}

function parseProducts(cell: string, fail: (path: string, message: string) => void): unknown[] {
  return cell
    .split(';')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const parts = entry.split('|').map((p) => p.trim());
      if (parts.length !== 4) {
        fail(`products.${i}`, `"${entry}" is not sku|name|unitPrice|promoPrice`);
        return {};
      }
      const [sku, name, unitPrice, promoPrice] = parts as [string, string, string, string];
      return { sku, name, unitPrice: wholeNumber(unitPrice), promoPrice: wholeNumber(promoPrice) };
    });
}

export function describeError(e: PlanError): string {
  const where = [e.row !== undefined ? `row ${e.row}` : undefined, e.line !== undefined ? `line ${e.line}` : undefined]
    .filter(Boolean)
    .join(', ');
  return `${where ? `${where}: ` : ''}${e.path}: ${e.message}`;
}
