/** The shell: language switch, sign-in, navigation and the page for the current #/route. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { createConsoleApi, createRawGet } from './api.ts';
import { beginSignIn, signOut, type Session } from './auth.ts';
import type { ConsoleConfig } from './config.ts';
import { SessionContext } from './context.ts';
import { I18nContext, initialLocale, rememberLocale, translator, type MessageKey } from './i18n/index.ts';
import type { Locale } from './money.ts';
import { ApprovalsPage } from './pages/approvals.tsx';
import { CampaignsPage } from './pages/campaigns.tsx';
import { DeliveriesPage } from './pages/deliveries.tsx';
import { FailuresPage } from './pages/failures.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { PayoutsPage } from './pages/payouts.tsx';
import { ProgressPage } from './pages/progress.tsx';
import { ReportsPage } from './pages/reports.tsx';
import { StationsPage } from './pages/stations.tsx';

const PAGES = ['overview', 'progress', 'reports', 'approvals', 'payouts', 'failures', 'campaigns', 'stations'] as const;

function currentRoute(): string {
  return location.hash.replace(/^#\/?/, '') || 'overview';
}

export function App({
  config,
  initialSession,
  signInError,
}: {
  config: ConsoleConfig;
  initialSession: Session | null;
  signInError: string | null;
}) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const [session, setSession] = useState(initialSession);
  const [route, setRoute] = useState(currentRoute);
  const i18n = useMemo(
    () => ({
      locale,
      t: translator(locale),
      setLocale: (next: Locale) => {
        rememberLocale(next);
        setLocaleState(next);
      },
    }),
    [locale],
  );
  const { t } = i18n;

  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
    document.title = t('app.title');
  }, [locale]);

  const consoleSession = useMemo(() => {
    if (!session) return null;
    const onUnauthenticated = () => {
      signOut();
      setSession(null);
    };
    return {
      viewer: { sub: session.sub, roles: session.roles },
      api: createConsoleApi(config.apiUrl, session.accessToken, onUnauthenticated),
      rawGet: createRawGet(config.apiUrl, session.accessToken, onUnauthenticated),
    };
  }, [session, config.apiUrl]);

  const languageButton = (
    <button
      type="button"
      class="link"
      lang={locale === 'en' ? 'zh-CN' : 'en'}
      onClick={() => i18n.setLocale(locale === 'en' ? 'zh-CN' : 'en')}
    >
      {t('lang.switch')}
    </button>
  );

  return (
    <I18nContext.Provider value={i18n}>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        {t('app.skip')}
      </a>
      <header class="top">
        <span class="brand">{t('app.title')}</span>
        {consoleSession && (
          <nav aria-label={t('nav.label')}>
            <ul>
              {PAGES.map((page) => (
                <li key={page}>
                  <a href={`#/${page}`} aria-current={route.split('/')[0] === page ? 'page' : undefined}>
                    {t(`nav.${page}` as MessageKey)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <div class="who">
          {languageButton}
          {session && (
            <>
              <span>{t('auth.signedInAs', { sub: session.sub, roles: session.roles.join(', ') })}</span>
              <button
                type="button"
                class="link"
                onClick={() => {
                  signOut();
                  setSession(null);
                }}
              >
                {t('auth.signOut')}
              </button>
            </>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {consoleSession ? (
          <SessionContext.Provider value={consoleSession}>
            <Page route={route} />
          </SessionContext.Provider>
        ) : (
          <>
            <h1>{t('app.title')}</h1>
            <p>{t('auth.intro')}</p>
            {signInError && (
              <p role="alert" class="error">
                {t('auth.failed', { detail: signInError })}
              </p>
            )}
            <button type="button" onClick={() => void beginSignIn(config)}>
              {t('auth.signIn')}
            </button>
          </>
        )}
      </main>
    </I18nContext.Provider>
  );
}

function Page({ route }: { route: string }) {
  const [page, id] = route.split('/');
  switch (page) {
    case 'progress':
      return <ProgressPage />;
    case 'reports':
      return <ReportsPage />;
    case 'approvals':
      return <ApprovalsPage />;
    case 'payouts':
      return <PayoutsPage />;
    case 'failures':
      return <FailuresPage />;
    case 'campaigns':
      return <CampaignsPage />;
    case 'stations':
      return <StationsPage />;
    case 'deliveries':
      return <DeliveriesPage endpointId={id ?? ''} />;
    default:
      return <OverviewPage />;
  }
}
