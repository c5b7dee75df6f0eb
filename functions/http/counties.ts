import { httpFunction } from '#shared/http/function';
import { created, implement, ok } from '#shared/http/operation';
import * as contracts from '#shared/schemas/counties';
import { getCounty, listCounties, putCounty } from '#shared/data/counties/items';
import { allocationItemsOfCounty, toAllocation } from '#shared/data/funds/items';
import { readCountyStats } from '#shared/data/counties/stats';
import { countyCampaignReport } from '#shared/data/campaigns/list';

const count = (n: number | undefined) => n ?? 0;

export const handler = httpFunction('counties', [
  implement(contracts.putCounty, async ({ params, body, now }) => {
    const { county, created: isNew } = await putCounty(
      { countyCode: params.countyCode, name: body.name, province: body.province, modelCounty: body.modelCounty ?? false },
      now,
    );
    return isNew ? created(county) : ok(county);
  }),
  implement(contracts.listCounties, async ({ query }) => ok(await listCounties(query))),
  implement(contracts.getCounty, async ({ params }) => ok(await getCounty(params.countyCode))),
  implement(contracts.getCountyReport, async ({ params, now }) => {
    await getCounty(params.countyCode);
    // One read of the county's allocation items: their balances, and the disbursement figures they carry.
    const items = allocationItemsOfCounty(params.countyCode);
    const [allocations, stats] = await Promise.all([items.then((all) => all.map(toAllocation)), readCountyStats(params.countyCode, items)]);
    const d = stats.disbursements;
    const c = stats.campaigns;
    const s = stats.stations;
    const pair = (status: string) => ({ count: count(d[`${status}Count`]), amount: count(d[`${status}Amount`]) });
    return ok({
      countyCode: params.countyCode,
      allocations: allocations.map(({ fundId, allocated, reserved, paid, available }) => ({
        fundId,
        allocated,
        reserved,
        paid,
        available,
      })),
      disbursements: {
        pendingApproval: pair('pendingApproval'),
        inNotice: pair('inNotice'),
        approved: pair('approved'),
        paid: pair('paid'),
        payoutFailed: pair('payoutFailed'),
      },
      campaigns: await countyCampaignReport(params.countyCode, c, now),
      stations: { applied: count(s.applied), active: count(s.active), suspended: count(s.suspended) },
    });
  }),
]);
