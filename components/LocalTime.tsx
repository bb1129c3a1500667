// A moment as the reader reads it: the page's language and the person's time zone (Intl), the
// exact instant machine-readable in `datetime`.

import { usePage } from "../lib/web/page_context.ts";

const formats = new Map<string, Intl.DateTimeFormat>();

/** One formatter per language, zone and style, made once; a zone the runtime does not know is UTC, named. */
function formatFor(locale: string, timeZone: string, dateOnly: boolean): Intl.DateTimeFormat {
  const key = `${locale} ${timeZone} ${dateOnly}`;
  let f = formats.get(key);
  if (!f) {
    const style: Intl.DateTimeFormatOptions = dateOnly
      ? { dateStyle: "medium" }
      : { dateStyle: "medium", timeStyle: "short" };
    try {
      f = new Intl.DateTimeFormat(locale, { ...style, timeZone });
    } catch {
      f = new Intl.DateTimeFormat(locale, {
        ...style,
        timeZone: "UTC",
        ...(dateOnly ? {} : { timeZoneName: "short" }),
      });
    }
    formats.set(key, f);
  }
  return f;
}

/** `iso` in the page's language and `timeZone` (default: the signed-in person's, else UTC). */
export function LocalTime({ iso, timeZone, dateOnly = false }: { iso: string; timeZone?: string; dateOnly?: boolean }) {
  const { locale, user } = usePage();
  const d = new Date(iso);
  const text = Number.isNaN(d.getTime())
    ? iso
    : formatFor(locale, timeZone ?? user?.timeZone ?? "UTC", dateOnly).format(d);
  return <time datetime={iso}>{text}</time>;
}
