/**
 * Approvals: pending disbursements with Approve / Reject. Buttons are disabled, with the reason shown,
 * where the API would refuse (own request, already approved by me, not an approver). Each row keeps one
 * Idempotency-Key per decision, so a double click replays instead of approving twice.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { allPages, idempotencyKey, must, type Schemas } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSession } from '../context.ts';
import { useI18n } from '../i18n/index.ts';
import { yuanFromFen } from '../money.ts';
import { approvalBlock, canReadDisbursements, showsActions } from '../view.ts';

export function ApprovalsPage() {
  const { api, viewer } = useSession();
  const { t } = useI18n();
  const [pending, reload] = useLoad(
    () =>
      canReadDisbursements(viewer)
        ? allPages((cursor) =>
            must(api.GET('/v1/disbursements', { params: { query: { status: 'pending_approval', limit: 100, cursor } } })),
          )
        : Promise.resolve(null),
    [],
  );
  const [notice, setNotice] = useState('');

  return (
    <>
      <h1>{t('approvals.title')}</h1>
      <p role="status" class="notice">
        {notice}
      </p>
      <section aria-labelledby="pending-heading">
        <h2 id="pending-heading">{t('approvals.disbursements')}</h2>
        <Show loaded={pending}>
          {(items) =>
            items === null ? (
              <p>{t('common.notForRole')}</p>
            ) : items.length === 0 ? (
              <p>{t('common.none')}</p>
            ) : (
              <table data-table="pending-disbursements">
                <thead>
                  <tr>
                    <th scope="col">ID</th>
                    <th scope="col">{t('common.county')}</th>
                    <th scope="col">{t('common.amount')}</th>
                    <th scope="col">{t('approvals.beneficiary')}</th>
                    <th scope="col">{t('approvals.requestedBy')}</th>
                    <th scope="col">{t('approvals.progress')}</th>
                    <th scope="col">{t('common.status')}</th>
                    <th scope="col" hidden={!showsActions(viewer)}>
                      {t('common.actions')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((d) => (
                    <DisbursementRow
                      key={d.disbursementId}
                      disbursement={d}
                      onDecided={(updated) => {
                        setNotice(t('approvals.done', { id: updated.disbursementId, status: t(`status.${updated.status}`) }));
                        reload();
                      }}
                      onProblem={setNotice}
                    />
                  ))}
                </tbody>
              </table>
            )
          }
        </Show>
      </section>
      <section aria-labelledby="batches-heading">
        <h2 id="batches-heading">{t('approvals.batches')}</h2>
        <p>{t('approvals.batchesNote')}</p>
        <BatchLookup onNotice={setNotice} />
      </section>
    </>
  );
}

function DisbursementRow({
  disbursement: d,
  onDecided,
  onProblem,
}: {
  disbursement: Schemas['Disbursement'];
  onDecided: (d: Schemas['Disbursement']) => void;
  onProblem: (detail: string) => void;
}) {
  const { api, viewer } = useSession();
  const { t, locale } = useI18n();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  // A second click can arrive before the disabled button is rendered.
  const inFlight = useRef(false);
  // One key per row and decision for this page view: the same click twice is the same request.
  const keys = useMemo(
    () => ({ approve: idempotencyKey('approve', d.disbursementId), reject: idempotencyKey('reject', d.disbursementId) }),
    [d.disbursementId],
  );
  const approveBlock = approvalBlock(d, viewer, 'approve');
  const rejectBlock = approvalBlock(d, viewer, 'reject');
  const reasonId = `reason-${d.disbursementId}`;
  const shownReason = approveBlock ?? rejectBlock;

  const decide = async (action: 'approve' | 'reject') => {
    if (action === 'reject' && comment.trim() === '') return onProblem(t('approvals.rejectNeedsReason'));
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    try {
      const params = { path: { disbursementId: d.disbursementId }, header: { 'Idempotency-Key': keys[action] } };
      const updated =
        action === 'approve'
          ? await must(
              api.POST('/v1/disbursements/{disbursementId}/approve', {
                params,
                body: comment.trim() ? { comment: comment.trim() } : {},
              }),
            )
          : await must(api.POST('/v1/disbursements/{disbursementId}/reject', { params, body: { reason: comment.trim() } }));
      onDecided(updated);
    } catch (error) {
      onProblem(t('common.error', { detail: (error as Error).message }));
      inFlight.current = false;
      setBusy(false);
    }
  };

  return (
    <tr data-disbursement={d.disbursementId}>
      <td>
        <code>{d.disbursementId}</code>
      </td>
      <td>{d.countyCode}</td>
      <td class="num">{yuanFromFen(d.amount, locale)}</td>
      <td>{d.beneficiary.name}</td>
      <td>{d.requestedBy}</td>
      <td class="num">{`${d.approvals.length} / ${d.requiredApprovals}`}</td>
      <td>
        <StatusBadge status={d.status} />
      </td>
      <td class="actions" hidden={!showsActions(viewer)}>
        <input
          type="text"
          aria-label={t('approvals.comment', { id: d.disbursementId })}
          placeholder={t('approvals.commentPlaceholder')}
          value={comment}
          disabled={busy || (approveBlock !== null && rejectBlock !== null)}
          onInput={(e) => setComment((e.target as HTMLInputElement).value)}
        />
        <button
          type="button"
          disabled={busy || approveBlock !== null}
          aria-describedby={shownReason ? reasonId : undefined}
          onClick={() => void decide('approve')}
        >
          {t('approvals.approve')}
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy || rejectBlock !== null}
          aria-describedby={shownReason ? reasonId : undefined}
          onClick={() => void decide('reject')}
        >
          {t('approvals.reject')}
        </button>
        {shownReason && (
          <p id={reasonId} class="reason">
            {t(shownReason)}
          </p>
        )}
      </td>
    </tr>
  );
}

/** A pending batch opened by id (the API has no batch list), decided under the same rules as a disbursement. */
function BatchLookup({ onNotice }: { onNotice: (text: string) => void }) {
  const { api, viewer } = useSession();
  const { t, locale } = useI18n();
  const [batchId, setBatchId] = useState('');
  const [batch, setBatch] = useState<Schemas['Batch'] | null>(null);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const keys = useMemo(
    () => (batch ? { approve: idempotencyKey('approve', batch.batchId), reject: idempotencyKey('reject', batch.batchId) } : null),
    [batch?.batchId],
  );

  const open = async (e: Event) => {
    e.preventDefault();
    try {
      setBatch(await must(api.GET('/v1/disbursement-batches/{batchId}', { params: { path: { batchId: batchId.trim() } } })));
    } catch (error) {
      setBatch(null);
      onNotice(t('common.error', { detail: (error as Error).message }));
    }
  };

  const decide = async (action: 'approve' | 'reject') => {
    if (!batch || !keys || inFlight.current) return;
    if (action === 'reject' && comment.trim() === '') return onNotice(t('approvals.rejectNeedsReason'));
    inFlight.current = true;
    setBusy(true);
    try {
      const params = { path: { batchId: batch.batchId }, header: { 'Idempotency-Key': keys[action] } };
      const updated =
        action === 'approve'
          ? await must(
              api.POST('/v1/disbursement-batches/{batchId}/approve', { params, body: comment.trim() ? { comment: comment.trim() } : {} }),
            )
          : await must(api.POST('/v1/disbursement-batches/{batchId}/reject', { params, body: { reason: comment.trim() } }));
      setBatch(updated);
      onNotice(t('approvals.done', { id: updated.batchId, status: t(`status.${updated.status}`) }));
    } catch (error) {
      onNotice(t('common.error', { detail: (error as Error).message }));
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const approveBlock = batch && approvalBlock(batch, viewer, 'approve');
  const rejectBlock = batch && approvalBlock(batch, viewer, 'reject');
  const shownReason = approveBlock ?? rejectBlock;
  return (
    <>
      <form class="field" onSubmit={(e) => void open(e)}>
        <label>
          {t('approvals.batchId')}{' '}
          <input
            type="text"
            value={batchId}
            required
            pattern="bat_[0-9A-Za-z]+"
            onInput={(e) => setBatchId((e.target as HTMLInputElement).value)}
          />
        </label>{' '}
        <button type="submit" class="secondary">
          {t('approvals.openBatch')}
        </button>
      </form>
      {batch && (
        <table data-table="batch">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">{t('common.county')}</th>
              <th scope="col">{t('approvals.items')}</th>
              <th scope="col">{t('common.amount')}</th>
              <th scope="col">{t('approvals.requestedBy')}</th>
              <th scope="col">{t('approvals.progress')}</th>
              <th scope="col">{t('common.status')}</th>
              <th scope="col" hidden={!showsActions(viewer)}>
                {t('common.actions')}
              </th>
            </tr>
          </thead>
          <tbody>
            <tr data-batch={batch.batchId}>
              <td>
                <code>{batch.batchId}</code>
              </td>
              <td>{batch.countyCode}</td>
              <td class="num">{batch.itemCount}</td>
              <td class="num">{yuanFromFen(batch.totalAmount, locale)}</td>
              <td>{batch.requestedBy}</td>
              <td class="num">{`${batch.approvals.length} / ${batch.requiredApprovals}`}</td>
              <td>
                <StatusBadge status={batch.status} />
              </td>
              <td class="actions" hidden={!showsActions(viewer)}>
                <input
                  type="text"
                  aria-label={t('approvals.comment', { id: batch.batchId })}
                  placeholder={t('approvals.commentPlaceholder')}
                  value={comment}
                  disabled={busy || (approveBlock !== null && rejectBlock !== null)}
                  onInput={(e) => setComment((e.target as HTMLInputElement).value)}
                />
                <button
                  type="button"
                  disabled={busy || approveBlock !== null}
                  aria-describedby={shownReason ? 'batch-reason' : undefined}
                  onClick={() => void decide('approve')}
                >
                  {t('approvals.approve')}
                </button>
                <button
                  type="button"
                  class="secondary"
                  disabled={busy || rejectBlock !== null}
                  aria-describedby={shownReason ? 'batch-reason' : undefined}
                  onClick={() => void decide('reject')}
                >
                  {t('approvals.reject')}
                </button>
                {shownReason && (
                  <p id="batch-reason" class="reason">
                    {t(shownReason)}
                  </p>
                )}
              </td>
            </tr>
          </tbody>
        </table>
      )}
    </>
  );
}
