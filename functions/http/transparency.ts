/**
 * The fund's public side (公告公示), no token: `GET /public/funds/{fundId}` (JSON) and the page
 * `GET /transparency/{fundId}` (no script, hash-only CSP, as the notice page). Aggregates only; reads the table and
 * writes nothing (its role may only read).
 */
import { httpFunction } from '#shared/http/function';
import { implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/reports';
import { publicFund } from '#shared/data/reports/public-view';
import { renderTransparencyPage, transparencyPageHeaders } from '#shared/http/transparency-page';

export const handler = httpFunction('transparency', [
  implement(contracts.getPublicFund, async ({ params, query, now }) => ({
    ...ok(await publicFund(params.fundId, query, now)),
    headers: { 'cache-control': 'public, max-age=60' },
  })),
  implement(contracts.getTransparencyPage, async ({ params, query, now }) => ({
    status: 200,
    raw: renderTransparencyPage(await publicFund(params.fundId, query, now)),
    headers: transparencyPageHeaders(),
  })),
]);
