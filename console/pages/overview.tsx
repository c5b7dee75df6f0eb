/**
 * Overview: the selected fund's totals, its allocations per county as sorted horizontal bars (largest first,
 * by province, a page at a time), its payouts by status, and where its money stands (the fund's progress: one
 * request however many counties it has, never one county report per allocation).
 */
import { useMemo, useState } from 'preact/hooks';
import { allPages, must, type Schemas } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { BarChart } from '../components/bar-chart.tsx';
import { CountyBars } from '../components/county-bars.tsx';
import { FundPicker, ProvinceFilter } from '../components/fund-picker.tsx';
import { useSession } from '../context.ts';
import { useI18n } from '../i18n/index.ts';
import { yuanFromFen } from '../money.ts';
import { countyNames } from '../components/county-names.ts';
import { byLargest, inProvince, LAGGING_POINTS, percent, provinceName, provincesIn } from '../standing.ts';
import { canReadPayouts, countyLabel, PAYOUT_STATUSES, sumBy } from '../view.ts';

interface FundOverview {
  allocations: Schemas['Allocation'][];
  payoutCounts: number[] | null;
  progress: Schemas['FundProgress'];
  names: Map<string, string>;
}

export function OverviewPage() {
  const { viewer } = useSession();
  const { t, locale } = useI18n();
  const money = (fen: number) => yuanFromFen(fen, locale);

  return (
    <>
      <h1>{t('overview.title')}</h1>
      <FundPicker>
        {(fund) => (
          <>
            <section aria-labelledby="totals-heading">
              <h2 id="totals-heading">{t('overview.totals')}</h2>
              <dl class="totals" data-totals={fund.fundId}>
                {(
                  [
                    ['totalBudget', fund.totalBudget],
                    ['allocated', fund.allocated],
                    ['reserved', fund.reserved],
                    ['paid', fund.paid],
                    ['unallocated', fund.unallocated],
                  ] as const
                ).map(([key, value]) => (
                  <div key={key} data-figure={key}>
                    <dt>{t(`overview.${key}`)}</dt>
                    <dd>{money(value)}</dd>
                  </div>
                ))}
              </dl>
            </section>
            <FundFigures key={fund.fundId} fundId={fund.fundId} showPayouts={canReadPayouts(viewer)} />
          </>
        )}
      </FundPicker>
    </>
  );
}

/** The fund's spending progress: paid ÷ allocated over its counties (0 when nothing is allocated), as the API rounds a county's. */
function fundShare(counties: readonly { allocated: number; paid: number }[]): number {
  const allocated = sumBy(counties, (c) => c.allocated);
  return allocated === 0 ? 0 : Math.floor((sumBy(counties, (c) => c.paid) / allocated) * 1_000_000) / 1_000_000;
}

function FundFigures({ fundId, showPayouts }: { fundId: string; showPayouts: boolean }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const money = (fen: number) => yuanFromFen(fen, locale);
  const [loaded] = useLoad<FundOverview>(async () => {
    const allocations = await allPages((cursor) =>
      must(api.GET('/v1/funds/{fundId}/allocations', { params: { path: { fundId }, query: { limit: 100, cursor } } })),
    );
    const [payoutCounts, progress, names] = await Promise.all([
      showPayouts
        ? Promise.all(
            // The payout list filters by status, not by fund: this fund's are counted here.
            PAYOUT_STATUSES.map(
              async (status) =>
                (await allPages((cursor) => must(api.GET('/v1/payouts', { params: { query: { status, limit: 100, cursor } } })))).filter(
                  (p) => p.fundId === fundId,
                ).length,
            ),
          )
        : Promise.resolve(null),
      must(api.GET('/v1/funds/{fundId}/progress', { params: { path: { fundId }, query: {} } })),
      countyNames(api),
    ]);
    return { allocations, payoutCounts, progress, names };
  }, [fundId]);

  return (
    <Show loaded={loaded}>
      {({ allocations, payoutCounts, progress, names }) => (
        <>
          <section aria-labelledby="counties-heading">
            <h2 id="counties-heading">{t('overview.byCounty')}</h2>
            <AllocationBars allocations={allocations} names={names} />
          </section>
          <section aria-labelledby="payouts-heading">
            <h2 id="payouts-heading">{t('overview.payoutsByStatus')}</h2>
            {payoutCounts ? (
              <BarChart
                name="payouts"
                caption={t('overview.payoutsByStatus')}
                categories={PAYOUT_STATUSES.map((s) => t(`status.${s}`))}
                series={[{ label: t('overview.count'), values: payoutCounts }]}
                format={(n) => String(n)}
              />
            ) : (
              <p>{t('common.notForRole')}</p>
            )}
          </section>
          <section aria-labelledby="standing-heading">
            <h2 id="standing-heading">{t('overview.standing')}</h2>
            <dl class="totals" data-standing={fundId}>
              {(
                [
                  ['asOf', t('progress.asOf'), progress.asOf],
                  ['timeElapsed', t('progress.timeElapsed'), percent(progress.timeElapsed)],
                  ['progress', t('progress.progress'), percent(fundShare(progress.counties))],
                  ['lagging', t('progress.laggingCount'), String(progress.counties.filter((c) => c.lagPoints >= LAGGING_POINTS).length)],
                  ['idle', t('progress.idleCount'), String(progress.counties.filter((c) => c.idle !== null).length)],
                  ['idleAmount', t('progress.idleAmount'), money(sumBy(progress.counties, (c) => c.idle?.amount ?? 0))],
                ] as const
              ).map(([key, label, value]) => (
                <div key={key} data-figure={key}>
                  <dt>{label}</dt>
                  <dd>{value}</dd>
                </div>
              ))}
            </dl>
            <p>
              <a href="#/progress">{t('overview.progressLink')}</a>
            </p>
          </section>
        </>
      )}
    </Show>
  );
}

/** Yuan on an axis, compact (200万 / 2M): the table keeps the exact figures. */
function compactYuan(fen: number, locale: 'zh-CN' | 'en'): string {
  return `¥${new Intl.NumberFormat(locale === 'en' ? 'en-US' : 'zh-CN', { notation: 'compact', maximumFractionDigits: 1 }).format(fen / 100)}`;
}

function AllocationBars({ allocations, names }: { allocations: Schemas['Allocation'][]; names: Map<string, string> }) {
  const { t, locale } = useI18n();
  const money = (fen: number) => yuanFromFen(fen, locale);
  const [province, setProvince] = useState('');
  const provinces = provincesIn(allocations.map((a) => a.countyCode)).map((code) => ({ code, name: provinceName(code, locale) }));
  const shown = useMemo(() => byLargest(inProvince(allocations, province), (a) => a.allocated), [allocations, province]);
  return (
    <>
      <ProvinceFilter provinces={provinces} value={province} onChange={setProvince} label={t('progress.province')} />
      <CountyBars
        key={province}
        name="allocations"
        caption={t('overview.byCounty')}
        segments={[t('overview.paid'), t('overview.reserved'), t('overview.available')]}
        columns={(['allocated', 'reserved', 'paid', 'available'] as const).map((key) => t(`overview.${key}`))}
        rows={shown.map((a) => ({
          countyCode: a.countyCode,
          label: countyLabel(a.countyCode, names),
          segments: [a.paid, a.reserved, a.available],
          barText: money(a.allocated),
          flags: [],
          cells: [money(a.allocated), money(a.reserved), money(a.paid), money(a.available)],
        }))}
        max={Math.max(1, ...shown.map((a) => a.allocated))}
        formatAxis={(fen) => compactYuan(fen, locale)}
      />
    </>
  );
}
