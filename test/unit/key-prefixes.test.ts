/**
 * Every key of the single table, and every index partition, is built in an items file: a context's
 * items.ts, shared/data/platform/keys.ts, or one of the few step-builder files the lint rule counts as
 * items (eslint.config.js). Two builders that could give the same key would let one kind of item
 * overwrite another, or one listing read another's items: each builder's key shape (its pk and sk with
 * the arguments taken out) must be its own, and no shape may be a prefix of another's in the same
 * partition where an `sk` begins_with Query would read both. A verb file writes no key text at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { keys } from '#shared/data/platform/keys';

const ARG = '\u0000';

function shapeOf(build: (...args: never[]) => { pk: string; sk: string }): { pk: string; sk: string } {
  const args = Array.from({ length: build.length }, () => ARG) as never[];
  const key = build(...args);
  const strip = (s: string) => s.replaceAll(ARG, '*').replace(/\*0*\*?/g, '*');
  return { pk: strip(key.pk), sk: strip(key.sk) };
}

const shapes = Object.entries(keys).map(([name, build]) => ({ name, ...shapeOf(build as never) }));

describe('the table keys', () => {
  it('list one prefix per partition kind', () => {
    const prefixes = [...new Set(shapes.map((s) => s.pk.split('#')[0]))].sort();
    expect(prefixes).toEqual(
      [
        'ALLOCS',
        'BANKREF',
        'BENEF',
        'CMP',
        'COUNTY',
        'DSB',
        'EVT',
        'FLAGDUE',
        'FUND',
        'IDEM',
        'OPERATOR',
        'PAY',
        'RCN',
        'RSTATS',
        'STN',
        'SUBS',
        'WHE',
        'BAT',
        '*',
      ].sort(),
    );
  });

  it('never give two kinds of item the same key', () => {
    const seen = new Map<string, string>();
    for (const s of shapes) {
      const shape = `${s.pk} / ${s.sk}`;
      expect(seen.get(shape), `${s.name} and ${seen.get(shape)} share ${shape}`).toBeUndefined();
      seen.set(shape, s.name);
    }
  });

  it('keep the fixed sort keys of one partition apart from each other', () => {
    for (const a of shapes) {
      for (const b of shapes) {
        if (a === b || a.pk !== b.pk) continue;
        const fixedA = a.sk.split('*')[0]!;
        const fixedB = b.sk.split('*')[0]!;
        // An sk that is all fixed text (`COUNTY`) never collides with one that starts a family (`STATS#*`).
        if (!a.sk.includes('*') || !b.sk.includes('*')) {
          expect(a.sk, `${a.name} / ${b.name}`).not.toBe(b.sk);
          continue;
        }
        expect(fixedA.startsWith(fixedB) || fixedB.startsWith(fixedA), `${a.name} and ${b.name}: ${a.sk} vs ${b.sk}`).toBe(false);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// Key text across shared/data: every key literal lives in an items file, and no two can meet.

const DATA = path.join(import.meta.dirname, '../../shared/data');
/** The data-boundaries rule's `itemFiles` in eslint.config.js: items files besides `<context>/items.ts`. */
const LINT_ITEM_FILES = [
  ...(readFileSync(path.join(import.meta.dirname, '../../eslint.config.js'), 'utf8').match(/itemFiles: \[([^\]]*)\]/)?.[1] ?? '').matchAll(
    /'([^']+)'/g,
  ),
].map((m) => m[1]!);
/** Every items file besides `<context>/items.ts`: the lint rule's, and platform/keys.ts. */
const ITEM_FILES = new Set(['platform/keys.ts', ...LINT_ITEM_FILES]);
const isItems = (file: string) => file.endsWith('/items.ts') || ITEM_FILES.has(file);
/** Upper-case words that are DynamoDB or currency constants, not keys. */
const NOT_KEYS = new Set(['ALL_NEW', 'ALL_OLD', 'UPDATED_NEW', 'UPDATED_OLD', 'NONE', 'INCLUDE', 'KEYS_ONLY', 'CNY', 'P0D', 'NULL']);

const sourceFiles = readdirSync(DATA, { recursive: true })
  .map((f) => String(f).split(path.sep).join('/'))
  .filter((f) => f.endsWith('.ts'));

/** The string and template literals of a file that look like key text, `${…}` taken out as `*`. */
function keyLiterals(file: string): string[] {
  const source = readFileSync(path.join(DATA, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const m of source.matchAll(/'([^'\\\n]*)'|"([^"\\\n]*)"|`((?:[^`\\]|\\.)*)`/g)) {
    const text = (m[1] ?? m[2] ?? m[3])!.replace(/\$\{[^}]*\}/g, '*');
    if (/^[A-Z][A-Z0-9_]{2,}(#.*)?$/.test(text) && !NOT_KEYS.has(text)) found.push(text);
  }
  return found;
}

const literals = sourceFiles.filter(isItems).flatMap((file) => keyLiterals(file).map((text) => ({ file, text })));
/** Whole shapes (a literal ending in `#` is the prefix of a begins_with Query, one with `~` a range's upper bound: no key). */
const shapesByFile = new Map<string, Set<string>>();
for (const { file, text } of literals) {
  if (text.endsWith('#') || text.includes('~')) continue;
  shapesByFile.set(file, (shapesByFile.get(file) ?? new Set()).add(text));
}

/**
 * Could two shapes give the same string? An argument (`*`) is never empty and holds no `#`, and is never
 * an all-capital word: ids carry a lower-case prefix (`bat_…`), statuses and channels are lower case,
 * county codes are digits. So `BAT#*` (a batch) and `BAT#EXPANSION` (the expansion index) cannot meet.
 */
function canMeet(a: string, b: string): boolean {
  const [x, y] = [a.split('#'), b.split('#')];
  if (x.length !== y.length) return false;
  return x.every((s, i) => {
    const t = y[i]!;
    if (s === t) return true;
    if (s === '*') return !/^[A-Z_]+$/.test(t);
    if (t === '*') return !/^[A-Z_]+$/.test(s);
    return false;
  });
}

describe('the key text of shared/data', () => {
  it('lists every key prefix of every items file', () => {
    const prefixes = [...new Set(literals.map((l) => l.text.split('#')[0]!))].sort();
    expect(prefixes).toEqual(
      [
        'ABANDONED',
        'ACCESS',
        'ACCESSBY',
        'ACCESSLOG',
        'ALERT',
        'ALLOC',
        'ALLOCS',
        'AUDIT',
        'BANKREF',
        'BAT',
        'BATCHES',
        'BENEF',
        'BLOCKED',
        'BLOCKLIST',
        'CAMPAIGNS',
        'CLAIM',
        'CMP',
        'CMPLIVE',
        'COUNTIES',
        'COUNTS',
        'COUNTY',
        'DAY',
        'DLV',
        'DSB',
        'DSBS',
        'DUE',
        'EVENTS',
        'EVT',
        'EXPANDED',
        'FAILS',
        'FLAG',
        'FLAGDUE',
        'FLAGSDUE',
        'FUND',
        'FUNDS',
        'HOUR',
        'IDEM',
        'ITEM',
        'ITEMS',
        'LATEST',
        'LEASE',
        'LEDGER',
        'LINKS',
        'NOTICE',
        'NOTICES',
        'OBJ',
        'OBJS',
        'OBJSRC',
        'OPERATOR',
        'OUTBOX',
        'PAID',
        'PAIDROLLUP',
        'PART',
        'PAY',
        'PAYOUTS',
        'RCN',
        'REF',
        'ROLLUP',
        'ROLLUPS',
        'RSTATS',
        'SNAP',
        'SNAPHEAD',
        'SNAPMONTH',
        'STATIONS',
        'STATS',
        'STN',
        'SUBS',
        'SUBSIDY',
        'TOTAL',
        'TURN',
        'USE',
        'VER',
        'VERCOUNTS',
        'VERIFY',
        'VERKEY',
        'VERPLAN',
        'VERREQ',
        'VERS',
        'WAIT',
        'WARNING_RULES',
        'WHE',
        'WHES',
      ].sort(),
    );
  });

  it('never lets two different key shapes meet, nor two items files build the same one', () => {
    const all = [...shapesByFile].flatMap(([file, shapes]) => [...shapes].map((shape) => ({ file, shape })));
    for (const a of all) {
      for (const b of all) {
        if (a === b) continue;
        if (a.shape === b.shape) {
          expect(a.file, `${a.shape} is built in ${a.file} and in ${b.file}`).toBe(b.file);
          continue;
        }
        expect(canMeet(a.shape, b.shape), `${a.shape} (${a.file}) and ${b.shape} (${b.file}) can give the same key`).toBe(false);
      }
    }
  });

  it('finds a collision when there is one', () => {
    expect(canMeet('COUNTY#*', 'COUNTY#622921')).toBe(true);
    expect(canMeet('DSB#*#*', 'DSB#county#*')).toBe(true);
    expect(canMeet('BAT#*', 'BAT#EXPANSION')).toBe(false);
    expect(canMeet('COUNTY#*#CMP', 'COUNTY#*#ALLOC')).toBe(false);
  });

  it('has no key text in a verb file: keys are built in items files only', () => {
    // The items files are the lint rule's own list, read from eslint.config.js.
    expect(LINT_ITEM_FILES).toContain('ledger/move.ts');
    const inVerbs = sourceFiles.filter((f) => !isItems(f)).flatMap((file) => keyLiterals(file).map((text) => `${file}: ${text}`));
    expect(inVerbs).toEqual([]);
  });
});
