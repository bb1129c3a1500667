// A recurrence read out for people: "Every Tuesday at 09:00, New York time", "Monthly on the first
// Monday at 10:00, Berlin time, 6 times". Pure. The rule is first read into a structure (which days,
// how often, how it ends), then a message catalog turns that into words; dates, weekdays and lists
// come from Intl in the catalog's locale; each language's words are its meetings.recurrence.* messages.

import ICAL from "ical.js";
import { parseLocal, toLocal, toUtcMs } from "./tz.ts";
import type { LocalTime } from "./tz.ts";
import { WEEKDAYS } from "./recurrence.ts";
import type { Weekday } from "./recurrence.ts";
import { translator } from "../i18n/translate.ts";
import type { MessageKey } from "../i18n/client.ts";
import type { Locale } from "../i18n/locales.ts";
import { intlLocale } from "../i18n/intl.ts";

/** What a rule says, independent of language. */
export type Pattern =
  | { kind: "once" }
  | { kind: "daily"; interval: number }
  | { kind: "weekdays" }
  | { kind: "weekly"; interval: number; days: Weekday[] }
  | { kind: "monthly-day"; interval: number; day: number }
  | { kind: "monthly-nth"; interval: number; nth: number; day: Weekday }
  | { kind: "yearly"; interval: number; month: number; day: number }
  | { kind: "yearly-nth"; interval: number; month: number; nth: number; day: Weekday }
  | { kind: "custom"; freq: string; interval: number };

export type Ending = { kind: "never" } | { kind: "until"; date: LocalTime } | { kind: "count"; count: number };

export interface RecurrenceParts {
  pattern: Pattern;
  /** The meeting's wall-clock start time (hour, minute). */
  time: { hour: number; minute: number };
  timeZone: string;
  ending: Ending;
}

/** The words of one language. Every string a summary uses comes from here. */
export interface SummaryCatalog {
  locale: string;
  once: string;
  daily(interval: number): string;
  weekdays: string;
  weekly(interval: number, days: string): string;
  monthlyDay(interval: number, day: number): string;
  monthlyNth(interval: number, nth: number, day: string): string;
  yearly(interval: number, date: string): string;
  yearlyNth(interval: number, nth: number, day: string, month: string): string;
  custom(freq: string): string;
  at(pattern: string, time: string): string;
  zone(text: string, place: string): string;
  until(text: string, date: string): string;
  count(text: string, count: number): string;
  /** A place name for a time zone ("New York" for America/New_York). */
  place(zone: string): string;
}

/** The nth-weekday word's key ("first", "last") for BYDAY's ordinal, or null for a plain number. */
const NTH_KEYS: Record<number, MessageKey> = {
  1: "meetings.recurrence.nth1",
  2: "meetings.recurrence.nth2",
  3: "meetings.recurrence.nth3",
  4: "meetings.recurrence.nth4",
  5: "meetings.recurrence.nth5",
  [-1]: "meetings.recurrence.nthLast",
  [-2]: "meetings.recurrence.nthSecondLast",
};

/** A language's summary words, from its catalog (lib/i18n/areas/meetings.ts, keys meetings.recurrence.*). */
export function summaryCatalog(locale: Locale): SummaryCatalog {
  const t = translator(locale);
  const nth = (n: number) => NTH_KEYS[n] ? t(NTH_KEYS[n]) : t("meetings.recurrence.nthNumber", { n });
  return {
    locale: intlLocale(locale),
    once: t("meetings.recurrence.once"),
    daily: (interval) => t("meetings.recurrence.daily", { interval }),
    weekdays: t("meetings.recurrence.weekdays"),
    weekly: (interval, days) => t("meetings.recurrence.weekly", { interval, days }),
    monthlyDay: (interval, day) =>
      day === -1
        ? t("meetings.recurrence.monthlyLastDay", { interval })
        : t("meetings.recurrence.monthlyDay", { interval, ordinal: t("meetings.recurrence.dayOrdinal", { day }) }),
    monthlyNth: (interval, n, day) => t("meetings.recurrence.monthlyNth", { interval, nth: nth(n), day }),
    yearly: (interval, date) => t("meetings.recurrence.yearly", { interval, date }),
    yearlyNth: (interval, n, day, month) => t("meetings.recurrence.yearlyNth", { interval, nth: nth(n), day, month }),
    custom: (freq) => t("meetings.recurrence.custom", { freq: freq.toLowerCase() }),
    at: (text, time) => t("meetings.recurrence.at", { text, time }),
    zone: (text, place) => t("meetings.recurrence.zone", { text, place }),
    until: (text, date) => t("meetings.recurrence.until", { text, date }),
    count: (text, count) => t("meetings.recurrence.count", { text, count }),
    place: (zone) => zone === "UTC" || zone === "Etc/UTC" ? "UTC" : zone.split("/").at(-1)!.replaceAll("_", " "),
  };
}

/** English (British dates: "30 June 2027"); what invitations and the API's texts use. */
export const ENGLISH: SummaryCatalog = summaryCatalog("en");

const DAY_INDEX: Record<Weekday, number> = { MO: 1, TU: 2, WE: 3, TH: 4, FR: 5, SA: 6, SU: 0 };

function weekdayOfDate(t: { year: number; month: number; day: number }): Weekday {
  return WEEKDAYS[(new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay() + 6) % 7];
}

/**
 * Reads a stored rule (as validateRrule leaves it) for a series starting at `startsAt` in
 * `timeZone`: the pattern, the start time and how it ends. Rules the form cannot make come out as
 * "custom" rather than as a wrong sentence.
 */
export function recurrenceParts(series: { startsAt: string; timeZone: string; rrule: string | null }): RecurrenceParts {
  const start = parseLocal(series.startsAt);
  if (!start) throw new Error(`Bad series start ${series.startsAt}`);
  const base = { time: { hour: start.hour, minute: start.minute }, timeZone: series.timeZone };
  if (!series.rrule) return { ...base, pattern: { kind: "once" }, ending: { kind: "never" } };
  const r = ICAL.Recur.fromString(series.rrule);
  const parts = r.parts as Record<string, (string | number)[] | undefined>;
  const interval = r.interval || 1;
  const byday = (parts.BYDAY ?? []).map(String);
  const bymonthday = (parts.BYMONTHDAY ?? []).map(Number);
  const bymonth = (parts.BYMONTH ?? []).map(Number);
  const other = Object.keys(parts).filter((k) => !["BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"].includes(k));
  const plainDays = byday.every((d) => (WEEKDAYS as string[]).includes(d));
  const nthDay = byday.length === 1 ? /^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$/.exec(byday[0]) : null;
  let pattern: Pattern = { kind: "custom", freq: r.freq ?? "", interval };
  if (other.length === 0) {
    if (r.freq === "DAILY" && !byday.length && !bymonthday.length && !bymonth.length) {
      pattern = { kind: "daily", interval };
    } else if (r.freq === "WEEKLY" && !bymonthday.length && !bymonth.length && plainDays) {
      const days = byday.length ? WEEKDAYS.filter((d) => byday.includes(d)) : [weekdayOfDate(start)];
      pattern = interval === 1 && days.join() === "MO,TU,WE,TH,FR"
        ? { kind: "weekdays" }
        : { kind: "weekly", interval, days };
    } else if (r.freq === "MONTHLY" && !bymonth.length) {
      if (!byday.length && bymonthday.length <= 1) {
        pattern = { kind: "monthly-day", interval, day: bymonthday[0] ?? start.day };
      } else if (nthDay && !bymonthday.length) {
        pattern = { kind: "monthly-nth", interval, nth: Number(nthDay[1]), day: nthDay[2] as Weekday };
      }
    } else if (r.freq === "YEARLY" && bymonth.length <= 1) {
      const month = bymonth[0] ?? start.month;
      if (!byday.length && bymonthday.length <= 1) {
        pattern = { kind: "yearly", interval, month, day: bymonthday[0] ?? start.day };
      } else if (nthDay && !bymonthday.length && bymonth.length === 1) {
        pattern = { kind: "yearly-nth", interval, month, nth: Number(nthDay[1]), day: nthDay[2] as Weekday };
      }
    }
  }
  let ending: Ending = { kind: "never" };
  if (r.count) ending = { kind: "count", count: r.count };
  else if (r.until) {
    const u = r.until;
    // A stored UNTIL is the end of the last day in UTC: the date people chose is the local one.
    const date = u.zone === ICAL.Timezone.utcTimezone
      ? toLocal(series.timeZone, Date.UTC(u.year, u.month - 1, u.day, u.hour, u.minute, u.second))
      : { year: u.year, month: u.month, day: u.day, hour: 0, minute: 0, second: 0 };
    ending = { kind: "until", date };
  }
  return { ...base, pattern, ending };
}

/** A calendar date (no zone) as Intl writes it in the catalog's locale. */
function dateText(cat: SummaryCatalog, t: { year: number; month: number; day: number }, withYear = true): string {
  return new Intl.DateTimeFormat(cat.locale, {
    timeZone: "UTC",
    day: "numeric",
    month: "long",
    ...(withYear ? { year: "numeric" } : {}),
  }).format(new Date(Date.UTC(t.year, t.month - 1, t.day)));
}

/** A weekday's name: Intl's, from a date known to fall on it (1 January 2024 was a Monday). */
function dayName(cat: SummaryCatalog, d: Weekday): string {
  const date = new Date(Date.UTC(2024, 0, 1 + ((DAY_INDEX[d] + 6) % 7)));
  return new Intl.DateTimeFormat(cat.locale, { timeZone: "UTC", weekday: "long" }).format(date);
}

function monthName(cat: SummaryCatalog, month: number): string {
  return new Intl.DateTimeFormat(cat.locale, { timeZone: "UTC", month: "long" }).format(
    new Date(Date.UTC(2024, month - 1, 1)),
  );
}

/** The parts as a sentence in the catalog's language. */
export function formatRecurrence(p: RecurrenceParts, cat: SummaryCatalog = ENGLISH): string {
  if (p.pattern.kind === "once") return cat.once;
  const list = new Intl.ListFormat(cat.locale, { style: "long", type: "conjunction" });
  const pat = p.pattern;
  let text: string;
  switch (pat.kind) {
    case "daily":
      text = cat.daily(pat.interval);
      break;
    case "weekdays":
      text = cat.weekdays;
      break;
    case "weekly":
      text = cat.weekly(pat.interval, list.format(pat.days.map((d) => dayName(cat, d))));
      break;
    case "monthly-day":
      text = cat.monthlyDay(pat.interval, pat.day);
      break;
    case "monthly-nth":
      text = cat.monthlyNth(pat.interval, pat.nth, dayName(cat, pat.day));
      break;
    case "yearly":
      text = cat.yearly(pat.interval, dateText(cat, { year: 2024, month: pat.month, day: pat.day }, false));
      break;
    case "yearly-nth":
      text = cat.yearlyNth(pat.interval, pat.nth, dayName(cat, pat.day), monthName(cat, pat.month));
      break;
    case "custom":
      text = cat.custom(pat.freq);
      break;
  }
  const time = new Intl.DateTimeFormat(cat.locale, {
    timeZone: "UTC",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  })
    .format(new Date(Date.UTC(2024, 0, 1, p.time.hour, p.time.minute)));
  text = cat.zone(cat.at(text, time), cat.place(p.timeZone));
  if (p.ending.kind === "until") text = cat.until(text, dateText(cat, p.ending.date));
  if (p.ending.kind === "count") text = cat.count(text, p.ending.count);
  return text;
}

/** "Every Tuesday at 09:00, New York time" for a series; "Does not repeat" without a rule. */
export function summarizeRecurrence(
  series: { startsAt: string; timeZone: string; rrule: string | null },
  cat: SummaryCatalog = ENGLISH,
): string {
  return formatRecurrence(recurrenceParts(series), cat);
}

/** A series' start for people in `locale`: "Dienstag, 2. März 2027 um 09:00 (America/New_York)". */
export function formatStart(local: string, zone: string, locale: Locale): string {
  const t = parseLocal(local);
  if (!t) throw new Error(`Bad start ${local}`);
  const text = new Intl.DateTimeFormat(intlLocale(locale), { timeZone: zone, dateStyle: "full", timeStyle: "short" })
    .format(new Date(toUtcMs(zone, t)));
  return `${text} (${zone})`;
}
