import { httpFunction } from '#shared/http/function';
import { created, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/campaigns';
import { launchClockErrors, resultsClockErrors } from '#shared/domain/campaigns';
import { validationFailed } from '#shared/domain/errors';
import { getCampaign } from '#shared/data/campaigns/items';
import { listCampaigns } from '#shared/data/campaigns/list';
import { reportResults } from '#shared/data/campaigns/results';
import { cancelCampaign } from '#shared/data/campaigns/cancel';
import { launchCampaign } from '#shared/data/campaigns/launch';

/** Stored instants are UTC `toISOString()` strings so that they compare in time order inside DynamoDB. */
const utc = (timestamp: string) => new Date(timestamp).toISOString();

export const handler = httpFunction('campaigns', [
  implement(contracts.launchCampaign, async ({ body, principal, correlationId, now, claim }) => {
    const late = launchClockErrors(body, now);
    if (late.length) throw validationFailed(late.map((e) => ({ ...e, path: `body.${e.path}` })));
    const input = { ...body, startsAt: utc(body.startsAt), endsAt: utc(body.endsAt) };
    return created(await launchCampaign(input, { sub: principal.sub, correlationId }, now, claim));
  }),
  implement(contracts.listCampaigns, async ({ query, now }) => ok(await listCampaigns(query, now))),
  implement(contracts.getCampaign, async ({ params, now }) => ok(await getCampaign(params.campaignId, now))),
  implement(contracts.cancelCampaign, async ({ params, body, principal, correlationId, now }) =>
    ok(await cancelCampaign(params.campaignId, body.reason, { sub: principal.sub, correlationId }, now)),
  ),
  implement(contracts.reportCampaignResults, async ({ params, body, principal, correlationId, now }) => {
    const errors = resultsClockErrors(body, now);
    if (errors.length) throw validationFailed(errors.map((e) => ({ ...e, path: `body.${e.path}` })));
    const report = { ...body, reportedAt: utc(body.reportedAt) };
    return ok(await reportResults(params.campaignId, report, { sub: principal.sub, correlationId }, now));
  }),
]);
