// Recurrence rules: built, validated and expanded with ical.js in the series' own time zone, so a
// weekly 09:00 meeting stays at 09:00 local across daylight-saving changes.

import ICAL from "ical.js";
import { formatLocal, parseLocal, toLocal, toUtcMs } from "./tz.ts";
import type { LocalTime } from "./tz.ts";
import { message, type MessageValues } from "../i18n/message.ts";
import type { MessageKey } from "../i18n/client.ts";

/** No series may run (or be left open) beyond this many years after its first meeting. */
export const MAX_SERIES_YEARS = 5;
/** A series has at most this many meetings (five years of weekdays fits). */
export const MAX_OCCURRENCES = 2000;

export type Weekday = "MO" | "TU" | "WE" | "TH" | "FR" | "SA" | "SU";
export const WEEKDAYS: Weekday[] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

export type RepeatKind = "none" | "daily" | "weekdays" | "weekly" | "monthly";

export interface RepeatChoice {
  kind: RepeatKind;
  /** Weekly only. */
  days?: Weekday[];
  /** Local date `YYYY-MM-DD` of the last possible meeting, or… */
  until?: string;
  /** …how many meetings in all. */
  count?: number;
}

/**
 * Thrown (and turned into a field message) when a recurrence is not acceptable. Its message is a
 * message key with its values (lib/i18n/message.ts): pages say it in their language, the API in English.
 */
export class RecurrenceError extends Error {
  constructor(key: MessageKey, values?: MessageValues) {
    super(message(key, values));
    this.name = "RecurrenceError";
  }
}

function floating(t: LocalTime): ICAL.Time {
  return ICAL.Time.fromData({ ...t, isDate: false });
}

function localOf(t: ICAL.Time): LocalTime {
  return { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second };
}

/** Weekday code of a local date. */
export function weekdayOf(t: LocalTime): Weekday {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay();
  return WEEKDAYS[(d + 6) % 7];
}

function addYears(t: LocalTime, years: number): LocalTime {
  return { ...t, year: t.year + years };
}

/** End-of-day (23:59:59) of a local date in `zone`, as a UTC ICAL time for UNTIL. */
function untilFromDate(date: string, zone: string): ICAL.Time {
  const t = parseLocal(`${date}T23:59:59`);
  if (!t) throw new RecurrenceError("meetings.error.untilEnd");
  return ICAL.Time.fromJSDate(new Date(toUtcMs(zone, t)), true);
}

/** Builds the RRULE text (UNTIL in UTC, as RFC 5545 wants with a TZID start) for a form choice. */
export function buildRrule(choice: RepeatChoice, startsAt: LocalTime, zone: string): string | null {
  if (choice.kind === "none") return null;
  const data: Record<string, unknown> = {};
  switch (choice.kind) {
    case "daily":
      data.freq = "DAILY";
      break;
    case "weekdays":
      data.freq = "WEEKLY";
      data.byday = ["MO", "TU", "WE", "TH", "FR"];
      break;
    case "weekly":
      data.freq = "WEEKLY";
      data.byday = choice.days?.length ? choice.days : [weekdayOf(startsAt)];
      break;
    case "monthly":
      data.freq = "MONTHLY";
      data.bymonthday = [startsAt.day];
      break;
  }
  if (choice.count !== undefined) data.count = choice.count;
  else if (choice.until) data.until = untilFromDate(choice.until, zone);
  const rrule = new ICAL.Recur(data as ConstructorParameters<typeof ICAL.Recur>[0]).toString();
  return validateRrule(rrule, startsAt, zone);
}

const ALLOWED_PARTS = new Set([
  "FREQ",
  "INTERVAL",
  "COUNT",
  "UNTIL",
  "BYDAY",
  "BYMONTHDAY",
  "BYMONTH",
  "BYSETPOS",
  "WKST",
]);
const ALLOWED_FREQ = new Set(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]);

function utcMsOf(t: ICAL.Time, zone: string): number {
  if (t.zone === ICAL.Timezone.utcTimezone) return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  return toUtcMs(zone, localOf(t));
}

/**
 * Checks an RRULE for a series starting at `startsAt` in `zone` and returns its canonical text:
 * a known frequency; either no end at all (the series never ends) or an end (COUNT or UNTIL) no
 * later than five years after the start with at most MAX_OCCURRENCES meetings; a first meeting
 * within five years. A date-only or floating UNTIL is read in `zone` and rewritten in UTC. Never
 * expands an endless rule beyond its first meeting. Throws RecurrenceError with a message a person
 * can act on.
 */
export function validateRrule(input: string, startsAt: LocalTime, zone: string): string {
  const text = input.trim().replace(/^RRULE:/i, "");
  if (!text || text.length > 500) throw new RecurrenceError("meetings.error.rruleEmpty");
  const parts = text.split(";");
  const seen = new Set<string>();
  for (const part of parts) {
    const m = /^([A-Z]+)=([A-Z0-9,+\-:TZ]+)$/i.exec(part);
    if (!m) throw new RecurrenceError("meetings.error.rrulePart", { part: part.slice(0, 40) });
    const name = m[1].toUpperCase();
    if (!ALLOWED_PARTS.has(name)) throw new RecurrenceError("meetings.error.rruleUnsupported", { name });
    if (seen.has(name)) throw new RecurrenceError("meetings.error.rruleTwice", { name });
    seen.add(name);
  }
  let recur: ICAL.Recur;
  try {
    recur = ICAL.Recur.fromString(text.toUpperCase());
  } catch (err) {
    throw new RecurrenceError("meetings.error.rruleMalformed", {
      detail: err instanceof Error ? err.message : String(err),
    });
  }
  if (!recur.freq || !ALLOWED_FREQ.has(recur.freq)) {
    throw new RecurrenceError("meetings.error.rruleFreq");
  }
  if (recur.interval < 1 || recur.interval > 366 || !Number.isInteger(recur.interval)) {
    throw new RecurrenceError("meetings.error.rruleInterval");
  }
  if (recur.count !== null && recur.count !== undefined && (recur.count < 1 || recur.count > MAX_OCCURRENCES)) {
    throw new RecurrenceError("meetings.error.seriesCount", { max: MAX_OCCURRENCES });
  }
  if (!canEverMatch(recur)) throw new RecurrenceError("meetings.error.noMeetings");
  const startMs = toUtcMs(zone, startsAt);
  const limitMs = toUtcMs(zone, addYears(startsAt, MAX_SERIES_YEARS));
  if (recur.until) {
    let untilMs: number;
    if (recur.until.isDate) {
      const d = recur.until;
      untilMs = toUtcMs(zone, { year: d.year, month: d.month, day: d.day, hour: 23, minute: 59, second: 59 });
    } else untilMs = utcMsOf(recur.until, zone);
    if (untilMs < startMs) throw new RecurrenceError("meetings.error.endBeforeStart");
    if (untilMs > limitMs) {
      throw new RecurrenceError("meetings.error.seriesFar", { years: MAX_SERIES_YEARS });
    }
    recur.until = ICAL.Time.fromJSDate(new Date(untilMs), true);
  }
  const canonical = recur.toString();
  const series = { startsAt: formatLocal(startsAt), timeZone: zone, rrule: canonical };
  if (!recur.count && !recur.until) {
    // Endless: only the first meeting is looked for (within five years), never the series.
    if (expandSeries(series, startMs, limitMs, { limit: 1 }).length === 0) {
      throw new RecurrenceError("meetings.error.noMeetingsWithin", { years: MAX_SERIES_YEARS });
    }
    return canonical;
  }
  // A finite series is walked once (at most MAX_OCCURRENCES + 1 meetings, UNTIL ≤ five years):
  // it proves the rule produces meetings and bounds COUNT by five years.
  const all = expandSeries(series, startMs, limitMs + 1, { limit: MAX_OCCURRENCES + 1 });
  if (all.length === 0) throw new RecurrenceError("meetings.error.noMeetings");
  if (all.length > MAX_OCCURRENCES) throw new RecurrenceError("meetings.error.seriesMax", { max: MAX_OCCURRENCES });
  if (recur.count && all.length < recur.count) {
    throw new RecurrenceError("meetings.error.seriesFar", { years: MAX_SERIES_YEARS });
  }
  return canonical;
}

/** Days in a month at most (February as 29), for rules that name days a month never has. */
const MAX_MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * False when BYMONTH and BYMONTHDAY name no day that exists (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30):
 * ical.js searches such a rule forever inside one next() call, so it must never reach expansion.
 */
function canEverMatch(recur: ICAL.Recur): boolean {
  const monthDays = (recur.parts.BYMONTHDAY as number[] | undefined) ?? [];
  if (!monthDays.length) return true;
  const months = (recur.parts.BYMONTH as number[] | undefined) ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  return months.some((m) => monthDays.some((d) => d !== 0 && Math.abs(d) <= (MAX_MONTH_DAYS[m - 1] ?? 0)));
}

/** True when a stored rule has neither COUNT nor UNTIL: the series never ends. */
export function isEndless(rrule: string | null): boolean {
  if (!rrule) return false;
  const parts = ruleParts(rrule);
  return !parts.has("COUNT") && !parts.has("UNTIL");
}

export interface SeriesOccurrence {
  /** The original start as a wall-clock time in the series' zone, `YYYY-MM-DDTHH:MM:SS` (the RECURRENCE-ID). */
  recurrenceId: string;
  startMs: number;
}

export interface ExpandOptions {
  /** Stop after this many meetings. */
  limit?: number;
  /** Counts the iterator steps taken (what an expansion costs), for tests and benchmarks. */
  stats?: { steps: number };
}

/** Local calendar day number (days since 1970-01-01) of a wall-clock date. */
function dayNumber(t: { year: number; month: number; day: number }): number {
  return Math.floor(Date.UTC(t.year, t.month - 1, t.day) / 86_400_000);
}

function fromDayNumber(n: number, time: LocalTime): LocalTime {
  const d = new Date(n * 86_400_000);
  return { ...time, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * Where to start ical.js's iterator for a window beginning at local time `from`: a start moved
 * forward by whole periods of the rule (so every BY-part falls on the same days as from the real
 * start), at least one period plus two days before `from`, or the real start when the window is
 * near it or the rule counts (COUNT is counted from the first meeting, so it cannot be skipped).
 * The moved start itself may not be a meeting; it lies before the window, so it is filtered out.
 */
function seekStart(recur: ICAL.Recur, start: LocalTime, from: LocalTime): LocalTime {
  if (recur.count) return start;
  const n = recur.interval || 1;
  const days = dayNumber(from) - dayNumber(start) - 2;
  switch (recur.freq) {
    case "DAILY": {
      const k = Math.floor(days / n) - 1;
      return k >= 1 ? fromDayNumber(dayNumber(start) + k * n, start) : start;
    }
    case "WEEKLY": {
      const k = Math.floor(days / (7 * n)) - 1;
      return k >= 1 ? fromDayNumber(dayNumber(start) + k * 7 * n, start) : start;
    }
    case "MONTHLY": {
      const months = (from.year * 12 + from.month) - (start.year * 12 + start.month);
      const k = Math.floor(months / n) - 1;
      if (k < 1) return start;
      const index = start.year * 12 + (start.month - 1) + k * n;
      // Day 1: always a real date; the rule's BYMONTHDAY (made explicit) picks the days.
      return { ...start, year: Math.floor(index / 12), month: (index % 12) + 1, day: 1 };
    }
    case "YEARLY": {
      const k = Math.floor((from.year - start.year) / n) - 1;
      // 29 February is not a date every year; such a series is walked (one step a year).
      if (k < 1 || (start.month === 2 && start.day === 29)) return start;
      return { ...start, year: start.year + k * n };
    }
  }
  return start;
}

/**
 * The meetings of a series (exceptions not applied) whose start lies in [fromMs, toMs), in order.
 * The rule is expanded in wall-clock time (floating, as RFC 5545 prescribes for a TZID start) and
 * each result converted to an instant in the series' zone; UNTIL is compared in the same terms.
 * Works on the window: the iterator starts a period or so before `fromMs` (seekStart), so the cost
 * is the meetings in the window, however far from the first meeting it lies. A series that never
 * ends needs a finite `toMs` or a `limit`.
 */
export function expandSeries(
  series: { startsAt: string; timeZone: string; rrule: string | null },
  fromMs: number,
  toMs: number,
  opts: ExpandOptions = {},
): SeriesOccurrence[] {
  const start = parseLocal(series.startsAt);
  if (!start) throw new RecurrenceError("meetings.error.badSeriesStart", { start: series.startsAt });
  const zone = series.timeZone;
  const limit = opts.limit ?? Infinity;
  if (!series.rrule) {
    const ms = toUtcMs(zone, start);
    return ms >= fromMs && ms < toMs && limit > 0 ? [{ recurrenceId: formatLocal(start), startMs: ms }] : [];
  }
  const recur = ICAL.Recur.fromString(series.rrule);
  if (!recur.count && !recur.until && toMs === Infinity && limit === Infinity) {
    throw new Error("expandSeries: a series that never ends needs a window end or a limit");
  }
  if (recur.until && recur.until.zone === ICAL.Timezone.utcTimezone) {
    const u = recur.until;
    recur.until = floating(toLocal(zone, Date.UTC(u.year, u.month - 1, u.day, u.hour, u.minute, u.second)));
  }
  // The day of the month (or year) a rule takes from its start, written out, so that a moved
  // iterator start (day 1) cannot change it. The same for every window, sought or not.
  const parts = recur.parts as Record<string, unknown>;
  if (recur.freq === "MONTHLY" && !parts.BYDAY && !parts.BYMONTHDAY) parts.BYMONTHDAY = [start.day];
  const from = Number.isFinite(fromMs) && fromMs > toUtcMs(zone, start) ? toLocal(zone, fromMs) : start;
  const it = recur.iterator(floating(seekStart(recur, start, from)));
  const out: SeriesOccurrence[] = [];
  // A finite series has at most MAX_OCCURRENCES meetings (validateRrule); the bound only guards
  // against a stored rule that slipped past it.
  const maxSteps = recur.count || recur.until ? 4 * MAX_OCCURRENCES : Infinity;
  for (let n = 0; n < maxSteps && out.length < limit; n++) {
    const next = it.next();
    if (opts.stats) opts.stats.steps++;
    if (!next) break;
    const local = localOf(next);
    const ms = toUtcMs(zone, local);
    if (ms >= toMs) break;
    if (ms >= fromMs) out.push({ recurrenceId: formatLocal(local), startMs: ms });
  }
  return out;
}

/** The first and last meeting of a finite series (for VTIMEZONE ranges and "ends" labels); lastMs is null when it never ends. */
export function seriesBounds(series: { startsAt: string; timeZone: string; rrule: string | null }): {
  firstMs: number;
  lastMs: number | null;
} {
  const startMs = toUtcMs(series.timeZone, parseLocal(series.startsAt)!);
  if (isEndless(series.rrule)) {
    const first = expandSeries(series, -Infinity, Infinity, { limit: 1 });
    return { firstMs: first[0]?.startMs ?? startMs, lastMs: null };
  }
  const all = expandSeries(series, -Infinity, Infinity);
  const firstMs = all[0]?.startMs ?? startMs;
  return { firstMs, lastMs: all.at(-1)?.startMs ?? firstMs };
}

/**
 * The next meeting of a series (exceptions not applied) starting at or after `fromMs`, or null
 * when the series has ended. Costs a period or so of the rule, however far ahead `fromMs` is.
 */
export function nextInSeries(
  series: { startsAt: string; timeZone: string; rrule: string | null },
  fromMs: number,
): SeriesOccurrence | null {
  return expandSeries(series, fromMs, Infinity, { limit: 1 })[0] ?? null;
}

const parsedRules = new Map<string, Map<string, string>>();

/** The NAME=VALUE parts of a stored (validated) rule, parsed once per distinct rule. */
function ruleParts(rrule: string): Map<string, string> {
  let parts = parsedRules.get(rrule);
  if (!parts) {
    parts = new Map();
    for (const part of rrule.replace(/^RRULE:/i, "").split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0) parts.set(part.slice(0, eq).toUpperCase(), part.slice(eq + 1).toUpperCase());
    }
    if (parsedRules.size >= 1000) parsedRules.clear();
    parsedRules.set(rrule, parts);
  }
  return parts;
}

const utcYear = (ms: number) => new Date(ms).getUTCFullYear();

/** How many years past the current one a VTIMEZONE covers for a series that never ends. */
export const ENDLESS_ZONE_YEARS = MAX_SERIES_YEARS;

/**
 * The UTC years a series' meetings fall in: the first meeting's year and a bound on the last's,
 * for sizing VTIMEZONEs. Without expanding the rule for the common ones (UNTIL in UTC; COUNT with
 * plain DAILY, or WEEKLY with at most BYDAY), where the bound may be a year late, which costs a
 * VTIMEZONE two extra observances; any other rule is expanded (seriesBounds) for the exact years.
 * A series that never ends is covered from its first year to ENDLESS_ZONE_YEARS after `nowMs`'s
 * year (calendar apps carry the last observance on beyond that).
 */
export function seriesYearSpan(
  series: { startsAt: string; timeZone: string; rrule: string | null },
  nowMs = Date.now(),
): [number, number] {
  const start = parseLocal(series.startsAt);
  if (!start) throw new RecurrenceError("meetings.error.badSeriesStart", { start: series.startsAt });
  const firstMs = toUtcMs(series.timeZone, start);
  const first = utcYear(firstMs);
  if (!series.rrule) return [first, first];
  if (isEndless(series.rrule)) return [first, Math.max(first, utcYear(nowMs)) + ENDLESS_ZONE_YEARS];
  const parts = ruleParts(series.rrule);
  const until = parts.get("UNTIL");
  // No meeting starts after UNTIL, and the first meeting is DTSTART itself.
  if (until && /^\d{8}T\d{6}Z$/.test(until)) return [first, Math.max(first, Number(until.slice(0, 4)))];
  const freq = parts.get("FREQ");
  const count = Number(parts.get("COUNT"));
  const interval = Number(parts.get("INTERVAL") ?? "1");
  const byday = parts.get("BYDAY")?.split(",") ?? [];
  const weekdays = new Set(byday.filter((d) => (WEEKDAYS as string[]).includes(d)));
  const plain =
    [...parts.keys()].every((k) =>
      k === "FREQ" || k === "COUNT" || k === "INTERVAL" || k === "WKST" || (freq === "WEEKLY" && k === "BYDAY")
    ) && weekdays.size === byday.length;
  if (plain && (freq === "DAILY" || freq === "WEEKLY") && Number.isInteger(count) && count >= 1 && interval >= 1) {
    // DAILY: meeting n is (n−1)·INTERVAL local days after the first. WEEKLY: every INTERVAL-th week
    // from the start's holds one meeting per BYDAY day (or one), so the last falls within
    // ⌈COUNT/days⌉ periods and a week (ical.js skips a start that matches no BYDAY, so it is not
    // counted as one). A day more covers an offset change.
    const days = freq === "DAILY"
      ? (count - 1) * interval
      : Math.ceil(count / Math.max(1, weekdays.size)) * interval * 7 + 7;
    return [first, utcYear(firstMs + (days + 1) * 86_400_000)];
  }
  const bounds = seriesBounds(series);
  return [Math.min(first, utcYear(bounds.firstMs)), utcYear(bounds.lastMs ?? bounds.firstMs)];
}
