// Recurrence rules: built, validated and expanded with ical.js in the series' own time zone, so a
// weekly 09:00 meeting stays at 09:00 local across daylight-saving changes.

import ICAL from "ical.js";
import { formatLocal, parseLocal, toLocal, toUtcMs } from "./tz.ts";
import type { LocalTime } from "./tz.ts";

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

/** Thrown (and turned into a field message) when a recurrence is not acceptable. */
export class RecurrenceError extends Error {
  constructor(message: string) {
    super(message);
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
  if (!t) throw new RecurrenceError("Enter the end date as YYYY-MM-DD");
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
 * a known frequency, an end (COUNT or UNTIL) no later than five years after the start, at most
 * MAX_OCCURRENCES meetings. A date-only or floating UNTIL is read in `zone` and rewritten in UTC.
 * Throws RecurrenceError with a message a person can act on.
 */
export function validateRrule(input: string, startsAt: LocalTime, zone: string): string {
  const text = input.trim().replace(/^RRULE:/i, "");
  if (!text || text.length > 500) throw new RecurrenceError("Enter a recurrence rule like FREQ=WEEKLY;COUNT=10");
  const parts = text.split(";");
  const seen = new Set<string>();
  for (const part of parts) {
    const m = /^([A-Z]+)=([A-Z0-9,+\-:TZ]+)$/i.exec(part);
    if (!m) throw new RecurrenceError(`"${part.slice(0, 40)}" is not a NAME=VALUE part of a recurrence rule`);
    const name = m[1].toUpperCase();
    if (!ALLOWED_PARTS.has(name)) throw new RecurrenceError(`${name} is not supported in a recurrence rule`);
    if (seen.has(name)) throw new RecurrenceError(`${name} appears twice in the recurrence rule`);
    seen.add(name);
  }
  let recur: ICAL.Recur;
  try {
    recur = ICAL.Recur.fromString(text.toUpperCase());
  } catch (err) {
    throw new RecurrenceError(`The recurrence rule is malformed: ${err instanceof Error ? err.message : err}`);
  }
  if (!recur.freq || !ALLOWED_FREQ.has(recur.freq)) {
    throw new RecurrenceError("Repeat DAILY, WEEKLY, MONTHLY or YEARLY (FREQ=…)");
  }
  if (recur.interval < 1 || recur.interval > 366 || !Number.isInteger(recur.interval)) {
    throw new RecurrenceError("INTERVAL must be a whole number from 1 to 366");
  }
  if (!recur.count && !recur.until) {
    throw new RecurrenceError(
      `Choose when the series ends (an end date or a number of meetings, within ${MAX_SERIES_YEARS} years)`,
    );
  }
  if (recur.count !== null && recur.count !== undefined && (recur.count < 1 || recur.count > MAX_OCCURRENCES)) {
    throw new RecurrenceError(`A series has between 1 and ${MAX_OCCURRENCES} meetings`);
  }
  const startMs = toUtcMs(zone, startsAt);
  const limitMs = toUtcMs(zone, addYears(startsAt, MAX_SERIES_YEARS));
  if (recur.until) {
    let untilMs: number;
    if (recur.until.isDate) {
      const d = recur.until;
      untilMs = toUtcMs(zone, { year: d.year, month: d.month, day: d.day, hour: 23, minute: 59, second: 59 });
    } else untilMs = utcMsOf(recur.until, zone);
    if (untilMs < startMs) throw new RecurrenceError("The series must end after its first meeting");
    if (untilMs > limitMs) {
      throw new RecurrenceError(`The series must end within ${MAX_SERIES_YEARS} years of its start`);
    }
    recur.until = ICAL.Time.fromJSDate(new Date(untilMs), true);
  }
  const canonical = recur.toString();
  // Walk the whole series once: it proves the rule produces meetings and bounds COUNT by five years.
  const all = expandSeries({ startsAt: formatLocal(startsAt), timeZone: zone, rrule: canonical }, startMs, Infinity);
  if (all.length === 0) throw new RecurrenceError("This recurrence rule produces no meetings");
  if (all.length > MAX_OCCURRENCES) throw new RecurrenceError(`A series has at most ${MAX_OCCURRENCES} meetings`);
  if (all.at(-1)!.startMs > limitMs) {
    throw new RecurrenceError(`The series must end within ${MAX_SERIES_YEARS} years of its start`);
  }
  return canonical;
}

export interface SeriesOccurrence {
  /** The original start as a wall-clock time in the series' zone, `YYYY-MM-DDTHH:MM:SS` (the RECURRENCE-ID). */
  recurrenceId: string;
  startMs: number;
}

/**
 * The meetings of a series (exceptions not applied) whose start lies in [fromMs, toMs), in order.
 * The rule is expanded in wall-clock time (floating, as RFC 5545 prescribes for a TZID start) and
 * each result converted to an instant in the series' zone; UNTIL is compared in the same terms.
 */
export function expandSeries(
  series: { startsAt: string; timeZone: string; rrule: string | null },
  fromMs: number,
  toMs: number,
): SeriesOccurrence[] {
  const start = parseLocal(series.startsAt);
  if (!start) throw new RecurrenceError(`Bad series start ${series.startsAt}`);
  const zone = series.timeZone;
  if (!series.rrule) {
    const ms = toUtcMs(zone, start);
    return ms >= fromMs && ms < toMs ? [{ recurrenceId: formatLocal(start), startMs: ms }] : [];
  }
  const recur = ICAL.Recur.fromString(series.rrule);
  if (recur.until && recur.until.zone === ICAL.Timezone.utcTimezone) {
    const u = recur.until;
    recur.until = floating(toLocal(zone, Date.UTC(u.year, u.month - 1, u.day, u.hour, u.minute, u.second)));
  }
  const it = recur.iterator(floating(start));
  const out: SeriesOccurrence[] = [];
  for (let n = 0; n <= MAX_OCCURRENCES; n++) {
    const next = it.next();
    if (!next) break;
    const local = localOf(next);
    const ms = toUtcMs(zone, local);
    if (ms >= toMs) break;
    if (ms >= fromMs) out.push({ recurrenceId: formatLocal(local), startMs: ms });
  }
  return out;
}

/** The first and last meeting of a series (for VTIMEZONE ranges and "ends" labels). */
export function seriesBounds(series: { startsAt: string; timeZone: string; rrule: string | null }): {
  firstMs: number;
  lastMs: number;
} {
  const all = expandSeries(series, -Infinity, Infinity);
  const firstMs = all[0]?.startMs ?? toUtcMs(series.timeZone, parseLocal(series.startsAt)!);
  return { firstMs, lastMs: all.at(-1)?.startMs ?? firstMs };
}

/** A short description of a rule for people ("Weekly on Mon, Wed until 2026-12-31", "Daily, 10 times"). */
export function describeRrule(rrule: string | null, zone: string): string {
  if (!rrule) return "Does not repeat";
  const r = ICAL.Recur.fromString(rrule);
  const names: Record<string, string> = { MO: "Mon", TU: "Tue", WE: "Wed", TH: "Thu", FR: "Fri", SA: "Sat", SU: "Sun" };
  const byday = (r.parts.BYDAY as string[] | undefined) ?? [];
  let what: string;
  if (r.freq === "WEEKLY" && byday.join(",") === "MO,TU,WE,TH,FR") what = "Every weekday";
  else if (r.freq === "WEEKLY") {
    what = `Weekly${byday.length ? " on " + byday.map((d) => names[d] ?? d).join(", ") : ""}`;
  } else what = r.freq ? r.freq[0] + r.freq.slice(1).toLowerCase() : "Repeats";
  if (r.interval > 1) what += ` (every ${r.interval})`;
  if (r.count) return `${what}, ${r.count} times`;
  if (r.until) {
    const u = r.until;
    const local = u.zone === ICAL.Timezone.utcTimezone
      ? toLocal(zone, Date.UTC(u.year, u.month - 1, u.day, u.hour, u.minute, u.second))
      : localOf(u);
    return `${what} until ${formatLocal(local).slice(0, 10)}`;
  }
  return what;
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

/**
 * The UTC years a series' meetings fall in: the first meeting's year and a bound on the last's,
 * for sizing VTIMEZONEs. Without expanding the rule for the common ones (UNTIL in UTC; COUNT with
 * plain DAILY, or WEEKLY with at most BYDAY), where the bound may be a year late, which costs a
 * VTIMEZONE two extra observances; any other rule is expanded (seriesBounds) for the exact years.
 */
export function seriesYearSpan(series: { startsAt: string; timeZone: string; rrule: string | null }): [number, number] {
  const start = parseLocal(series.startsAt);
  if (!start) throw new RecurrenceError(`Bad series start ${series.startsAt}`);
  const firstMs = toUtcMs(series.timeZone, start);
  const first = utcYear(firstMs);
  if (!series.rrule) return [first, first];
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
  return [Math.min(first, utcYear(bounds.firstMs)), utcYear(bounds.lastMs)];
}
