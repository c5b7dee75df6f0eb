/** Chinese by default, English on request; the choice is kept in localStorage. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Locale } from '../money.ts';
import { en, type MessageKey } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type { MessageKey };
export type Translate = (key: MessageKey | `status.${string}` | `blocked.${string}`, vars?: Record<string, string | number>) => string;

const MESSAGES: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'relief-fund.locale';

export function initialLocale(): Locale {
  return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh-CN';
}

export function rememberLocale(locale: Locale): void {
  localStorage.setItem(STORAGE_KEY, locale);
  document.documentElement.lang = locale;
}

export function translator(locale: Locale): Translate {
  const messages = MESSAGES[locale];
  return (key, vars) => {
    const text = (messages as Record<string, string>)[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? '')) : text;
  };
}

/** A code's or status's label, or the API's value as it is when the console has none for it (a newer API). */
export function labelled(t: Translate, key: MessageKey | null, value: string): string {
  return key ? t(key) : value;
}

export interface I18n {
  locale: Locale;
  t: Translate;
  setLocale(locale: Locale): void;
}

export const I18nContext = createContext<I18n>({ locale: 'zh-CN', t: translator('zh-CN'), setLocale: () => undefined });

export const useI18n = (): I18n => useContext(I18nContext);
