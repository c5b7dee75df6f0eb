/** The funds the caller can read, and a select to choose one (the first by default). */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { allPages, must, type Schemas } from '../api.ts';
import { useSession } from '../context.ts';
import { useI18n } from '../i18n/index.ts';
import { Show, useLoad } from './async.tsx';

export function FundPicker({ children }: { children: (fund: Schemas['Fund']) => ComponentChildren }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [funds] = useLoad(() => allPages((cursor) => must(api.GET('/v1/funds', { params: { query: { limit: 100, cursor } } }))), []);
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <Show loaded={funds}>
      {(list) => {
        if (list.length === 0) return <p>{t('overview.noFunds')}</p>;
        const fund = list.find((f) => f.fundId === chosen) ?? list[0]!;
        return (
          <>
            <label class="field">
              {t('overview.fund')}{' '}
              <select value={fund.fundId} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
                {list.map((f) => (
                  <option key={f.fundId} value={f.fundId}>
                    {f.name}
                  </option>
                ))}
              </select>
            </label>
            {children(fund)}
          </>
        );
      }}
    </Show>
  );
}

/** A select of the provinces the counties lie in ('' for all). */
export function ProvinceFilter({
  provinces,
  value,
  onChange,
  label,
}: {
  provinces: { code: string; name: string }[];
  value: string;
  onChange: (province: string) => void;
  label: string;
}) {
  const { t } = useI18n();
  return (
    <label class="field">
      {label}{' '}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="">{t('progress.allProvinces')}</option>
        {provinces.map((p) => (
          <option key={p.code} value={p.code}>
            {p.name}
          </option>
        ))}
      </select>
    </label>
  );
}
