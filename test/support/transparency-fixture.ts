/**
 * Inputs of the fund's public view as the data layer gathers them, with personal data planted where a careless
 * mapping could pick it up (extra fields on the fund and the counties): the view and page must show none of it.
 */
import type { PublicFundInput } from '#shared/domain/transparency';

export const PLANTED = {
  beneficiaryName: '王小明',
  accountNumber: '6230520012345678',
  nationalId: '52262719800101123X',
  phone: '13812345678',
} as const;

const COUNTY_NAMES = ['秀山土家族苗族自治县', '丹寨县', '彝良县', '景宁畲族自治县', '筠连县', '濉溪县', '邛崃市', '<i>县</i> & "x"'];

export function transparencyInput(counties: number, over: Partial<PublicFundInput> = {}): PublicFundInput {
  const fund = {
    fundId: 'fund_01JTRANSPARENCY0000000000',
    name: '乡村振兴衔接资金 2026',
    currency: 'CNY',
    totalBudget: 1_000_000_000_000,
    allocated: 0,
    paid: 0,
    period: { startsOn: '2026-01-01', endsOn: '2026-12-31' },
    financeSystem: 'ledger-bot',
    createdBy: PLANTED.beneficiaryName,
  };
  const list = Array.from({ length: counties }, (_, i) => {
    const allocated = 800_000_000 + i * 1_234;
    const paid = Math.floor((allocated * ((i * 29) % 100)) / 100);
    return {
      countyCode: String(500200 + i),
      name: COUNTY_NAMES[i % COUNTY_NAMES.length]!,
      province: '重庆市',
      allocated,
      paid,
      beneficiaryName: PLANTED.beneficiaryName,
      account: { accountNumber: PLANTED.accountNumber },
      operator: { nationalId: PLANTED.nationalId, phone: PLANTED.phone },
    };
  });
  fund.allocated = list.reduce((t, c) => t + c.allocated, 0);
  fund.paid = list.reduce((t, c) => t + c.paid, 0);
  return {
    fund,
    asOf: '2026-07-02',
    counties: list,
    notices: { published: 23 },
    objections: { upheld: 4 },
    latestSnapshot: {
      snapshotId: 'snp_01JSNAPSHOT000000000000000',
      month: '2026-06',
      takenAt: '2026-06-30T16:00:00.000Z',
      hash: 'ab'.repeat(32),
    },
    nextCursor: null,
    ...over,
  };
}
