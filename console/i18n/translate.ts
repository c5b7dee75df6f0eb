/** The labels by locale, with no preact or DOM: the console's context (./index.ts) and Node tests both read them. */
import type { Locale } from '../money.ts';
import { en, type MessageKey } from './en.ts';
import { zhCN } from './zh-CN.ts';

export type Translate = (key: MessageKey | `status.${string}` | `blocked.${string}`, vars?: Record<string, string | number>) => string;

const MESSAGES: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };

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
