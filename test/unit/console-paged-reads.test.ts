/**
 * The console's reads of cursor-paged lists: every page of a list (up to a bound), and the search for a batch's first
 * high row flag, which asks for no page after the one that holds it.
 */
import { describe, expect, it } from 'vitest';
import { allPages, firstInPages } from '../../console/paging.ts';
import { holdsApproval } from '../../console/view.ts';

type RowFlag = { row: number; severity: string; clearedBy: string | null };

/** A list served in pages, counting the pages asked for. */
function pagedList<T>(pages: T[][]) {
  const asked: (string | undefined)[] = [];
  const page = (cursor: string | undefined) => {
    asked.push(cursor);
    const n = cursor === undefined ? 0 : Number(cursor);
    return Promise.resolve({ items: pages[n] ?? [], nextCursor: n + 1 < pages.length ? String(n + 1) : null });
  };
  return { page, asked };
}

const flags = (from: number, severity: string, count = 100): RowFlag[] =>
  Array.from({ length: count }, (_, i) => ({ row: from + i, severity, clearedBy: null }));

describe('firstInPages', () => {
  it("stops at the page that holds a batch's first high row flag, past thousands of medium ones before it", () => {
    const list = pagedList([
      flags(0, 'medium'),
      [...flags(100, 'medium', 40), ...flags(140, 'high', 1), ...flags(141, 'medium', 59)],
      ...Array.from({ length: 48 }, (_, p) => flags(200 + 100 * p, 'high')),
    ]);
    return expect(firstInPages(list.page, holdsApproval).then((found) => ({ found: found?.row, asked: list.asked }))).resolves.toEqual({
      found: 140,
      asked: [undefined, '1'],
    });
  });

  it('reads to the last page when no flag is high, and finds none', async () => {
    const list = pagedList([flags(0, 'medium'), flags(100, 'low'), flags(200, 'medium', 7)]);
    expect(await firstInPages(list.page, holdsApproval)).toBeNull();
    expect(list.asked).toEqual([undefined, '1', '2']);
  });

  it('passes a failed page on, so the caller knows it does not know', async () => {
    const failing = () => Promise.reject(new Error('HTTP 503'));
    await expect(firstInPages(failing, holdsApproval)).rejects.toThrow('HTTP 503');
  });
});

describe('allPages', () => {
  it('gathers every page in order, and stops at its bound', async () => {
    const list = pagedList([flags(0, 'medium', 2), flags(2, 'high', 2), flags(4, 'low', 1)]);
    expect((await allPages(list.page)).map((f) => f.row)).toEqual([0, 1, 2, 3, 4]);
    const endless = pagedList(Array.from({ length: 30 }, (_, p) => flags(p, 'low', 1)));
    expect(await allPages(endless.page, 3)).toHaveLength(3);
    expect(endless.asked).toHaveLength(3);
  });
});
