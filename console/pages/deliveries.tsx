/** One webhook endpoint's delivery log: every attempt, newest first, as the API records it. */
import { allPages, must } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { DataTable } from '../components/data-table.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSession } from '../context.ts';
import { useI18n } from '../i18n/index.ts';

export function DeliveriesPage({ endpointId }: { endpointId: string }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [deliveries] = useLoad(
    () =>
      allPages(
        (cursor) =>
          must(
            api.GET('/v1/webhook-endpoints/{endpointId}/deliveries', { params: { path: { endpointId }, query: { limit: 100, cursor } } }),
          ),
        5,
      ),
    [endpointId],
  );
  return (
    <>
      <h1>{t('deliveries.title')}</h1>
      <p>
        <code>{endpointId}</code> · <a href="#/payouts">{t('nav.payouts')}</a>
      </p>
      <Show loaded={deliveries}>
        {(items) => (
          <DataTable
            name="deliveries"
            columns={[
              t('deliveries.at'),
              t('deliveries.message'),
              t('deliveries.event'),
              t('deliveries.attempt'),
              t('deliveries.outcome'),
              t('deliveries.response'),
            ]}
            items={items}
            empty={t('common.none')}
            row={(d) => (
              <tr key={`${d.messageId}-${d.attempt}-${d.at}`}>
                <td>{d.at}</td>
                <td>
                  <code>{d.messageId}</code>
                </td>
                <td>{d.eventType}</td>
                <td class="num">{d.attempt}</td>
                <td>
                  <StatusBadge status={d.outcome} />
                </td>
                <td>{d.responseStatus ?? d.error ?? ''}</td>
              </tr>
            )}
          />
        )}
      </Show>
    </>
  );
}
