// The languages Talkspace speaks, how a request's language is chosen (an account's choice, then a
// visitor's `ts_lang` cookie, then Accept-Language, then English), and which ones are right to left.

export const LOCALES = ["en", "de", "es", "ar"] as const;
export type Locale = typeof LOCALES[number];
export const DEFAULT_LOCALE: Locale = "en";

/** Each language named in itself, for the language picker. */
export const LOCALE_NAMES: Record<Locale, string> = { en: "English", de: "Deutsch", es: "Español", ar: "العربية" };

const RTL: ReadonlySet<Locale> = new Set(["ar"]);

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

export function dirOf(locale: Locale): "ltr" | "rtl" {
  return RTL.has(locale) ? "rtl" : "ltr";
}

/**
 * The best supported language for an Accept-Language header (RFC 9110 §12.5.4): ranges by
 * q-value (ties keep their order), a range matches a language by its primary subtag ("de-AT" →
 * de), "*" or nothing matching → English. q=0 excludes.
 */
export function negotiateLocale(header: string | null | undefined): Locale {
  if (!header) return DEFAULT_LOCALE;
  const ranges = header.split(",").slice(0, 32).map((part, i) => {
    const [tag, ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const quality = q ? Number(q.slice(2)) : 1;
    return { tag: tag.trim().toLowerCase(), q: Number.isFinite(quality) ? quality : 0, i };
  }).filter((r) => r.tag && r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    if (r.tag === "*") return DEFAULT_LOCALE;
    const primary = r.tag.split("-")[0];
    if (isLocale(primary)) return primary;
  }
  return DEFAULT_LOCALE;
}
