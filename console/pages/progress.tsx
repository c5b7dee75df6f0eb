/**
 * Progress: per county, spending progress (支出进度: paid ÷ allocated) against the time gone by, most lagging first,
 * with lagging and idle counties marked in words; filtered by province (the first two digits of the county code).
 */
import { useMemo, useState } from 'preact/hooks';
import { must, type Schemas } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { CountyBars, type CountyRow } from '../components/county-bars.tsx';
import { countyNames } from '../components/county-names.ts';
import { FundPicker, ProvinceFilter } from '../components/fund-picker.tsx';
import { useSession } from '../context.ts';
import { useI18n } from '../i18n/index.ts';
import { yuanFromFen } from '../money.ts';
import { byLag, inProvince, LAGGING_POINTS, percent, points, provinceName, provincesIn } from '../standing.ts';
import { countyLabel } from '../view.ts';

export function ProgressPage() {
  const { t } = useI18n();
  return (
    <>
      <h1>{t('progress.title')}</h1>
      <FundPicker>{(fund) => <FundProgress key={fund.fundId} fundId={fund.fundId} />}</FundPicker>
    </>
  );
}

function FundProgress({ fundId }: { fundId: string }) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [loaded] = useLoad(
    () => Promise.all([must(api.GET('/v1/funds/{fundId}/progress', { params: { path: { fundId }, query: {} } })), countyNames(api)]),
    [fundId],
  );
  return <Show loaded={loaded}>{([progress, names]) => <ProgressFigures progress={progress} names={names} locale={locale} t={t} />}</Show>;
}

function ProgressFigures({
  progress,
  names,
  locale,
  t,
}: {
  progress: Schemas['FundProgress'];
  names: Map<string, string>;
  locale: 'zh-CN' | 'en';
  t: ReturnType<typeof useI18n>['t'];
}) {
  const [province, setProvince] = useState('');
  const money = (fen: number) => yuanFromFen(fen, locale);
  const provinces = provincesIn(progress.counties.map((c) => c.countyCode)).map((code) => ({ code, name: provinceName(code, locale) }));
  const shown = useMemo(() => byLag(inProvince(progress.counties, province)), [progress, province]);
  const lagging = shown.filter((c) => c.lagPoints >= LAGGING_POINTS).length;
  const idle = shown.filter((c) => c.idle !== null).length;
  const rows: CountyRow[] = shown.map((c) => {
    const flags = [...(c.lagPoints >= LAGGING_POINTS ? [t('progress.lagging')] : []), ...(c.idle ? [t('progress.idleFlag')] : [])];
    return {
      countyCode: c.countyCode,
      label: countyLabel(c.countyCode, names),
      segments: [c.progress],
      barText: percent(c.progress),
      flags,
      cells: [
        money(c.allocated),
        money(c.paid),
        percent(c.progress),
        points(c.lagPoints),
        c.idle ? money(c.idle.amount) : '—',
        c.idle ? c.idle.since.slice(0, 10) : '—',
      ],
    };
  });
  return (
    <>
      <dl class="totals" data-progress-summary>
        <div data-figure="asOf">
          <dt>{t('progress.asOf')}</dt>
          <dd>{progress.asOf}</dd>
        </div>
        <div data-figure="timeElapsed">
          <dt>{t('progress.timeElapsed')}</dt>
          <dd>{percent(progress.timeElapsed)}</dd>
        </div>
        <div data-figure="lagging">
          <dt>{t('progress.laggingCount')}</dt>
          <dd>{lagging}</dd>
        </div>
        <div data-figure="idle">
          <dt>{t('progress.idleCount')}</dt>
          <dd>{idle}</dd>
        </div>
      </dl>
      <p class="reason">{t('progress.rules', { points: LAGGING_POINTS })}</p>
      <ProvinceFilter provinces={provinces} value={province} onChange={setProvince} label={t('progress.province')} />
      <CountyBars
        key={province}
        name="progress"
        caption={t('progress.chart')}
        segments={[t('progress.progress')]}
        columns={[
          t('overview.allocated'),
          t('overview.paid'),
          t('progress.progress'),
          t('progress.lagPoints'),
          t('progress.idleAmount'),
          t('progress.idleSince'),
        ]}
        flagsColumn={t('progress.flags')}
        rows={rows}
        max={1}
        formatAxis={(v) => `${Math.round(v * 100)} %`}
        marker={{ value: progress.timeElapsed, label: t('progress.marker', { elapsed: percent(progress.timeElapsed) }) }}
        tableOpen
      />
    </>
  );
}
