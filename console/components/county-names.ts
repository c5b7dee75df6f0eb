/** County names by code, read once per page from the counties list (every role may read it). */
import { allPages, must, type ConsoleApi } from '../api.ts';

export async function countyNames(api: ConsoleApi): Promise<Map<string, string>> {
  const counties = await allPages((cursor) => must(api.GET('/v1/counties', { params: { query: { limit: 100, cursor } } })));
  return new Map(counties.map((c) => [c.countyCode, c.name]));
}
