/**
 * Approvals: pending disbursements and pending batches (listed, not opened by id) with Approve / Reject, their
 * county by name, purpose, request time, flags (severity, due time, reason) and account verification when the API
 * gives them. Buttons are held (HeldButton), with the reason shown, where the API would refuse (own request, already
 * approved by me, not an approver; on the final approval a high flag standing, a batch's found by reading its row
 * flags or still being read, or a verification pending; clearing flags: not a fund-admin, or the requester). Each
 * row keeps one Idempotency-Key per decision, so a double click replays instead of approving twice.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { allPages, firstInPages, idempotencyKey, must, type ConsoleApi, type Schemas } from '../api.ts';
import { Show, useLoad, type Loaded } from '../components/async.tsx';
import { HeldButton } from '../components/held-button.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { useSession } from '../context.ts';
import { labelled, useI18n, type MessageKey } from '../i18n/index.ts';
import { yuanFromFen } from '../money.ts';
import {
  approvalBlock,
  batchFlagsShown,
  batchHighFlagMatters,
  canReadDisbursements,
  clearFlagsBlock,
  countyLabel,
  flagCodeKey,
  flagsOf,
  holdsApproval,
  rowNumber,
  showsActions,
  verificationCountsShown,
  verificationOf,
  verificationStatusKey,
  type BatchHighFlag,
  type BlockReason,
  type FlagView,
  type Viewer,
} from '../view.ts';

export function ApprovalsPage() {
  const { api, viewer } = useSession();
  const { t } = useI18n();
  const readable = canReadDisbursements(viewer);
  const [pending, reload] = useLoad(
    () =>
      readable
        ? allPages((cursor) =>
            must(api.GET('/v1/disbursements', { params: { query: { status: 'pending_approval', limit: 100, cursor } } })),
          )
        : Promise.resolve(null),
    [],
  );
  const [batches, reloadBatches] = useLoad(
    () =>
      readable
        ? allPages((cursor) =>
            must(api.GET('/v1/disbursement-batches', { params: { query: { status: 'pending_approval', limit: 100, cursor } } })),
          )
        : Promise.resolve(null),
    [],
  );
  const [counties] = useLoad(
    async () =>
      new Map(
        (await allPages((cursor) => must(api.GET('/v1/counties', { params: { query: { limit: 100, cursor } } })))).map((c) => [
          c.countyCode,
          c.name,
        ]),
      ),
    [],
  );
  const countyName = (code: string) => countyLabel(code, counties.state === 'ready' ? counties.data : new Map());
  const [notice, setNotice] = useState('');
  const decided = (id: string, status: string) => setNotice(t('approvals.done', { id, status: t(`status.${status}` as MessageKey) }));

  const head = (
    <>
      <th scope="col">ID</th>
      <th scope="col">{t('common.county')}</th>
      <th scope="col">{t('approvals.purpose')}</th>
      <th scope="col">{t('approvals.requestedAt')}</th>
    </>
  );
  const tail = (
    <>
      <th scope="col">{t('approvals.checks')}</th>
      <th scope="col">{t('approvals.progress')}</th>
      <th scope="col">{t('common.status')}</th>
      <th scope="col" hidden={!showsActions(viewer)}>
        {t('common.actions')}
      </th>
    </>
  );

  return (
    <>
      <h1>{t('approvals.title')}</h1>
      <p role="status" class="notice">
        {notice}
      </p>
      <PendingSection
        id="pending"
        title={t('approvals.disbursements')}
        loaded={pending}
        table="pending-disbursements"
        columns={
          <>
            {head}
            <th scope="col">{t('common.amount')}</th>
            <th scope="col">{t('approvals.beneficiary')}</th>
            <th scope="col">{t('approvals.requestedBy')}</th>
            {tail}
          </>
        }
      >
        {(items) => (
          <>
            {items.map((d) => (
              <DecisionRow
                key={d.disbursementId}
                kind="disbursement"
                id={d.disbursementId}
                subject={d}
                county={countyName(d.countyCode)}
                purpose={d.purpose}
                createdAt={d.createdAt}
                cells={
                  <>
                    <td class="num">
                      <AmountCell fen={d.amount} />
                    </td>
                    <td>{d.beneficiary.name}</td>
                    <td>{d.requestedBy}</td>
                    <td>
                      <Checks flags={flagsOf(d)} verification={verificationOf(d)} />
                    </td>
                  </>
                }
                flagged={flagsOf(d).some((f) => f.clearedBy === null || f.clearedBy === undefined)}
                onDecided={(status) => {
                  decided(d.disbursementId, status);
                  reload();
                }}
                onProblem={setNotice}
              />
            ))}
          </>
        )}
      </PendingSection>
      <PendingSection
        id="batches"
        title={t('approvals.batches')}
        loaded={batches}
        table="pending-batches"
        columns={
          <>
            {head}
            <th scope="col">{t('approvals.items')}</th>
            <th scope="col">{t('common.amount')}</th>
            <th scope="col">{t('approvals.requestedBy')}</th>
            {tail}
          </>
        }
      >
        {(items) => (
          <>
            {items.map((b) => (
              <BatchRow
                key={b.batchId}
                batch={b}
                county={countyName(b.countyCode)}
                onDecided={(status) => {
                  decided(b.batchId, status);
                  reloadBatches();
                }}
                onProblem={setNotice}
              />
            ))}
          </>
        )}
      </PendingSection>
    </>
  );
}

/** A pending batch's row: held on the approval that completes it once a high row flag is found (useBatchHighFlag). */
function BatchRow({
  batch: b,
  county,
  onDecided,
  onProblem,
}: {
  batch: Schemas['Batch'];
  county: string;
  onDecided: (status: string) => void;
  onProblem: (detail: string) => void;
}) {
  const { viewer } = useSession();
  const highRowFlag = useBatchHighFlag(b, viewer);
  return (
    <DecisionRow
      kind="batch"
      id={b.batchId}
      subject={{ ...b, highRowFlag }}
      county={county}
      purpose={b.purpose}
      createdAt={b.createdAt}
      cells={
        <>
          <td class="num">{b.itemCount}</td>
          <td class="num">
            <AmountCell fen={b.totalAmount} />
          </td>
          <td>{b.requestedBy}</td>
          <td>
            <BatchChecks batch={b} />
          </td>
        </>
      }
      flagged={b.flags.count > 0 && !b.flags.cleared}
      onDecided={onDecided}
      onProblem={onProblem}
    />
  );
}

/** Row flags per read of the high-flag search: the API's most, so a 5,000-row batch takes few pages. */
const HIGH_FLAG_PAGE = 100;

/**
 * Whether a pending batch has a high row flag, which its list row does not say: its row flags read a page at a time
 * up to the first high one (a 5,000-row batch can have thousands of medium ones before it), or to the last page. Read
 * only when the answer can hold this viewer's approval (batchHighFlagMatters), and again when that changes; `checking`
 * from the first render until the read answers, so the approval it can hold is never allowed in between.
 */
function useBatchHighFlag(batch: Schemas['Batch'], viewer: Viewer): BatchHighFlag {
  const { api } = useSession();
  const matters = batchHighFlagMatters(batch, viewer);
  const [known, setKnown] = useState<BatchHighFlag>('checking');
  useEffect(() => {
    // Also when it stops mattering: the next read, if any, starts from `checking`.
    setKnown('checking');
    if (!matters) return;
    // Leaving the page (or a change of the answer's use) stops the reading: no page is asked for after it.
    const reading = new AbortController();
    firstInPages((cursor) => batchFlagPage(api, batch.batchId, HIGH_FLAG_PAGE, cursor, reading.signal), holdsApproval).then(
      (high) => !reading.signal.aborted && setKnown(high ? 'found' : 'none'),
      // A failed read holds nothing: the approval stays as the list row allows, and the API still answers 409 `flagged`.
      () => !reading.signal.aborted && setKnown('unknown'),
    );
    return () => reading.abort();
  }, [api, batch.batchId, matters]);
  return matters ? known : 'unknown';
}

/** One page of a batch's row flags after `cursor` (GET …/flags): the disclosure's pages and the high-flag search alike. */
function batchFlagPage(api: ConsoleApi, batchId: string, limit: number, cursor: string | null | undefined, signal?: AbortSignal) {
  return must(
    api.GET('/v1/disbursement-batches/{batchId}/flags', {
      params: { path: { batchId }, query: { limit, ...(cursor ? { cursor } : {}) } },
      signal,
    }),
  );
}

function AmountCell({ fen }: { fen: number }) {
  const { locale } = useI18n();
  return <>{yuanFromFen(fen, locale)}</>;
}

/** A request's flags (severity, due time, reason) and its account verification, as far as the API gives them. */
function Checks({ flags, verification }: { flags: FlagView[]; verification: string | null }) {
  const { t } = useI18n();
  return (
    <>
      {flags.length === 0 ? (
        <span>{t('approvals.noFlags')}</span>
      ) : (
        <ul class="flags">
          {flags.map((f, i) => (
            <FlagItem key={i} flag={f} />
          ))}
        </ul>
      )}
      {verification && (
        <p class="verification">
          {t('approvals.verification', { status: labelled(t, verificationStatusKey(verification), verification) })}
        </p>
      )}
    </>
  );
}

/** One flag, a single disbursement's or a batch row's: severity badge, readable code, due time, message, who cleared it and why. */
function FlagItem({ flag: f, row }: { flag: FlagView; row?: number }) {
  const { t, locale } = useI18n();
  const when = (iso: string) => new Date(iso).toLocaleString(locale);
  return (
    <li data-flag={f.code} {...(row === undefined ? {} : { 'data-row': row, tabIndex: -1 })}>
      {row !== undefined && <>{t('approvals.row', { row: rowNumber(row) })} · </>}
      {f.severity && (
        <span class={`badge badge-${f.severity === 'high' ? 'danger' : 'warning'}`}>{t(`severity.${f.severity}` as MessageKey)}</span>
      )}{' '}
      {labelled(t, flagCodeKey(f.code), f.code)}
      {f.dueAt && <> · {t('approvals.dueAt', { at: when(f.dueAt) })}</>}
      {f.message && <> · {f.message}</>}
      {f.clearedBy ? <> · {t('approvals.cleared', { by: f.clearedBy, reason: f.reason ?? '' })}</> : null}
    </li>
  );
}

function BatchChecks({ batch }: { batch: Schemas['Batch'] }) {
  const { t } = useI18n();
  const { verifications } = batch;
  return (
    <>
      <span data-flag-count={batch.flags.count}>
        {batch.flags.count === 0
          ? t('approvals.noFlags')
          : t(batch.flags.cleared ? 'approvals.batchFlagsCleared' : 'approvals.batchFlags', { count: String(batch.flags.count) })}
      </span>
      {batch.flags.count > 0 && (
        // Remounted once cleared, so a list opened before shows who cleared and why.
        <BatchFlags key={String(batch.flags.cleared)} batchId={batch.batchId} count={batch.flags.count} />
      )}
      {verifications && (
        <p class="verification">
          {t('approvals.verification', {
            status: verificationCountsShown(verifications)
              .map(({ key, count }) => `${t(key)} ${count}`)
              .join(t('common.listSeparator')),
          })}
        </p>
      )}
    </>
  );
}

/** Row flags per page of the disclosure: a 5,000-row batch can have thousands; "more" asks for the next page. */
const FLAG_PAGE = 50;

/**
 * A batch's row flags behind a disclosure button, read on demand (GET …/flags) a page at a time with the API's
 * cursor, shown like a single disbursement's flags.
 */
function BatchFlags({ batchId, count }: { batchId: string; count: number }) {
  const { api } = useSession();
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [flags, setFlags] = useState<Schemas['BatchRowFlag'][]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'idle' | 'loading' | 'ready'>('idle');
  const [problem, setProblem] = useState('');
  // After "more", focus moves to the first row flag it added, so a keyboard user reads on from there.
  const [focusFrom, setFocusFrom] = useState<number | null>(null);
  const list = useRef<HTMLUListElement>(null);
  const listId = `flags-${batchId}`;
  useEffect(() => {
    if (focusFrom === null) return;
    (list.current?.children[focusFrom] as HTMLElement | undefined)?.focus();
    setFocusFrom(null);
  }, [focusFrom]);

  const load = async (after: string | null) => {
    setState('loading');
    setProblem('');
    try {
      const page = await batchFlagPage(api, batchId, FLAG_PAGE, after);
      setFlags((shown) => (after ? [...shown, ...page.items] : page.items));
      if (after) setFocusFrom(flags.length);
      setCursor(page.nextCursor);
      setState('ready');
    } catch (error) {
      setProblem(t('common.error', { detail: (error as Error).message }));
      setState(after ? 'ready' : 'idle');
    }
  };
  const toggle = () => {
    if (!open && state === 'idle') void load(null);
    setOpen(!open);
  };
  const shown = batchFlagsShown(flags.length, count, cursor);

  return (
    <div class="batch-flags">
      <button type="button" class="secondary" aria-expanded={open} aria-controls={listId} onClick={toggle}>
        {t(open ? 'approvals.hideFlags' : 'approvals.showFlags')}
      </button>
      <div id={listId} hidden={!open}>
        {(state === 'ready' || flags.length > 0) && (
          <>
            <ul ref={list} class="flags" aria-label={t('approvals.flagsOf', { id: batchId })}>
              {flags.map((f, i) => (
                <FlagItem key={i} flag={f} row={f.row} />
              ))}
            </ul>
            <p class="flags-shown">{t('approvals.flagsShown', { shown: shown.shown, total: shown.total })}</p>
          </>
        )}
        {state === 'loading' && <p role="status">{t('common.loading')}</p>}
        {problem && (
          <p role="alert" class="error">
            {problem}
          </p>
        )}
        {shown.more && flags.length > 0 && (
          <button type="button" class="secondary" onClick={() => state !== 'loading' && void load(cursor)}>
            {t('approvals.moreFlags')}
          </button>
        )}
      </div>
    </div>
  );
}

/** One pending disbursement or batch: its cells, Approve / Reject with a comment, and Clear flags with a reason. */
function DecisionRow({
  kind,
  id,
  subject,
  county,
  purpose,
  createdAt,
  cells,
  flagged,
  onDecided,
  onProblem,
}: {
  kind: 'disbursement' | 'batch';
  id: string;
  subject: Parameters<typeof approvalBlock>[0] & { requiredApprovals: number };
  county: string;
  purpose: string;
  createdAt: string;
  cells: ComponentChildren;
  flagged: boolean;
  onDecided: (status: string) => void;
  onProblem: (detail: string) => void;
}) {
  const { api, viewer } = useSession();
  const { t, locale } = useI18n();
  const [comment, setComment] = useState('');
  const [clearReason, setClearReason] = useState('');
  const [busy, setBusy] = useState(false);
  // A second click can arrive before the disabled button is rendered.
  const inFlight = useRef(false);
  // One key per row and decision for this page view: the same click twice is the same request.
  const keys = useMemo(
    () => ({ approve: idempotencyKey('approve', id), reject: idempotencyKey('reject', id), clear: idempotencyKey('clear', id) }),
    [id],
  );
  const approveBlock = approvalBlock(subject, viewer, 'approve');
  const rejectBlock = approvalBlock(subject, viewer, 'reject');
  const clearBlock = clearFlagsBlock(subject, viewer);
  const reasonId = `reason-${id}`;
  const clearId = `clear-${id}`;
  const shownReason = approveBlock ?? rejectBlock;
  // A batch's reason changes while it is shown (its row flags read: checking, then held or not), so it is announced.
  const announced = batchHighFlagMatters(subject, viewer);
  const refuse = (reason: NonNullable<BlockReason>) => onProblem(t('common.held', { id, reason: t(reason) }));

  const run = async (action: 'approve' | 'reject' | 'clear') => {
    if (action === 'reject' && comment.trim() === '') return onProblem(t('approvals.rejectNeedsReason'));
    if (action === 'clear' && clearReason.trim() === '') return onProblem(t('approvals.clearNeedsReason'));
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    try {
      const header = { 'Idempotency-Key': keys[action] };
      const reason = { reason: (action === 'clear' ? clearReason : comment).trim() };
      const approveBody = comment.trim() ? { comment: comment.trim() } : {};
      let status: string;
      if (kind === 'disbursement') {
        const params = { path: { disbursementId: id }, header };
        status = (
          action === 'approve'
            ? await must(api.POST('/v1/disbursements/{disbursementId}/approve', { params, body: approveBody }))
            : action === 'reject'
              ? await must(api.POST('/v1/disbursements/{disbursementId}/reject', { params, body: reason }))
              : await must(api.POST('/v1/disbursements/{disbursementId}/clear-flags', { params, body: reason }))
        ).status;
      } else {
        const params = { path: { batchId: id }, header };
        status = (
          action === 'approve'
            ? await must(api.POST('/v1/disbursement-batches/{batchId}/approve', { params, body: approveBody }))
            : action === 'reject'
              ? await must(api.POST('/v1/disbursement-batches/{batchId}/reject', { params, body: reason }))
              : await must(api.POST('/v1/disbursement-batches/{batchId}/clear-flags', { params, body: reason }))
        ).status;
      }
      onDecided(status);
    } catch (error) {
      onProblem(t('common.error', { detail: (error as Error).message }));
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  return (
    <tr {...(kind === 'batch' ? { 'data-batch': id } : { 'data-disbursement': id })}>
      <td>
        <code>{id}</code>
      </td>
      <td>{county}</td>
      <td>{t(`purpose.${purpose}` as MessageKey)}</td>
      <td>
        <time dateTime={createdAt}>{new Date(createdAt).toLocaleString(locale)}</time>
      </td>
      {cells}
      <td class="num">{`${subject.approvals.length} / ${subject.requiredApprovals}`}</td>
      <td>
        <StatusBadge status={subject.status} />
      </td>
      <td class="actions" hidden={!showsActions(viewer)}>
        <input
          type="text"
          aria-label={t('approvals.comment', { id })}
          placeholder={t('approvals.commentPlaceholder')}
          value={comment}
          disabled={busy || (approveBlock !== null && rejectBlock !== null)}
          onInput={(e) => setComment((e.target as HTMLInputElement).value)}
        />
        <HeldButton
          block={approveBlock}
          busy={busy}
          describedBy={shownReason ? reasonId : undefined}
          onPress={() => void run('approve')}
          onRefused={refuse}
        >
          {t('approvals.approve')}
        </HeldButton>
        <HeldButton
          secondary
          block={rejectBlock}
          busy={busy}
          describedBy={shownReason ? reasonId : undefined}
          onPress={() => void run('reject')}
          onRefused={refuse}
        >
          {t('approvals.reject')}
        </HeldButton>
        {/* A polite live region, there before its reason appears or changes: a screen reader hears the change, once. */}
        <div class="hold" role={announced ? 'status' : undefined}>
          {shownReason && (
            <p id={reasonId} class="reason">
              {t(shownReason)}
            </p>
          )}
        </div>
        {flagged && (
          <div class="clear-flags">
            <input
              type="text"
              aria-label={t('approvals.clearReason', { id })}
              placeholder={t('approvals.clearReasonPlaceholder')}
              value={clearReason}
              disabled={busy || clearBlock !== null}
              onInput={(e) => setClearReason((e.target as HTMLInputElement).value)}
            />
            <HeldButton
              secondary
              block={clearBlock}
              busy={busy}
              describedBy={clearBlock ? clearId : undefined}
              onPress={() => void run('clear')}
              onRefused={refuse}
            >
              {t('approvals.clearFlags')}
            </HeldButton>
            {clearBlock && (
              <p id={clearId} class="reason">
                {t(clearBlock)}
              </p>
            )}
          </div>
        )}
      </td>
    </tr>
  );
}

/** A list of pending requests awaiting a decision: not for this role, none, or a table of rows. */
function PendingSection<T>({
  id,
  title,
  loaded,
  table,
  columns,
  children,
}: {
  id: string;
  title: string;
  loaded: Loaded<T[] | null>;
  table: string;
  columns: ComponentChildren;
  children: (items: T[]) => ComponentChildren;
}) {
  const { t } = useI18n();
  return (
    <section aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      <Show loaded={loaded}>
        {(items) =>
          items === null ? (
            <p>{t('common.notForRole')}</p>
          ) : items.length === 0 ? (
            <p>{t('common.none')}</p>
          ) : (
            <table data-table={table}>
              <thead>
                <tr>{columns}</tr>
              </thead>
              <tbody>{children(items)}</tbody>
            </table>
          )
        }
      </Show>
    </section>
  );
}
