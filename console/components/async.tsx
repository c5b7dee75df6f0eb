/** Loads data through the API when its inputs change; shows loading and problem+json details. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n/index.ts';

export type Loaded<T> = { state: 'loading' } | { state: 'error'; detail: string } | { state: 'ready'; data: T };

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setLoaded({ state: 'ready', data }),
      (error: unknown) => live && setLoaded({ state: 'error', detail: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      live = false;
    };
    // `load` is left out of the dependencies on purpose: callers pass a new closure on every render, `deps` says when it changes.
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return [loaded, reload];
}

export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { t } = useI18n();
  if (loaded.state === 'loading') return <p role="status">{t('common.loading')}</p>;
  if (loaded.state === 'error')
    return (
      <p role="alert" class="error">
        {t('common.error', { detail: loaded.detail })}
      </p>
    );
  return <>{children(loaded.data)}</>;
}
