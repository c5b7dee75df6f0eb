/** Chinese by default, English on request; the choice is kept in localStorage. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Locale } from '../money.ts';
import type { MessageKey } from './en.ts';
import { translator, type Translate } from './translate.ts';

export type { MessageKey };
// The labels without preact or the DOM, so that Node tests read them without the browser's types.
export { labelled, translator, type Translate } from './translate.ts';

const STORAGE_KEY = 'relief-fund.locale';

export function initialLocale(): Locale {
  return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN';
}

export function rememberLocale(locale: Locale): void {
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}

export interface I18n {
  locale: Locale;
  t: Translate;
  setLocale(locale: Locale): void;
}

export const I18nContext = createContext<I18n>({ locale: 'zh-CN', t: translator('zh-CN'), setLocale: () => undefined });

export const useI18n = (): I18n => useContext(I18nContext);
