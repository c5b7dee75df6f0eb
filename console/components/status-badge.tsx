import { useI18n } from '../i18n/index.ts';
import { statusBadge } from '../view.ts';

export function StatusBadge({ status }: { status: string }) {
  const { t } = useI18n();
  const badge = statusBadge(status);
  return (
    <span class={`badge badge-${badge.tone}`} data-status={status}>
      {t(badge.label)}
    </span>
  );
}
