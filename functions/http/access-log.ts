import { httpFunction } from '#shared/http/function';
import { implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/access-log';
import { listAccessLog } from '#shared/data/access-log/items';

export const handler = httpFunction('access-log', [
  implement(contracts.listAccessLog, async ({ query }) => ok(await listAccessLog(query))),
]);
