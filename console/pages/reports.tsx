/**
 * Reports: the fund's half-year reports (view as a printable page, download as PDF) and its snapshots, each with
 * its hash, its previousHash and whether the chain verifies. The verification is done here, in the browser: each
 * hash is recomputed with SubtleCrypto (SHA-256 of the snapshot's canonical JSON, every field but `hash`, as API.md
 * defines it) and each previousHash compared with the hash of the snapshot before it. Nothing is taken on trust
 * from a "verified" field.
 */
import { useRef, useState } from 'preact/hooks';
import { idempotencyKey, must, type Schemas } from '../api.ts';
import { Show, useLoad } from '../components/async.tsx';
import { FundPicker } from '../components/fund-picker.tsx';
import { useSession } from '../context.ts';
import { useI18n, type MessageKey } from '../i18n/index.ts';
import { chainStatuses, halvesOf, recomputeHash, type ChainStatus } from '../standing.ts';
import { canReadSnapshots } from '../view.ts';

export function ReportsPage() {
  const { viewer } = useSession();
  const { t } = useI18n();
  return (
    <>
      <h1>{t('reports.title')}</h1>
      {canReadSnapshots(viewer) ? (
        <FundPicker>
          {(fund) => (
            <>
              <HalfYearReports key={`r-${fund.fundId}`} fund={fund} />
              <Snapshots key={`s-${fund.fundId}`} fundId={fund.fundId} />
            </>
          )}
        </FundPicker>
      ) : (
        <p>{t('common.notForRole')}</p>
      )}
    </>
  );
}

function HalfYearReports({ fund }: { fund: Schemas['Fund'] }) {
  const { rawGet } = useSession();
  const { t } = useI18n();
  const [message, setMessage] = useState<{ text: string; problem: boolean } | null>(null);

  const open = async (half: string, kind: 'html' | 'pdf') => {
    setMessage(null);
    const accept = kind === 'html' ? 'text/html' : 'application/pdf';
    try {
      const response = await rawGet(`/v1/funds/${encodeURIComponent(fund.fundId)}/reports/${half}`, accept);
      if (response.status === 404) return setMessage({ text: t('reports.unavailable', { half }), problem: true });
      if (!response.ok) {
        const problem = (await response.json().catch(() => null)) as { detail?: unknown } | null;
        const detail = typeof problem?.detail === 'string' ? problem.detail : `HTTP ${response.status}`;
        return setMessage({ text: t('common.error', { detail }), problem: true });
      }
      const url = URL.createObjectURL(new Blob([await response.arrayBuffer()], { type: accept }));
      const link = document.createElement('a');
      link.href = url;
      if (kind === 'pdf') link.download = `${fund.fundId}-${half}.pdf`;
      else link.target = '_blank';
      link.rel = 'noopener';
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setMessage({ text: t(kind === 'pdf' ? 'reports.downloaded' : 'reports.opened', { half }), problem: false });
    } catch (error) {
      setMessage({ text: t('common.error', { detail: (error as Error).message }), problem: true });
    }
  };

  return (
    <section aria-labelledby="half-year-heading">
      <h2 id="half-year-heading">{t('reports.halfYear')}</h2>
      <p class="reason">{t('reports.period', { startsOn: fund.period.startsOn, endsOn: fund.period.endsOn })}</p>
      <table data-table="half-year-reports">
        <caption>{t('reports.halfYear')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('reports.half')}</th>
            <th scope="col">{t('common.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {halvesOf(fund.period).map((half) => (
            <tr key={half} data-half={half}>
              <th scope="row">{half}</th>
              <td class="actions">
                <button type="button" class="secondary" aria-label={t('reports.viewOf', { half })} onClick={() => void open(half, 'html')}>
                  {t('reports.view')}
                </button>
                <button
                  type="button"
                  class="secondary"
                  aria-label={t('reports.downloadOf', { half })}
                  onClick={() => void open(half, 'pdf')}
                >
                  {t('reports.download')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p role="status" class={message?.problem ? 'error' : undefined} data-report-message>
        {message?.text ?? ''}
      </p>
    </section>
  );
}

interface CheckedSnapshots {
  items: Schemas['Snapshot'][];
  statuses: ChainStatus[];
  nextCursor: string | null;
}

const STATUS_KEY: Record<ChainStatus, MessageKey> = {
  ok: 'reports.chain.ok',
  hash_mismatch: 'reports.chain.hash_mismatch',
  link_broken: 'reports.chain.link_broken',
  link_unread: 'reports.chain.link_unread',
};

function Snapshots({ fundId }: { fundId: string }) {
  const { api, viewer } = useSession();
  const { t } = useI18n();
  const [pages, setPages] = useState(1);
  const [loaded, reload] = useLoad<CheckedSnapshots>(async () => {
    const items: Schemas['Snapshot'][] = [];
    let cursor: string | undefined;
    let nextCursor: string | null = null;
    for (let n = 0; n < pages; n++) {
      const page = await must(api.GET('/v1/funds/{fundId}/snapshots', { params: { path: { fundId }, query: { limit: 25, cursor } } }));
      items.push(...page.items);
      nextCursor = page.nextCursor;
      if (!nextCursor) break;
      cursor = nextCursor;
    }
    const recomputed = await Promise.all(items.map((s) => recomputeHash(s)));
    return { items, statuses: chainStatuses(items, recomputed), nextCursor };
  }, [fundId, pages]);
  const [message, setMessage] = useState<{ text: string; problem: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);

  const take = async () => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setMessage(null);
    try {
      const created = await must(
        api.POST('/v1/funds/{fundId}/snapshots', {
          params: { path: { fundId }, header: { 'Idempotency-Key': idempotencyKey('snapshot', fundId) } },
          body: {},
        }),
      );
      setMessage({ text: t('reports.taken', { id: created.snapshotId }), problem: false });
      reload();
    } catch (error) {
      setMessage({ text: t('common.error', { detail: (error as Error).message }), problem: true });
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="snapshots-heading">
      <h2 id="snapshots-heading">{t('reports.snapshots')}</h2>
      <p class="reason">{t('reports.howVerified')}</p>
      {viewer.roles.includes('fund-admin') && (
        <p class="actions">
          <button type="button" disabled={busy} onClick={() => void take()}>
            {t('reports.takeNow')}
          </button>
        </p>
      )}
      <p role="status" class={message?.problem ? 'error' : undefined}>
        {message?.text ?? ''}
      </p>
      <Show loaded={loaded}>
        {({ items, statuses, nextCursor }) => {
          if (items.length === 0) return <p>{t('reports.noSnapshots')}</p>;
          const broken = statuses.filter((s) => s === 'hash_mismatch' || s === 'link_broken').length;
          return (
            <>
              <p class={broken > 0 ? 'error' : undefined} data-chain={broken > 0 ? 'broken' : 'verified'}>
                {broken > 0
                  ? t('reports.chainBroken', { broken, count: items.length })
                  : t('reports.chainVerified', { count: items.length })}
              </p>
              <table data-table="snapshots">
                <caption>{t('reports.snapshots')}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('reports.takenAt')}</th>
                    <th scope="col">{t('reports.kind')}</th>
                    <th scope="col">{t('reports.hash')}</th>
                    <th scope="col">{t('reports.previousHash')}</th>
                    <th scope="col">{t('reports.chain')}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((s, i) => {
                    const status = statuses[i]!;
                    const bad = status === 'hash_mismatch' || status === 'link_broken';
                    return (
                      <tr key={s.snapshotId} data-snapshot={s.snapshotId} data-chain-status={status} class={bad ? 'attention' : undefined}>
                        <td>{s.takenAt}</td>
                        <td>{s.kind === 'monthly' ? t('reports.monthly', { month: s.month ?? '' }) : t('reports.onDemand')}</td>
                        <td>
                          <code class="hash">{s.hash}</code>
                        </td>
                        <td>{s.previousHash ? <code class="hash">{s.previousHash}</code> : t('reports.first')}</td>
                        <td>{`${bad ? '✗' : status === 'ok' ? '✓' : '…'} ${t(STATUS_KEY[status])}`}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {nextCursor && (
                <button type="button" class="secondary" onClick={() => setPages(pages + 1)}>
                  {t('reports.older')}
                </button>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}
