/** Campaigns: gross sales against the fund's subsidy, per county, from the campaigns themselves. */
import { allPages, must } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { BarChart } from '../components/bar-chart.tsx';
import { DataTable } from '../components/data-table.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSession } from '../context.ts';
import { countyNames } from '../components/county-names.ts';
import { useI18n } from '../i18n/index.ts';
import { countyLabel } from '../view.ts';
import { yuanFromFen } from '../money.ts';

export function CampaignsPage() {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const money = (fen: number) => yuanFromFen(fen, locale);
  const [campaigns] = useLoad(
    () =>
      Promise.all([allPages((cursor) => must(api.GET('/v1/campaigns', { params: { query: { limit: 100, cursor } } }))), countyNames(api)]),
    [],
  );
  return (
    <>
      <h1>{t('campaigns.title')}</h1>
      <Show loaded={campaigns}>
        {([items, names]) => {
          if (items.length === 0) return <p>{t('common.none')}</p>;
          const counties = [...new Set(items.map((c) => c.countyCode))].sort();
          const of = (county: string) => items.filter((c) => c.countyCode === county && c.status !== 'cancelled');
          return (
            <>
              <BarChart
                name="campaigns"
                caption={t('campaigns.salesVsSubsidy')}
                categories={counties.map((c) => countyLabel(c, names))}
                series={[
                  { label: t('campaigns.sales'), values: counties.map((c) => of(c).reduce((s, x) => s + x.results.grossSales, 0)) },
                  { label: t('campaigns.subsidy'), values: counties.map((c) => of(c).reduce((s, x) => s + (x.subsidy?.amount ?? 0), 0)) },
                ]}
                format={money}
              />
              <DataTable
                name="campaign-list"
                columns={[t('campaigns.title'), t('common.county'), t('campaigns.sales'), t('campaigns.subsidy'), t('common.status')]}
                items={items}
                row={(c) => (
                  <tr key={c.campaignId}>
                    <td>{c.title}</td>
                    <td>{countyLabel(c.countyCode, names)}</td>
                    <td class="num">{money(c.results.grossSales)}</td>
                    <td class="num">{c.subsidy ? money(c.subsidy.amount) : '—'}</td>
                    <td>
                      <StatusBadge status={c.status} />
                    </td>
                  </tr>
                )}
              />
            </>
          );
        }}
      </Show>
    </>
  );
}
