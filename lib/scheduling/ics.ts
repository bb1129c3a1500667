// iCalendar documents: invitations (METHOD:REQUEST), cancellations (CANCEL, of a series or one
// occurrence by RECURRENCE-ID) and the personal feed (PUBLISH). Times carry the series' TZID with a
// VTIMEZONE generated from Intl data, so clients keep 09:00 local across DST.
//
// Written as text by the small RFC 5545 writer below rather than through ical.js components: a
// component tree per event cost about 70 µs (a 1,000-meeting feed took 74 ms, 37× JSON.stringify).
// ical.js stays our reader: the tests parse every kind of document back with it.

import ICAL from "ical.js";
import { cleanLine } from "../common/text.ts";
import { formatMeetingId } from "../meetings/store.ts";
import type { Meeting } from "../meetings/store.ts";
import { seriesYearSpan } from "./recurrence.ts";
import type { Invitee, Schedule } from "./schedule.ts";
import {
  offsetMinutes,
  parseLocal,
  toLocal,
  toLocalWithOffset,
  toUtcMs,
  transitionsInYear,
  zoneAbbreviation,
} from "./tz.ts";
import type { LocalTime, Transition } from "./tz.ts";
import { translator } from "../i18n/translate.ts";
import type { Locale } from "../i18n/locales.ts";

export const PRODID = "-//Talkspace//Talkspace Scheduling//EN";

export interface IcsContext {
  /** Origin of the site, for join links. */
  publicUrl: string;
  /** Host name of the SIP endpoint; when empty, no SIP line is written. */
  sipHost?: string;
  /** The meeting's organizer (its host). */
  organizer: { name: string; email: string };
  /** The language of the text Talkspace writes (the join instructions); English by default. */
  locale?: Locale;
}

/** A scheduled meeting with everything an event needs. */
export interface CalendarItem {
  meeting: Meeting;
  schedule: Schedule;
  organizer: { name: string; email: string };
}

/** The join link people get (same shape as routes/meetings.tsx's joinUrl). */
export function meetingJoinUrl(publicUrl: string, meeting: Meeting): string {
  return `${publicUrl}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;
}

/** The SIP URI that dials straight into the meeting with its passcode. */
export function sipUri(sipHost: string, meeting: Meeting): string {
  return `sip:${meeting.meetingId}*${meeting.passcode}@${sipHost}`;
}

/**
 * The "how to join" text shared by the email body and the event DESCRIPTION, in `locale` (the
 * meeting's own description follows as it was written).
 */
export function joinDetails(
  meeting: Meeting,
  schedule: Schedule,
  publicUrl: string,
  sipHost?: string,
  locale: Locale = "en",
): string {
  const t = translator(locale);
  const lines = [
    t("mail.join.link", { url: meetingJoinUrl(publicUrl, meeting) }),
    t("mail.join.meetingId", { id: formatMeetingId(meeting.meetingId) }),
    t("mail.join.passcode", { passcode: meeting.passcode }),
  ];
  if (sipHost) lines.push(t("mail.join.sip", { uri: sipUri(sipHost, meeting) }));
  if (schedule.description.trim()) lines.push("", schedule.description.trim());
  return lines.join("\n");
}

// ---- The writer: escaping, folding, values (RFC 5545 §3.1, §3.3; RFC 6868 for parameters) ----

// Control characters other than HTAB and LF are not allowed in TEXT (§3.3.11): they are dropped,
// which turns a CRLF into a plain line break and removes a bare CR. The other line breaks some readers
// end a line at (NEL, U+2028, U+2029) are written as \n like LF; the other C1 controls go, and so do
// lone surrogates, which UTF-8 cannot carry.
// deno-lint-ignore no-control-regex -- control characters are what RFC 5545 forbids in values
const TEXT_SPECIAL = /[\\;,\n\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]/g;
const TEXT_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  ";": "\\;",
  ",": "\\,",
  "\n": "\\n",
  "\u0085": "\\n",
  "\u2028": "\\n",
  "\u2029": "\\n",
};
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A TEXT value (§3.3.11): backslash, semicolon, comma and line breaks escaped (`\\`, `\;`, `\,`, `\n`),
 * CR and every other control character and lone surrogate dropped, so no value can end its line.
 */
export function escapeText(value: string): string {
  const text = value.isWellFormed() ? value : value.replace(LONE_SURROGATE, "");
  return text.replace(TEXT_SPECIAL, (ch) => TEXT_ESCAPES[ch] ?? "");
}

const PARAM_TOKEN = /^[A-Za-z0-9_./+-]+$/;

/**
 * A parameter value (§3.2, e.g. CN=): one line (cleanLine: breaks become spaces; controls, bidi
 * overrides and lone surrogates go), DQUOTE removed (a quoted-string cannot hold one, and RFC 6868's
 * ^' is not read by every client), `^` written as RFC 6868's `^^` so a literal "^n" is not read as a
 * line break; then in DQUOTEs unless it is a plain token like a TZID.
 */
export function paramValue(value: string): string {
  if (PARAM_TOKEN.test(value)) return value; // every TZID: several per event in a feed
  const text = cleanLine(value).replaceAll('"', "").replaceAll("^", "^^");
  return PARAM_TOKEN.test(text) ? text : `"${text}"`;
}

/** A URI or CAL-ADDRESS value: taken as it is, minus any control character (which would end the line). */
function uriValue(value: string): string {
  // deno-lint-ignore no-control-regex -- control characters are what RFC 5545 forbids in values
  return value.replace(/[\x00-\x1f\x7f-\x9f]/g, "");
}

// deno-lint-ignore no-control-regex -- finding non-ASCII text needs the ASCII range
const NON_ASCII = /[^\x00-\x7f]/;
const FOLD_OCTETS = 75;

/**
 * Folds a content line so no physical line exceeds 75 octets of UTF-8 (the leading space of a
 * continuation line included), breaking only between characters, never inside one's bytes.
 */
export function foldLine(line: string): string {
  // Under 26 UTF-16 units a line is at most 75 octets (3 per unit at worst).
  if (line.length <= 25) return line;
  if (!NON_ASCII.test(line)) {
    if (line.length <= FOLD_OCTETS) return line;
    let out = line.slice(0, FOLD_OCTETS);
    for (let at = FOLD_OCTETS; at < line.length; at += FOLD_OCTETS - 1) {
      out += "\r\n " + line.slice(at, at + FOLD_OCTETS - 1);
    }
    return out;
  }
  let out = "";
  let from = 0;
  let octets = 0;
  for (let i = 0; i < line.length;) {
    const c = line.charCodeAt(i);
    let size = 3;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < line.length) {
      const d = line.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        size = 4;
        units = 2;
      }
    }
    if (octets + size > FOLD_OCTETS) {
      out += (from === 0 ? "" : "\r\n ") + line.slice(from, i);
      from = i;
      octets = 1; // the continuation line's leading space
    }
    octets += size;
    i += units;
  }
  return out + (from === 0 ? "" : "\r\n ") + line.slice(from);
}

function p2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A floating DATE-TIME (`YYYYMMDDTHHMMSS`), read in the TZID it is written with. */
function localValue(t: LocalTime): string {
  return `${String(t.year).padStart(4, "0")}${p2(t.month)}${p2(t.day)}T${p2(t.hour)}${p2(t.minute)}${p2(t.second)}`;
}

/** A UTC DATE-TIME (`YYYYMMDDTHHMMSSZ`), whole seconds. */
function utcValue(ms: number): string {
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString(); // 2027-03-01T14:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** A UTC-OFFSET value (`-0500`, `+0530`). */
function offsetValue(minutes: number): string {
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? "-" : "+"}${p2(Math.floor(abs / 60))}${p2(abs % 60)}`;
}

function isUtcZone(zone: string): boolean {
  return zone === "UTC" || zone === "Etc/UTC" || zone === "Etc/GMT" || zone === "GMT";
}

/** A DTSTART/DTEND/RECURRENCE-ID/EXDATE line for wall-clock `locals` in `zone` (UTC zones in UTC). */
function zonedLine(name: string, zone: string, locals: LocalTime[]): string {
  if (isUtcZone(zone)) return foldLine(`${name}:${locals.map((l) => utcValue(toUtcMs(zone, l))).join(",")}`);
  return foldLine(`${name};TZID=${paramValue(zone)}:${locals.map(localValue).join(",")}`);
}

const canonicalRules = new Map<string, string>();

/** ical.js's canonical text of a stored rule (parsed once per distinct rule, which are few). */
function rruleValue(rule: string): string {
  let text = canonicalRules.get(rule);
  if (text === undefined) {
    text = uriValue(ICAL.Recur.fromString(rule).toString());
    if (canonicalRules.size >= 1000) canonicalRules.clear();
    canonicalRules.set(rule, text);
  }
  return text;
}

function organizerLine(organizer: { name: string; email: string }): string {
  const name = paramValue(organizer.name);
  const cn = name && name !== '""' ? `;CN=${name}` : "";
  return foldLine(`ORGANIZER${cn}:mailto:${uriValue(organizer.email)}`);
}

function attendeeLine(i: Invitee): string {
  const partstat = i.response.toUpperCase().replace(/[^A-Z-]/g, "");
  return foldLine(`ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=${partstat};RSVP=TRUE:mailto:${uriValue(i.email)}`);
}

function endLocal(zone: string, start: LocalTime, minutes: number): LocalTime {
  return toLocal(zone, toUtcMs(zone, start) + minutes * 60_000);
}

interface EventOptions {
  withAttendees: boolean;
  /** DTSTAMP, already a UTC value. */
  dtstamp: string;
  status: "CONFIRMED" | "CANCELLED";
}

/** Appends the base VEVENT of a series (RRULE and EXDATEs) and one VEVENT per changed occurrence. */
function writeSeries(
  out: string[],
  item: CalendarItem,
  ctx: { publicUrl: string; sipHost?: string; locale?: Locale },
  o: EventOptions,
): void {
  const { meeting, schedule } = item;
  const zone = schedule.timeZone;
  const start = parseLocal(schedule.startsAt)!;
  const joinUrl = meetingJoinUrl(ctx.publicUrl, meeting);
  // What every VEVENT of the series says, built once for all of them.
  const common = [
    foldLine(`UID:${escapeText(schedule.uid)}`),
    `DTSTAMP:${o.dtstamp}`,
    `SEQUENCE:${Math.trunc(schedule.sequence)}`,
    foldLine(`SUMMARY:${escapeText(meeting.title)}`),
    foldLine(`DESCRIPTION:${escapeText(joinDetails(meeting, schedule, ctx.publicUrl, ctx.sipHost, ctx.locale))}`),
    foldLine(`LOCATION:${escapeText(joinUrl)}`),
    foldLine(`URL:${uriValue(joinUrl)}`),
    `STATUS:${o.status}`,
    organizerLine(item.organizer),
  ];
  if (o.withAttendees) { for (const i of schedule.invitees) common.push(attendeeLine(i)); }

  out.push("BEGIN:VEVENT", ...common);
  out.push(zonedLine("DTSTART", zone, [start]));
  out.push(zonedLine("DTEND", zone, [endLocal(zone, start, schedule.durationMinutes)]));
  if (schedule.rrule) {
    out.push(`RRULE:${rruleValue(schedule.rrule)}`);
    const exdates = schedule.exceptions.cancelled.map((r) => parseLocal(r)).filter((t): t is LocalTime => !!t);
    if (exdates.length) out.push(zonedLine("EXDATE", zone, exdates));
  }
  out.push("END:VEVENT");
  if (!schedule.rrule) return;
  for (const [rid, ov] of Object.entries(schedule.exceptions.overrides)) {
    if (schedule.exceptions.cancelled.includes(rid)) continue;
    const s = parseLocal(ov.startsAt)!;
    out.push("BEGIN:VEVENT", ...common);
    out.push(zonedLine("RECURRENCE-ID", zone, [parseLocal(rid)!]));
    out.push(zonedLine("DTSTART", zone, [s]));
    out.push(zonedLine("DTEND", zone, [endLocal(zone, s, ov.durationMinutes)]));
    out.push("END:VEVENT");
  }
}

function beginCalendar(method: "REQUEST" | "CANCEL" | "PUBLISH", name?: string): string[] {
  const out = ["BEGIN:VCALENDAR", `PRODID:${PRODID}`, "VERSION:2.0", "CALSCALE:GREGORIAN", `METHOD:${method}`];
  // Calendar apps read X-WR-CALNAME as TEXT, so it is escaped like one.
  if (name !== undefined) out.push(foldLine(`X-WR-CALNAME:${escapeText(name)}`));
  return out;
}

function endCalendar(out: string[]): string {
  out.push("END:VCALENDAR");
  return out.join("\r\n") + "\r\n";
}

// ---- VTIMEZONE ----

const vtimezoneCache = new Map<string, string[]>();
const MAX_CACHED_VTIMEZONES = 256;

/**
 * The VTIMEZONE lines for `zone`, exact for the years `fromYear`..`toYear` (inclusive): the offset
 * in force at the start of `fromYear`, then one observance per change at its local time. Cached per
 * zone and range (Intl is slow, and a feed asks for the same few zones on every poll).
 */
export function vtimezoneLines(zone: string, fromYear: number, toYear: number): string[] {
  const cacheKey = `${zone} ${fromYear} ${toYear}`;
  const cached = vtimezoneCache.get(cacheKey);
  if (cached) return cached;
  const startMs = Date.UTC(fromYear, 0, 1);
  const initial = offsetMinutes(zone, startMs);
  const all: Transition[] = [];
  for (let y = fromYear; y <= toYear; y++) all.push(...transitionsInYear(zone, y));

  const out = ["BEGIN:VTIMEZONE", foldLine(`TZID:${escapeText(zone)}`)];
  const observance = (kind: "STANDARD" | "DAYLIGHT", name: string, from: number, to: number, start: LocalTime) => {
    out.push(
      `BEGIN:${kind}`,
      foldLine(`TZNAME:${escapeText(name)}`),
      `TZOFFSETFROM:${offsetValue(from)}`,
      `TZOFFSETTO:${offsetValue(to)}`,
      `DTSTART:${localValue(start)}`,
      `END:${kind}`,
    );
  };
  // Early enough that ical.js (which looks back from each date) always finds this observance.
  observance("STANDARD", zoneAbbreviation(zone, startMs), initial, initial, {
    year: 1970,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
  });
  // One observance per change, without RDATE: ical.js (and Outlook) ignore an observance's DTSTART
  // once it has RDATEs, so separate observances are the form every client reads the same way.
  // Observance times are wall-clock times in the offset in force before the change.
  for (const t of all) {
    const kind = t.toOffset > t.fromOffset ? "DAYLIGHT" : "STANDARD";
    observance(kind, zoneAbbreviation(zone, t.atMs), t.fromOffset, t.toOffset, toLocalWithOffset(t.atMs, t.fromOffset));
  }
  out.push("END:VTIMEZONE");
  if (vtimezoneCache.size >= MAX_CACHED_VTIMEZONES) vtimezoneCache.delete(vtimezoneCache.keys().next().value!);
  vtimezoneCache.set(cacheKey, out);
  return out;
}

/**
 * Year range a VTIMEZONE must cover for these schedules (first meeting to last, overrides
 * included; a series that never ends up to a few years after `now`).
 */
function yearRange(schedules: Schedule[], now: number): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>();
  for (const s of schedules) {
    if (isUtcZone(s.timeZone)) continue;
    let [lo, hi] = seriesYearSpan(s, now);
    for (const ov of Object.values(s.exceptions.overrides)) {
      const y = Number(ov.startsAt.slice(0, 4));
      lo = Math.min(lo, y);
      hi = Math.max(hi, y);
    }
    const r = ranges.get(s.timeZone);
    ranges.set(s.timeZone, r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi]);
  }
  return ranges;
}

function writeTimezones(out: string[], schedules: Schedule[], now: number) {
  // One more year than the last meeting: an event late on 31 December ends in the next one.
  for (const [zone, [lo, hi]] of yearRange(schedules, now)) out.push(...vtimezoneLines(zone, lo, hi + 1));
}

// ---- Documents ----

/**
 * An invitation or update (METHOD:REQUEST): the whole series with ORGANIZER, every ATTENDEE with
 * their answer, the current SEQUENCE, EXDATEs for cancelled occurrences and a VEVENT per changed one.
 */
export function buildRequest(item: CalendarItem, ctx: IcsContext, now = Date.now()): string {
  const out = beginCalendar("REQUEST");
  writeTimezones(out, [item.schedule], now);
  writeSeries(out, item, ctx, { withAttendees: true, dtstamp: utcValue(now), status: "CONFIRMED" });
  return endCalendar(out);
}

/**
 * A cancellation (METHOD:CANCEL, same UID, current SEQUENCE, STATUS:CANCELLED): of the whole series,
 * or — with `recurrenceId` — of one occurrence, named by RECURRENCE-ID. `to` limits the ATTENDEE list
 * (an invitee being removed is told only about themself).
 */
export function buildCancel(
  item: CalendarItem,
  opts: { recurrenceId?: string; to?: Invitee[] } = {},
  now = Date.now(),
): string {
  const out = beginCalendar("CANCEL");
  writeTimezones(out, [item.schedule], now);
  const { meeting, schedule } = item;
  const zone = schedule.timeZone;
  out.push(
    "BEGIN:VEVENT",
    foldLine(`UID:${escapeText(schedule.uid)}`),
    `DTSTAMP:${utcValue(now)}`,
    `SEQUENCE:${Math.trunc(schedule.sequence)}`,
    foldLine(`SUMMARY:${escapeText(meeting.title)}`),
    "STATUS:CANCELLED",
    organizerLine(item.organizer),
  );
  for (const i of opts.to ?? schedule.invitees) out.push(attendeeLine(i));
  if (opts.recurrenceId) {
    const rid = parseLocal(opts.recurrenceId)!;
    out.push(zonedLine("RECURRENCE-ID", zone, [rid]));
    out.push(zonedLine("DTSTART", zone, [rid]));
    out.push(zonedLine("DTEND", zone, [endLocal(zone, rid, schedule.durationMinutes)]));
  } else {
    const start = parseLocal(schedule.startsAt)!;
    out.push(zonedLine("DTSTART", zone, [start]));
    out.push(zonedLine("DTEND", zone, [endLocal(zone, start, schedule.durationMinutes)]));
    if (schedule.rrule) out.push(`RRULE:${rruleValue(schedule.rrule)}`);
  }
  out.push("END:VEVENT");
  return endCalendar(out);
}

/**
 * A personal feed (METHOD:PUBLISH): every live scheduled meeting in `items` as its series (RRULE,
 * EXDATE, RECURRENCE-ID overrides), one VTIMEZONE per zone used. Cancelled series are left out.
 */
export function buildFeed(
  items: CalendarItem[],
  ctx: { publicUrl: string; sipHost?: string; name: string; locale?: Locale },
  now = Date.now(),
): string {
  const out = beginCalendar("PUBLISH", ctx.name);
  const live = items.filter((i) => !i.schedule.cancelledAt);
  writeTimezones(out, live.map((i) => i.schedule), now);
  const o = { withAttendees: false, dtstamp: utcValue(now), status: "CONFIRMED" as const };
  for (const item of live) writeSeries(out, item, ctx, o);
  return endCalendar(out);
}
