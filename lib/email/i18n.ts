// The language a message leaving the site is written in (an account's `locale`, checked, else the
// next choice, else English) and translated HTML: values escaped, the message's own text too.

import { DEFAULT_LOCALE, dirOf, isLocale } from "../i18n/locales.ts";
import type { Locale } from "../i18n/locales.ts";
import type { MessageKey, Translate } from "../i18n/client.ts";

export type { Locale };

/** The first supported language among the accounts' choices (missing or unknown ones skipped), else English. */
export function mailLocale(...choices: ({ locale?: string } | null | undefined)[]): Locale {
  for (const c of choices) if (isLocale(c?.locale)) return c.locale;
  return DEFAULT_LOCALE;
}

/** `lang="…" dir="…"` for the element that holds a message's HTML (Arabic reads right to left). */
export function langAttributes(locale: Locale): string {
  return `lang="${locale}" dir="${dirOf(locale)}"`;
}

/** Numeric character references for the five characters HTML gives meaning to. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// Private-use marks stand in for string values while the message is escaped, so a value can be
// wrapped in markup (a <strong> title) wherever the translation puts it.
const MARK = /\uE000(\d+)\uE001/g;

/**
 * `key` translated as HTML: the message text and every string value escaped (by `escape`), values
 * named in `wrap` then wrapped in the markup it returns for their escaped text.
 */
export function translateHtml(
  t: Translate,
  key: MessageKey,
  values: Record<string, string | number> = {},
  opts: { wrap?: Record<string, (html: string) => string>; escape?: (s: string) => string } = {},
): string {
  const escape = opts.escape ?? escapeHtml;
  const parts: string[] = [];
  const marked: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === "number") {
      marked[name] = value;
      continue;
    }
    const html = escape(value);
    marked[name] = `\uE000${parts.length}\uE001`;
    parts.push(opts.wrap?.[name] ? opts.wrap[name](html) : html);
  }
  return escape(t(key, marked)).replace(MARK, (_, i) => parts[Number(i)]);
}
