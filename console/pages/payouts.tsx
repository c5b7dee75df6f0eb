/**
 * Payouts: filtered by status, delivery_failed rows highlighted, Redeliver for fund-admins, and links
 * to the delivery logs of the endpoints that receive payment instructions.
 */
import { useRef, useState } from 'preact/hooks';
import { allPages, idempotencyKey, must, type Schemas } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { DataTable } from '../components/data-table.tsx';
import { HeldButton } from '../components/held-button.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSession } from '../context.ts';
import { useI18n } from '../i18n/index.ts';
import { yuanFromFen } from '../money.ts';
import { canReadEndpoints, canReadPayouts, PAYOUT_STATUSES, redeliverBlock, showsActions } from '../view.ts';

type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export function PayoutsPage() {
  const { api, viewer } = useSession();
  const { t, locale } = useI18n();
  const [status, setStatus] = useState<PayoutStatus | ''>('');
  const [notice, setNotice] = useState('');
  const [payouts, reload] = useLoad(
    () =>
      canReadPayouts(viewer)
        ? allPages((cursor) => must(api.GET('/v1/payouts', { params: { query: { status: status || undefined, limit: 100, cursor } } })), 5)
        : Promise.resolve(null),
    [status],
  );
  const [endpoints] = useLoad(
    () =>
      canReadEndpoints(viewer)
        ? allPages((cursor) => must(api.GET('/v1/webhook-endpoints', { params: { query: { limit: 100, cursor } } })))
        : Promise.resolve([]),
    [],
  );

  return (
    <>
      <h1>{t('payouts.title')}</h1>
      <p role="status" class="notice">
        {notice}
      </p>
      <label class="field">
        {t('payouts.filter')}{' '}
        <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value as PayoutStatus | '')}>
          <option value="">{t('payouts.all')}</option>
          {PAYOUT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <Show loaded={payouts}>
        {(items) =>
          items === null ? (
            <p>{t('common.notForRole')}</p>
          ) : (
            <DataTable
              name="payouts"
              columns={[
                t('payouts.payout'),
                t('common.county'),
                t('common.amount'),
                t('approvals.beneficiary'),
                t('payouts.attempts'),
                t('common.status'),
                { label: t('common.actions'), hidden: !showsActions(viewer) },
              ]}
              items={items}
              empty={t('common.none')}
              row={(p) => (
                <PayoutRow
                  key={p.payoutId}
                  payout={p}
                  money={(fen) => yuanFromFen(fen, locale)}
                  onDone={(id) => {
                    setNotice(t('payouts.redelivered', { id }));
                    reload();
                  }}
                  onProblem={setNotice}
                />
              )}
            />
          )
        }
      </Show>
      <Show loaded={endpoints}>
        {(list) =>
          list.length > 0 && (
            <section aria-labelledby="logs-heading">
              <h2 id="logs-heading">{t('payouts.deliveryLogs')}</h2>
              <ul>
                {list
                  .filter((e) => e.events.includes('*') || e.events.includes('payout.requested'))
                  .map((e) => (
                    <li key={e.endpointId}>
                      <a href={`#/deliveries/${e.endpointId}`}>{t('payouts.deliveryLogOf', { url: e.url })}</a>
                    </li>
                  ))}
              </ul>
            </section>
          )
        }
      </Show>
    </>
  );
}

function PayoutRow({
  payout: p,
  money,
  onDone,
  onProblem,
}: {
  payout: Schemas['Payout'];
  money: (fen: number) => string;
  onDone: (id: string) => void;
  onProblem: (detail: string) => void;
}) {
  const { api, viewer } = useSession();
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const key = useRef(idempotencyKey('redeliver', p.payoutId));
  const block = redeliverBlock(p, viewer);
  const reasonId = `redeliver-${p.payoutId}`;

  const redeliver = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    const { error, response } = await api.POST('/v1/payouts/{payoutId}/redeliver', {
      params: { path: { payoutId: p.payoutId }, header: { 'Idempotency-Key': key.current } },
    });
    if (error !== undefined || !response.ok) {
      onProblem(t('common.error', { detail: (error as { detail?: string } | undefined)?.detail ?? `HTTP ${response.status}` }));
      inFlight.current = false;
      setBusy(false);
      return;
    }
    onDone(p.payoutId);
  };

  return (
    <tr data-payout={p.payoutId} class={p.status === 'delivery_failed' ? 'attention' : undefined}>
      <td>
        <code>{p.payoutId}</code>
      </td>
      <td>{p.countyCode}</td>
      <td class="num">{money(p.amount)}</td>
      <td>{p.beneficiary.name}</td>
      <td class="num">{p.attempts}</td>
      <td>
        <StatusBadge status={p.status} />
      </td>
      <td class="actions" hidden={!showsActions(viewer)}>
        {p.status === 'delivery_failed' && (
          <>
            <HeldButton
              block={block}
              busy={busy}
              describedBy={block ? reasonId : undefined}
              onPress={() => void redeliver()}
              onRefused={(reason) => onProblem(t('common.held', { id: p.payoutId, reason: t(reason) }))}
            >
              {t('payouts.redeliver')}
            </HeldButton>
            {block && (
              <p id={reasonId} class="reason">
                {t(block)}
              </p>
            )}
          </>
        )}
      </td>
    </tr>
  );
}
