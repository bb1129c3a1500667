// iCalendar documents built with ical.js: invitations (METHOD:REQUEST), cancellations (CANCEL, of
// a series or one occurrence by RECURRENCE-ID) and the personal feed (PUBLISH). Times carry the
// series' TZID with a VTIMEZONE generated from Intl data, so clients keep 09:00 local across DST.

import ICAL from "ical.js";
import { formatMeetingId } from "../db/meetings.ts";
import type { Meeting } from "../db/meetings.ts";
import { seriesBounds } from "./recurrence.ts";
import type { Invitee, Schedule } from "./schedule.ts";
import { buildVtimezone, parseLocal, toLocal, toUtcMs } from "./tz.ts";
import type { LocalTime } from "./tz.ts";

export const PRODID = "-//Talkspace//Talkspace Scheduling//EN";

export interface IcsContext {
  /** Origin of the site, for join links. */
  publicUrl: string;
  /** Host name of the SIP endpoint; when empty, no SIP line is written. */
  sipHost?: string;
  /** The meeting's organizer (its host). */
  organizer: { name: string; email: string };
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

/** The "how to join" text shared by the email body and the event DESCRIPTION. */
export function joinDetails(meeting: Meeting, schedule: Schedule, publicUrl: string, sipHost?: string): string {
  const lines = [
    `Join: ${meetingJoinUrl(publicUrl, meeting)}`,
    `Meeting ID: ${formatMeetingId(meeting.meetingId)}`,
    `Passcode: ${meeting.passcode}`,
  ];
  if (sipHost) lines.push(`Dial in from a SIP room system: ${sipUri(sipHost, meeting)}`);
  if (schedule.description.trim()) lines.push("", schedule.description.trim());
  return lines.join("\n");
}

function isUtcZone(zone: string): boolean {
  return zone === "UTC" || zone === "Etc/UTC" || zone === "Etc/GMT" || zone === "GMT";
}

function floating(t: LocalTime): ICAL.Time {
  return ICAL.Time.fromData({ ...t, isDate: false });
}

function utcTime(ms: number): ICAL.Time {
  return ICAL.Time.fromJSDate(new Date(Math.floor(ms / 1000) * 1000), true);
}

/** A DTSTART/DTEND/RECURRENCE-ID/EXDATE property for wall-clock `local` in `zone`. */
function zonedProperty(name: string, zone: string, locals: LocalTime[]): ICAL.Property {
  const prop = new ICAL.Property(name);
  if (isUtcZone(zone)) {
    const values = locals.map((l) => utcTime(toUtcMs(zone, l)));
    if (values.length === 1) prop.setValue(values[0]);
    else prop.setValues(values);
    return prop;
  }
  const values = locals.map(floating);
  if (values.length === 1) prop.setValue(values[0]);
  else prop.setValues(values);
  prop.setParameter("tzid", zone);
  return prop;
}

function addText(ev: ICAL.Component, name: string, value: string) {
  ev.addPropertyWithValue(name, value);
}

function organizerProp(organizer: { name: string; email: string }): ICAL.Property {
  const p = new ICAL.Property("organizer");
  p.setValue(`mailto:${organizer.email}`);
  if (organizer.name) p.setParameter("cn", organizer.name);
  return p;
}

function attendeeProp(i: Invitee): ICAL.Property {
  const p = new ICAL.Property("attendee");
  p.setValue(`mailto:${i.email}`);
  p.setParameter("role", "REQ-PARTICIPANT");
  p.setParameter("partstat", i.response.toUpperCase());
  p.setParameter("rsvp", "TRUE");
  return p;
}

function endLocal(zone: string, start: LocalTime, minutes: number): LocalTime {
  return toLocal(zone, toUtcMs(zone, start) + minutes * 60_000);
}

interface EventOptions {
  withAttendees: boolean;
  dtstamp: ICAL.Time;
  status: "CONFIRMED" | "CANCELLED";
}

/** The base VEVENT of a series (RRULE and EXDATEs) and one VEVENT per changed occurrence. */
function seriesEvents(
  item: CalendarItem,
  ctx: { publicUrl: string; sipHost?: string },
  o: EventOptions,
): ICAL.Component[] {
  const { meeting, schedule } = item;
  const zone = schedule.timeZone;
  const start = parseLocal(schedule.startsAt)!;
  const common = (ev: ICAL.Component) => {
    addText(ev, "uid", schedule.uid);
    ev.addPropertyWithValue("dtstamp", o.dtstamp);
    ev.addPropertyWithValue("sequence", schedule.sequence);
    addText(ev, "summary", meeting.title);
    addText(ev, "description", joinDetails(meeting, schedule, ctx.publicUrl, ctx.sipHost));
    addText(ev, "location", meetingJoinUrl(ctx.publicUrl, meeting));
    ev.addPropertyWithValue("url", meetingJoinUrl(ctx.publicUrl, meeting));
    addText(ev, "status", o.status);
    ev.addProperty(organizerProp(item.organizer));
    if (o.withAttendees) { for (const i of schedule.invitees) ev.addProperty(attendeeProp(i)); }
  };
  const master = new ICAL.Component("vevent");
  common(master);
  master.addProperty(zonedProperty("dtstart", zone, [start]));
  master.addProperty(zonedProperty("dtend", zone, [endLocal(zone, start, schedule.durationMinutes)]));
  if (schedule.rrule) {
    master.addPropertyWithValue("rrule", ICAL.Recur.fromString(schedule.rrule));
    const exdates = schedule.exceptions.cancelled.map((r) => parseLocal(r)).filter((t): t is LocalTime => !!t);
    if (exdates.length) master.addProperty(zonedProperty("exdate", zone, exdates));
  }
  const out = [master];
  if (schedule.rrule) {
    for (const [rid, ov] of Object.entries(schedule.exceptions.overrides)) {
      if (schedule.exceptions.cancelled.includes(rid)) continue;
      const ev = new ICAL.Component("vevent");
      common(ev);
      const s = parseLocal(ov.startsAt)!;
      ev.addProperty(zonedProperty("recurrence-id", zone, [parseLocal(rid)!]));
      ev.addProperty(zonedProperty("dtstart", zone, [s]));
      ev.addProperty(zonedProperty("dtend", zone, [endLocal(zone, s, ov.durationMinutes)]));
      out.push(ev);
    }
  }
  return out;
}

function calendar(method: "REQUEST" | "CANCEL" | "PUBLISH", extra: Record<string, string> = {}): ICAL.Component {
  const cal = new ICAL.Component("vcalendar");
  cal.addPropertyWithValue("prodid", PRODID);
  cal.addPropertyWithValue("version", "2.0");
  cal.addPropertyWithValue("calscale", "GREGORIAN");
  cal.addPropertyWithValue("method", method);
  for (const [k, v] of Object.entries(extra)) cal.addPropertyWithValue(k, v);
  return cal;
}

/** Year range a VTIMEZONE must cover for these schedules (first meeting to last, overrides included). */
function yearRange(schedules: Schedule[]): Map<string, [number, number]> {
  const ranges = new Map<string, [number, number]>();
  for (const s of schedules) {
    if (isUtcZone(s.timeZone)) continue;
    const { firstMs, lastMs } = seriesBounds(s);
    let lo = new Date(firstMs).getUTCFullYear();
    let hi = new Date(lastMs).getUTCFullYear();
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

function addTimezones(cal: ICAL.Component, schedules: Schedule[]) {
  for (const [zone, [lo, hi]] of yearRange(schedules)) cal.addSubcomponent(buildVtimezone(zone, lo, hi + 1));
}

/**
 * An invitation or update (METHOD:REQUEST): the whole series with ORGANIZER, every ATTENDEE with
 * their answer, the current SEQUENCE, EXDATEs for cancelled occurrences and a VEVENT per changed one.
 */
export function buildRequest(item: CalendarItem, ctx: IcsContext, now = Date.now()): string {
  const cal = calendar("REQUEST");
  addTimezones(cal, [item.schedule]);
  const o = { withAttendees: true, dtstamp: utcTime(now), status: "CONFIRMED" as const };
  for (const ev of seriesEvents(item, ctx, o)) cal.addSubcomponent(ev);
  return cal.toString() + "\r\n";
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
  const cal = calendar("CANCEL");
  addTimezones(cal, [item.schedule]);
  const { meeting, schedule } = item;
  const zone = schedule.timeZone;
  const ev = new ICAL.Component("vevent");
  ev.addPropertyWithValue("uid", schedule.uid);
  ev.addPropertyWithValue("dtstamp", utcTime(now));
  ev.addPropertyWithValue("sequence", schedule.sequence);
  ev.addPropertyWithValue("summary", meeting.title);
  ev.addPropertyWithValue("status", "CANCELLED");
  ev.addProperty(organizerProp(item.organizer));
  for (const i of opts.to ?? schedule.invitees) ev.addProperty(attendeeProp(i));
  if (opts.recurrenceId) {
    const rid = parseLocal(opts.recurrenceId)!;
    ev.addProperty(zonedProperty("recurrence-id", zone, [rid]));
    ev.addProperty(zonedProperty("dtstart", zone, [rid]));
    ev.addProperty(zonedProperty("dtend", zone, [endLocal(zone, rid, schedule.durationMinutes)]));
  } else {
    const start = parseLocal(schedule.startsAt)!;
    ev.addProperty(zonedProperty("dtstart", zone, [start]));
    ev.addProperty(zonedProperty("dtend", zone, [endLocal(zone, start, schedule.durationMinutes)]));
    if (schedule.rrule) ev.addPropertyWithValue("rrule", ICAL.Recur.fromString(schedule.rrule));
  }
  cal.addSubcomponent(ev);
  return cal.toString() + "\r\n";
}

/**
 * A personal feed (METHOD:PUBLISH): every live scheduled meeting in `items` as its series (RRULE,
 * EXDATE, RECURRENCE-ID overrides), one VTIMEZONE per zone used. Cancelled series are left out.
 */
export function buildFeed(
  items: CalendarItem[],
  ctx: { publicUrl: string; sipHost?: string; name: string },
  now = Date.now(),
): string {
  const cal = calendar("PUBLISH", { "x-wr-calname": ctx.name });
  const live = items.filter((i) => !i.schedule.cancelledAt);
  addTimezones(cal, live.map((i) => i.schedule));
  const o = { withAttendees: false, dtstamp: utcTime(now), status: "CONFIRMED" as const };
  for (const item of live) for (const ev of seriesEvents(item, ctx, o)) cal.addSubcomponent(ev);
  return cal.toString() + "\r\n";
}
