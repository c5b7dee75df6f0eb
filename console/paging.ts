/**
 * Reading the API's cursor-paged lists (`{ items, nextCursor }`): every page of one, or up to the first item that
 * matches. No DOM and no client here, so the unit tests run them against pages they serve themselves.
 */

/** The page of a list after `cursor` (none: the first), as the API gives it. */
type PageReader<T> = (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>;

/** A cursor-paged list's pages, one at a time, up to `maxPages`. */
async function* pagesOf<T>(page: PageReader<T>, maxPages: number): AsyncGenerator<T[]> {
  let cursor: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const result = await page(cursor);
    yield result.items;
    if (!result.nextCursor) return;
    cursor = result.nextCursor;
  }
}

/** Every item of a cursor-paged list, up to `maxPages` pages of 100. */
export async function allPages<T>(page: PageReader<T>, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  for await (const pageItems of pagesOf(page, maxPages)) items.push(...pageItems);
  return items;
}

/**
 * The first item of a cursor-paged list that matches, reading no page after the one that holds it; null once the
 * pages end without one. For lists the API bounds (a batch's row flags), so it reads on until the cursor ends.
 */
export async function firstInPages<T>(page: PageReader<T>, matches: (item: T) => boolean): Promise<T | null> {
  for await (const pageItems of pagesOf(page, Infinity)) {
    const found = pageItems.find(matches);
    if (found !== undefined) return found;
  }
  return null;
}
