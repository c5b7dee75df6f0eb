/**
 * Failures: the failed payouts no correction links yet, by failure code and by age (GET /v1/payouts/failures), as
 * a chart with its table, and the failed payouts themselves with a "Correct" action: a form for the new
 * beneficiary that asks the API for a correction (a single disbursement's, or a batch row's through the batch).
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { allPages, idempotencyKey, must, type Schemas } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { BarChart } from '../components/bar-chart.tsx';
import { DataTable } from '../components/data-table.tsx';
import { useSession } from '../context.ts';
import { labelled, useI18n, type MessageKey } from '../i18n/index.ts';
import { yuanFromFen } from '../money.ts';
import { canCorrect, canReadPayouts, failureCodeKey } from '../view.ts';

export function FailuresPage() {
  const { api, viewer } = useSession();
  const { t, locale } = useI18n();
  const [notice, setNotice] = useState('');
  const [summary, reloadSummary] = useLoad(
    () => (canReadPayouts(viewer) ? must(api.GET('/v1/payouts/failures', { params: { query: {} } })) : Promise.resolve(null)),
    [],
  );
  const [failed, reloadFailed] = useLoad(
    () =>
      canReadPayouts(viewer)
        ? allPages((cursor) => must(api.GET('/v1/payouts', { params: { query: { status: 'failed', limit: 100, cursor } } })), 5)
        : Promise.resolve(null),
    [],
  );
  const format = (fen: number) => yuanFromFen(fen, locale);

  return (
    <>
      <h1>{t('failures.title')}</h1>
      <p role="status" class="notice">
        {notice}
      </p>
      <Show loaded={summary}>
        {(s) =>
          s === null ? (
            <p>{t('common.notForRole')}</p>
          ) : (
            <>
              <p data-figure="failures-total">{t('failures.total', { count: String(s.total.count), amount: format(s.total.amount) })}</p>
              <BarChart
                name="failures-by-code"
                caption={t('failures.byCode')}
                categories={s.byCode.map((c) => labelled(t, failureCodeKey(c.failureCode), c.failureCode))}
                series={[{ label: t('common.amount'), values: s.byCode.map((c) => c.amount) }]}
                format={format}
              />
              <DataTable
                name="failures-by-age"
                caption={t('failures.byAge')}
                columns={[t('failures.age'), t('failures.count'), t('common.amount')]}
                items={s.byAge}
                row={(a) => (
                  <tr key={a.age}>
                    <th scope="row">{t(`failures.age.${a.age}` as MessageKey)}</th>
                    <td class="num">{a.count}</td>
                    <td class="num">{format(a.amount)}</td>
                  </tr>
                )}
              />
            </>
          )
        }
      </Show>
      <section aria-labelledby="failed-heading">
        <h2 id="failed-heading">{t('failures.payouts')}</h2>
        <Show loaded={failed}>
          {(items) => {
            const open = (items ?? []).filter((p) => p.correctedBy === null);
            return (
              <DataTable
                name="failed-payouts"
                columns={[
                  t('payouts.payout'),
                  t('common.county'),
                  t('common.amount'),
                  t('approvals.beneficiary'),
                  t('failures.code'),
                  t('common.actions'),
                ]}
                items={open}
                empty={t('common.none')}
                row={(p) => (
                  <FailedRow
                    key={p.payoutId}
                    payout={p}
                    allowed={canCorrect(viewer)}
                    onCorrected={(id) => {
                      setNotice(t('failures.corrected', { id: p.payoutId, by: id }));
                      reloadSummary();
                      reloadFailed();
                    }}
                    onProblem={setNotice}
                  />
                )}
              />
            );
          }}
        </Show>
      </section>
    </>
  );
}

function FailedRow({
  payout: p,
  allowed,
  onCorrected,
  onProblem,
}: {
  payout: Schemas['Payout'];
  allowed: boolean;
  onCorrected: (correction: string) => void;
  onProblem: (text: string) => void;
}) {
  const { api } = useSession();
  const { t, locale } = useI18n();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const key = useMemo(() => idempotencyKey('correct', p.payoutId), [p.payoutId]);
  const [form, setForm] = useState({
    name: p.beneficiary.name,
    bankName: '',
    accountName: p.beneficiary.name,
    accountNumber: '',
    reason: '',
  });
  const formId = `correct-${p.payoutId}`;
  const field = (name: keyof typeof form, label: MessageKey, extra: Record<string, string> = {}) => (
    <label>
      {t(label)}{' '}
      <input
        type="text"
        required
        value={form[name]}
        onInput={(e) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })}
        {...extra}
      />
    </label>
  );

  const submit = async (e: Event) => {
    e.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    const beneficiary = {
      kind: p.beneficiary.kind,
      name: form.name.trim(),
      ...(p.beneficiary.stationId ? { stationId: p.beneficiary.stationId } : {}),
      account: { bankName: form.bankName.trim(), accountName: form.accountName.trim(), accountNumber: form.accountNumber.trim() },
    };
    try {
      const header = { 'Idempotency-Key': key };
      const id = p.disbursementId
        ? (
            await must(
              api.POST('/v1/disbursements/{disbursementId}/corrections', {
                params: { path: { disbursementId: p.disbursementId }, header },
                body: { beneficiary, reason: form.reason.trim() },
              }),
            )
          ).disbursementId
        : (
            await must(
              api.POST('/v1/disbursement-batches/{batchId}/corrections', {
                params: { path: { batchId: p.batchId! }, header },
                body: { items: [{ payoutId: p.payoutId, beneficiary }], reason: form.reason.trim() },
              }),
            )
          ).batchId;
      onCorrected(id);
    } catch (error) {
      onProblem(t('common.error', { detail: (error as Error).message }));
      inFlight.current = false;
      setBusy(false);
    }
  };

  return (
    <tr data-payout={p.payoutId}>
      <td>
        <code>{p.payoutId}</code>
      </td>
      <td>{p.countyCode}</td>
      <td class="num">{yuanFromFen(p.amount, locale)}</td>
      <td>{p.beneficiary.name}</td>
      <td>{p.failureCode ? labelled(t, failureCodeKey(p.failureCode), p.failureCode) : ''}</td>
      <td class="actions">
        <button
          type="button"
          aria-expanded={open}
          aria-controls={formId}
          disabled={!allowed}
          aria-describedby={allowed ? undefined : `${formId}-why`}
          onClick={() => setOpen(!open)}
        >
          {t('failures.correct')}
        </button>
        {!allowed && (
          <p id={`${formId}-why`} class="reason">
            {t('blocked.notMaker')}
          </p>
        )}
        {open && (
          <form id={formId} class="stack" aria-label={t('failures.correctForm', { id: p.payoutId })} onSubmit={(e) => void submit(e)}>
            {field('name', 'failures.name')}
            {field('bankName', 'failures.bankName')}
            {field('accountName', 'failures.accountName')}
            {field('accountNumber', 'failures.accountNumber', { inputMode: 'numeric', pattern: '[0-9]{8,30}' })}
            {field('reason', 'failures.reason')}
            <button type="submit" disabled={busy}>
              {t('failures.submit')}
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}
