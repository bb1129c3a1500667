// The locale Intl formats a language's dates, times and lists in: English keeps the British
// order the product has always shown ("Tue 9 Dec", "30 June 2027"); the others are their own.

import type { Locale } from "./locales.ts";

export function intlLocale(locale: Locale): string {
  return locale === "en" ? "en-GB" : locale;
}
