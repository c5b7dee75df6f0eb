/** Stations: the onboarding pipeline (applied → active, suspended, rejected) per county, and the list. */
import { allPages, must } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { BarChart } from '../components/bar-chart.tsx';
import { DataTable } from '../components/data-table.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSession } from '../context.ts';
import { countyNames } from '../components/county-names.ts';
import { useI18n } from '../i18n/index.ts';
import { countyLabel } from '../view.ts';

const PIPELINE = ['applied', 'active', 'suspended', 'rejected'] as const;

export function StationsPage() {
  const { api } = useSession();
  const { t } = useI18n();
  const [stations] = useLoad(
    () =>
      Promise.all([allPages((cursor) => must(api.GET('/v1/stations', { params: { query: { limit: 100, cursor } } }))), countyNames(api)]),
    [],
  );
  return (
    <>
      <h1>{t('stations.title')}</h1>
      <Show loaded={stations}>
        {([items, names]) => {
          if (items.length === 0) return <p>{t('common.none')}</p>;
          const counties = [...new Set(items.map((s) => s.countyCode))].sort();
          return (
            <>
              <BarChart
                name="stations"
                caption={t('stations.pipeline')}
                categories={counties.map((c) => countyLabel(c, names))}
                series={PIPELINE.map((status) => ({
                  label: t(`status.${status}`),
                  values: counties.map((c) => items.filter((s) => s.countyCode === c && s.status === status).length),
                }))}
                format={(n) => String(n)}
              />
              <DataTable
                name="station-list"
                columns={[t('stations.name'), t('common.county'), t('stations.village'), t('stations.training'), t('common.status')]}
                items={items}
                row={(s) => (
                  <tr key={s.stationId}>
                    <td>{s.name}</td>
                    <td>{countyLabel(s.countyCode, names)}</td>
                    <td>{s.village}</td>
                    <td>{s.training ? t('stations.trained') : t('stations.untrained')}</td>
                    <td>
                      <StatusBadge status={s.status} />
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
