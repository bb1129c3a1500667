// Occurrences of scheduled meetings for other features (reminders, dashboard): expanded series
// with cancellations removed and changed occurrences applied, the people to notify, change events.

import { getMeeting } from "../meetings/store.ts";
import type { Store } from "../common/store.ts";
import { getUser, getUserByEmail } from "../accounts/users.ts";
import { expandSeries, nextInSeries } from "./recurrence.ts";
import { getSchedule } from "./schedule.ts";
import type { Schedule } from "./schedule.ts";
import { parseLocal, toUtcMs } from "./tz.ts";

export { onScheduleChange } from "./schedule.ts";
export type { ScheduleChangeListener } from "./schedule.ts";

export interface Occurrence {
  start: Date;
  end: Date;
  /** Original start, wall-clock in the series' zone (`YYYY-MM-DDTHH:MM:SS`): the iCalendar RECURRENCE-ID. */
  recurrenceId: string;
}

/** How far an override may move an occurrence (so a window query still finds moved ones). */
const MAX_SHIFT_MS = 366 * 86_400_000;

/**
 * Pure: the occurrences of `schedule` overlapping [fromMs, toMs) (start < toMs and end > fromMs),
 * sorted by start; cancelled ones left out, overridden ones at their new time and length; none
 * at all once the series is cancelled.
 */
export function occurrencesOf(schedule: Schedule, fromMs: number, toMs: number): Occurrence[] {
  if (schedule.cancelledAt) return [];
  const cancelled = new Set(schedule.exceptions.cancelled);
  const overrides = schedule.exceptions.overrides;
  const hasOverrides = Object.keys(overrides).length > 0;
  const lookBack = schedule.durationMinutes * 60_000 + (hasOverrides ? MAX_SHIFT_MS : 0);
  const out: Occurrence[] = [];
  const base = expandSeries(schedule, fromMs - lookBack, hasOverrides ? toMs + MAX_SHIFT_MS : toMs);
  for (const o of base) {
    if (cancelled.has(o.recurrenceId)) continue;
    const ov = overrides[o.recurrenceId];
    const startMs = ov ? toUtcMs(schedule.timeZone, parseLocal(ov.startsAt)!) : o.startMs;
    const endMs = startMs + (ov ? ov.durationMinutes : schedule.durationMinutes) * 60_000;
    if (startMs < toMs && endMs > fromMs) {
      out.push({ start: new Date(startMs), end: new Date(endMs), recurrenceId: o.recurrenceId });
    }
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/**
 * Pure: the first occurrence of `schedule` starting after `fromMs` (cancellations left out,
 * overrides applied), or null when the series has no more (ended, cancelled). Looks at the next
 * occurrences of the rule from `fromMs` on, never at the series from its start, so it costs the
 * same for a series that never ends however far ahead `fromMs` is.
 */
export function nextOccurrenceOf(schedule: Schedule, fromMs: number): Occurrence | null {
  if (schedule.cancelledAt) return null;
  // Changed occurrences may have moved anywhere within MAX_SHIFT_MS: the window covers them.
  const hasOverrides = Object.keys(schedule.exceptions.overrides).length > 0;
  let probe = hasOverrides ? fromMs - MAX_SHIFT_MS : fromMs;
  // Every cancelled occurrence can be skipped at most once, so this ends.
  for (let i = 0; i <= schedule.exceptions.cancelled.length + 1; i++) {
    const next = nextInSeries(schedule, probe + 1);
    if (!next) return null;
    const found = occurrencesOf(schedule, fromMs + 1, next.startMs + 1 + (hasOverrides ? MAX_SHIFT_MS : 0))
      .find((o) => o.start.getTime() > fromMs);
    if (found) return found;
    probe = Math.max(next.startMs, fromMs);
  }
  return null;
}

/** The next occurrence of meeting `meetingId` starting after `fromMs`, or null (see nextOccurrenceOf). */
export async function nextOccurrence(kv: Store, meetingId: string, fromMs: number): Promise<Occurrence | null> {
  const schedule = await getSchedule(kv, meetingId);
  return schedule ? nextOccurrenceOf(schedule, fromMs) : null;
}

/**
 * The occurrences of meeting `meetingId` (10 digits) overlapping [fromMs, toMs), sorted by start:
 * cancelled occurrences excluded, overrides applied, nothing for a cancelled series or an unknown
 * meeting. Recurrences are expanded in the series' own time zone (DST-correct).
 */
export async function listOccurrences(
  kv: Store,
  meetingId: string,
  fromMs: number,
  toMs: number,
): Promise<{ start: Date; end: Date; recurrenceId: string }[]> {
  const schedule = await getSchedule(kv, meetingId);
  return schedule ? occurrencesOf(schedule, fromMs, toMs) : [];
}

/**
 * The people to tell about meeting `meetingId`: the host first (with userId), then every invitee
 * by email (with userId when a verified account has that email), without duplicates and without
 * invitees who declined. Empty for an unknown meeting.
 */
export async function peopleFor(kv: Store, meetingId: string): Promise<{ userId?: string; email: string }[]> {
  const schedule = await getSchedule(kv, meetingId);
  if (!schedule) return [];
  const meeting = await getMeeting(kv, schedule.id);
  const out: { userId?: string; email: string }[] = [];
  const seen = new Set<string>();
  const host = await getUser(kv, meeting?.hostId ?? schedule.hostId);
  if (host) {
    out.push({ userId: host.id, email: host.email });
    seen.add(host.email);
  }
  for (const i of schedule.invitees) {
    if (seen.has(i.email) || i.response === "declined") continue;
    seen.add(i.email);
    const user = await getUserByEmail(kv, i.email);
    out.push(user && user.emailVerified ? { userId: user.id, email: i.email } : { email: i.email });
  }
  return out;
}
