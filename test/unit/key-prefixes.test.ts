/**
 * Every item of the single table is addressed by a builder of shared/data/platform/keys.ts. Two builders
 * that could give the same key would let one kind of item overwrite another: each builder's key shape
 * (its pk and sk with the arguments taken out) must be its own, and no shape may be a prefix of another's
 * in the same partition where an `sk` begins_with Query would read both.
 */
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
      ['BANKREF', 'BENEF', 'CMP', 'COUNTY', 'DSB', 'EVT', 'FUND', 'IDEM', 'OPERATOR', 'PAY', 'RCN', 'STN', 'WHE', 'BAT', '*'].sort(),
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
