import { describe, expect, it } from 'vitest';
import { storedFields } from '#shared/data/platform/fields';

interface Thing {
  id: string;
  memo: string | null;
  tags: string[];
  count: number;
}

const thing = storedFields<Thing>();

describe('reading a stored item back into its type', () => {
  it('copies the named attributes as stored, in the order named', () => {
    const read = thing({ tags: ['a'], id: 't1', memo: 'm', count: 3, pk: 'THING#t1' }, ['id', 'memo', 'tags', 'count']);
    expect(read).toEqual({ id: 't1', memo: 'm', tags: ['a'], count: 3 });
    expect(Object.keys(read)).toEqual(['id', 'memo', 'tags', 'count']);
  });

  it('gives an attribute its default when the item lacks it or holds null, and only the attributes given one', () => {
    expect(thing({ id: 't1', memo: null }, ['id', 'memo', 'tags', 'count'], { tags: [], count: 0 })).toEqual({
      id: 't1',
      memo: null,
      tags: [],
      count: 0,
    });
    expect(thing({ id: 't1', tags: null }, ['tags', 'memo'], { tags: [] })).toEqual({ tags: [], memo: undefined });
  });

  it('keeps a stored value over the default, falsy ones too', () => {
    expect(thing({ count: 0, memo: '' }, ['count', 'memo'], { count: 7, memo: null })).toEqual({ count: 0, memo: '' });
  });
});
