// Scheduling actions shared by the web pages and the API: each commits first, then tells invitees
// (REQUEST for new and changed, CANCEL for cancelled or removed), raising SEQUENCE on every change.

import type { Store } from "../common/store.ts";
import type { MeetingSettings } from "../meetings/store.ts";
import type { Meeting } from "../meetings/store.ts";
import type { User } from "../accounts/users.ts";
import { getUser } from "../accounts/users.ts";
import { NotFound, ValidationError } from "../common/errors.ts";
import { sendCancellation, sendInvitations, UnverifiedOrganizer } from "./invitations.ts";
import type { InvitationDeps } from "./invitations.ts";
import { expandSeries, RecurrenceError, validateRrule } from "./recurrence.ts";
import { createScheduledMeeting, getScheduledMeeting, MAX_EXCEPTIONS, updateSchedule } from "./schedule.ts";
import type { Schedule, ScheduleChange } from "./schedule.ts";
import { formatLocal, parseLocal, toLocal } from "./tz.ts";
import type { ScheduleInput } from "./validation.ts";
import { message } from "../i18n/message.ts";

export interface Delivery {
  sent: string[];
  failed: string[];
}

export interface ServiceDeps extends InvitationDeps {
  kv: Store;
}

function merge(...ds: Delivery[]): Delivery {
  return { sent: ds.flatMap((d) => d.sent), failed: ds.flatMap((d) => d.failed) };
}

/**
 * Creates a scheduled meeting (meeting + schedule in one commit) and invites everyone on it.
 * An unverified host with invitees gets UnverifiedOrganizer and nothing is saved or sent.
 */
export async function scheduleMeeting(
  deps: ServiceDeps,
  host: User,
  input: Omit<ScheduleInput, "settings"> & { settings: Partial<MeetingSettings> },
): Promise<{ meeting: Meeting; schedule: Schedule; delivery: Delivery }> {
  if (input.invitees.length && !host.emailVerified) throw new UnverifiedOrganizer();
  const { meeting, schedule } = await createScheduledMeeting(deps.kv, {
    hostId: host.id,
    title: input.title,
    settings: input.settings,
    startsAt: input.startsAt,
    timeZone: input.timeZone,
    durationMinutes: input.durationMinutes,
    rrule: input.rrule ?? null,
    description: input.description,
    invitees: input.invitees,
    uidDomain: new URL(deps.config.publicUrl).hostname,
  });
  const delivery = await sendInvitations(deps, { meeting, schedule, host }, schedule.invitees, "new");
  return { meeting, schedule, delivery };
}

async function loadForHost(deps: ServiceDeps, meetingId: string) {
  const found = await getScheduledMeeting(deps.kv, meetingId);
  if (!found) throw new NotFound("meetings.error.noScheduled");
  const host = await getUser(deps.kv, found.meeting.hostId);
  if (!host) throw new NotFound("meetings.error.hostGone");
  return { ...found, host };
}

export interface SeriesPatch {
  title?: string;
  description?: string;
  startsAt?: string;
  timeZone?: string;
  durationMinutes?: number;
  /** undefined = keep; null = stop repeating. */
  rrule?: string | null;
  invitees?: string[];
  settings?: Partial<MeetingSettings>;
}

/**
 * Changes the whole series: one commit (SEQUENCE raised), then an updated REQUEST to those who
 * stay, a new REQUEST to those added and a CANCEL to those removed. A kept RRULE is re-checked
 * against a new start (five-year limit). Unverified hosts with invitees are refused before saving.
 */
export async function changeSeries(deps: ServiceDeps, meetingId: string, patch: SeriesPatch): Promise<{
  meeting: Meeting;
  schedule: Schedule;
  delivery: Delivery;
}> {
  const { host, schedule: current } = await loadForHost(deps, meetingId);
  if (current.cancelledAt) {
    throw new ValidationError({ _form: "meetings.error.cancelledSeries" });
  }
  const nextInvitees = patch.invitees ?? current.invitees.map((i) => i.email);
  if (nextInvitees.length && !host.emailVerified) throw new UnverifiedOrganizer();
  const startsAt = patch.startsAt ?? current.startsAt;
  const timeZone = patch.timeZone ?? current.timeZone;
  let rrule = patch.rrule === undefined ? current.rrule : patch.rrule;
  if (rrule && (startsAt !== current.startsAt || timeZone !== current.timeZone || patch.rrule !== undefined)) {
    try {
      rrule = validateRrule(rrule, parseLocal(startsAt)!, timeZone);
    } catch (err) {
      if (err instanceof RecurrenceError) throw new ValidationError({ recurrence: err.message });
      throw err;
    }
  }
  const updated = await updateSchedule(deps.kv, meetingId, (_s, m): ScheduleChange => ({
    meeting: {
      title: patch.title ?? m.title,
      settings: patch.settings ? { ...m.settings, ...patch.settings } : m.settings,
    },
    schedule: {
      startsAt,
      timeZone,
      rrule,
      durationMinutes: patch.durationMinutes ?? _s.durationMinutes,
      description: patch.description ?? _s.description,
    },
    invitees: patch.invitees,
    bumpSequence: true,
  }));
  if (!updated) throw new NotFound("meetings.error.noScheduled");
  const item = { meeting: updated.meeting, schedule: updated.after, host };
  const addedEmails = new Set(updated.added.map((i) => i.email));
  const staying = updated.after.invitees.filter((i) => !addedEmails.has(i.email));
  const delivery = merge(
    await sendInvitations(deps, item, staying, "update"),
    await sendInvitations(deps, item, updated.added, "new"),
    await sendCancellation(deps, item, updated.removed, { removedOnly: true }),
  );
  return { meeting: updated.meeting, schedule: updated.after, delivery };
}

/** Cancels the whole series (kept, marked cancelled; SEQUENCE raised) and sends everyone a CANCEL. */
export async function cancelSeries(
  deps: ServiceDeps,
  meetingId: string,
): Promise<{ schedule: Schedule; delivery: Delivery }> {
  const { host, schedule: current } = await loadForHost(deps, meetingId);
  if (current.cancelledAt) return { schedule: current, delivery: { sent: [], failed: [] } };
  if (current.invitees.length && !host.emailVerified) throw new UnverifiedOrganizer();
  const updated = await updateSchedule(deps.kv, meetingId, () => ({
    schedule: { cancelledAt: new Date().toISOString() },
    bumpSequence: true,
  }));
  if (!updated) throw new NotFound("meetings.error.noScheduled");
  const delivery = await sendCancellation(
    deps,
    { meeting: updated.meeting, schedule: updated.after, host },
    updated.after.invitees,
  );
  return { schedule: updated.after, delivery };
}

/**
 * The RECURRENCE-ID an occurrence path names: a local `YYYY-MM-DDTHH:MM[:SS]` in the series' zone,
 * or an instant with `Z`/offset. NotFound unless it is an original start of the series.
 */
export function resolveOccurrence(schedule: Schedule, input: string): string {
  let local: string | null = null;
  const trimmed = decodeURIComponent(input).trim();
  if (/[zZ]$|[+-]\d\d:?\d\d$/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (!Number.isNaN(ms)) local = formatLocal(toLocal(schedule.timeZone, ms));
  } else {
    const t = parseLocal(trimmed);
    if (t) local = formatLocal(t);
  }
  if (!local) throw new NotFound("meetings.error.occurrenceName");
  const t = parseLocal(local)!;
  const around = Date.UTC(t.year, t.month - 1, t.day);
  const hits = expandSeries(schedule, around - 2 * 86_400_000, around + 2 * 86_400_000);
  if (!hits.some((o) => o.recurrenceId === local)) throw new NotFound("meetings.error.noOccurrence");
  return local;
}

/** Moves or resizes one occurrence (override keyed by RECURRENCE-ID; SEQUENCE raised) and sends everyone the updated series. */
export async function changeOccurrence(
  deps: ServiceDeps,
  meetingId: string,
  occurrence: string,
  patch: { startsAt?: string; durationMinutes?: number },
): Promise<{ schedule: Schedule; recurrenceId: string; delivery: Delivery }> {
  const { host, schedule: current } = await loadForHost(deps, meetingId);
  if (!current.rrule) throw new NotFound("meetings.error.notRepeatingChange");
  if (current.cancelledAt) throw new ValidationError({ _form: "meetings.error.cancelled" });
  const rid = resolveOccurrence(current, occurrence);
  if (current.exceptions.cancelled.includes(rid)) throw new NotFound("meetings.error.occurrenceCancelled");
  if (patch.startsAt !== undefined) {
    const t = parseLocal(patch.startsAt);
    if (!t) throw new ValidationError({ startsAt: "meetings.error.occurrenceStart" });
    patch = { ...patch, startsAt: formatLocal(t) };
  }
  if (current.invitees.length && !host.emailVerified) throw new UnverifiedOrganizer();
  const updated = await updateSchedule(deps.kv, meetingId, (s) => {
    const prev = s.exceptions.overrides[rid];
    const override = {
      startsAt: patch.startsAt ?? prev?.startsAt ?? rid,
      durationMinutes: patch.durationMinutes ?? prev?.durationMinutes ?? s.durationMinutes,
    };
    if (!prev && Object.keys(s.exceptions.overrides).length + s.exceptions.cancelled.length >= MAX_EXCEPTIONS) {
      throw new ValidationError({ _form: message("meetings.error.exceptions", { max: MAX_EXCEPTIONS }) });
    }
    return {
      schedule: { exceptions: { ...s.exceptions, overrides: { ...s.exceptions.overrides, [rid]: override } } },
      bumpSequence: true,
    };
  });
  if (!updated) throw new NotFound("meetings.error.noScheduled");
  const item = { meeting: updated.meeting, schedule: updated.after, host };
  const delivery = await sendInvitations(deps, item, updated.after.invitees, "update");
  return { schedule: updated.after, recurrenceId: rid, delivery };
}

/** Cancels one occurrence (EXDATE; SEQUENCE raised) and sends everyone a CANCEL naming it by RECURRENCE-ID. */
export async function cancelOccurrence(
  deps: ServiceDeps,
  meetingId: string,
  occurrence: string,
): Promise<{ schedule: Schedule; recurrenceId: string; delivery: Delivery }> {
  const { host, schedule: current } = await loadForHost(deps, meetingId);
  if (!current.rrule) throw new NotFound("meetings.error.notRepeatingCancel");
  const rid = resolveOccurrence(current, occurrence);
  if (current.exceptions.cancelled.includes(rid)) {
    return { schedule: current, recurrenceId: rid, delivery: { sent: [], failed: [] } };
  }
  if (current.invitees.length && !host.emailVerified) throw new UnverifiedOrganizer();
  const updated = await updateSchedule(deps.kv, meetingId, (s) => {
    if (s.exceptions.cancelled.length + Object.keys(s.exceptions.overrides).length >= MAX_EXCEPTIONS) {
      throw new ValidationError({ _form: message("meetings.error.exceptions", { max: MAX_EXCEPTIONS }) });
    }
    const overrides = { ...s.exceptions.overrides };
    delete overrides[rid];
    return { schedule: { exceptions: { cancelled: [...s.exceptions.cancelled, rid], overrides } }, bumpSequence: true };
  });
  if (!updated) throw new NotFound("meetings.error.noScheduled");
  const delivery = await sendCancellation(
    deps,
    { meeting: updated.meeting, schedule: updated.after, host },
    updated.after.invitees,
    { recurrenceId: rid },
  );
  return { schedule: updated.after, recurrenceId: rid, delivery };
}
