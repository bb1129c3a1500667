// The schedule of a meeting: when it happens (a wall-clock start in an IANA zone, a duration, an
// optional RRULE with cancelled and changed occurrences), who is invited and how they answered.
// This is the scheduling capability's store module for schedules and their host/invitee indexes.

import type { Store } from "../common/store.ts";
import { createMeeting, getMeetingByNumber } from "../meetings/store.ts";
import type { Meeting, MeetingSettings } from "../meetings/store.ts";
import { commitAtomic, KvConflict } from "../common/kv.ts";
import { normalizeEmail } from "../accounts/users.ts";
import { randomToken } from "../common/ids.ts";
import { logger } from "../common/log.ts";
import { meetingKeys } from "../meetings/keys.ts";
import { scheduleKeys } from "./keys.ts";

const log = logger("scheduling");

export type InviteeResponse = "needs-action" | "accepted" | "declined";

export interface Invitee {
  /** Lower-cased. */
  email: string;
  response: InviteeResponse;
  /** RSVP link secret: `<meetingId>-<random>`, so the link finds its schedule without an index key. */
  token: string;
  respondedAt: string | null;
}

/** One occurrence moved or resized; keyed by its original start (RECURRENCE-ID). */
export interface OccurrenceOverride {
  /** New wall-clock start in the series' zone, `YYYY-MM-DDTHH:MM:SS`. */
  startsAt: string;
  durationMinutes: number;
}

export interface Schedule {
  /** The 10-digit meeting ID (also the key). */
  meetingId: string;
  /** The meeting's record id (`Meeting.id`). */
  id: string;
  hostId: string;
  /** iCalendar UID, stable for the life of the series. */
  uid: string;
  /** Wall-clock start of the first meeting in `timeZone`, `YYYY-MM-DDTHH:MM:SS` (no offset). */
  startsAt: string;
  timeZone: string;
  durationMinutes: number;
  /** RRULE text (UNTIL in UTC), or null for a one-off meeting. */
  rrule: string | null;
  description: string;
  invitees: Invitee[];
  /** iCalendar SEQUENCE: raised on every change that is sent to invitees. */
  sequence: number;
  /** Set when the whole series is cancelled (kept so late RSVP links and feeds say so). */
  cancelledAt: string | null;
  exceptions: {
    /** Original starts (RECURRENCE-IDs) of cancelled occurrences. */
    cancelled: string[];
    overrides: Record<string, OccurrenceOverride>;
  };
  createdAt: string;
  updatedAt: string;
}

/** Invitations per series; with RFC 5321's 254-character cap the record and its index keys stay inside KV's limits. */
export const MAX_INVITEES = 300;
/** Changed or cancelled single occurrences per series. */
export const MAX_EXCEPTIONS = 200;

export class ScheduleNotFound extends Error {
  constructor(meetingId: string) {
    super(`No schedule for meeting ${meetingId}`);
    this.name = "ScheduleNotFound";
  }
}

// ---------------------------------------------------------------------------------------------
// Change notification (reminders re-plan on it)

export type ScheduleChangeListener = (change: { meetingId: string }) => void | Promise<void>;
const listeners = new Set<ScheduleChangeListener>();

/**
 * Registers `listener` to be called with `{meetingId}` after every committed create, update or
 * cancellation of a schedule (series or single occurrence). Returns a function that unregisters it.
 * Listeners run after the commit, one after another; a throwing listener is logged and the rest still run.
 */
export function onScheduleChange(listener: ScheduleChangeListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function notifyChange(meetingId: string): Promise<void> {
  for (const l of [...listeners]) {
    try {
      await l({ meetingId });
    } catch (err) {
      log.error("schedule change listener failed", { meetingId, error: String(err) });
    }
  }
}

// ---------------------------------------------------------------------------------------------

function newInvitee(meetingId: string, email: string): Invitee {
  return {
    email: normalizeEmail(email),
    response: "needs-action",
    token: `${meetingId}-${randomToken(18)}`,
    respondedAt: null,
  };
}

export async function getSchedule(kv: Store, meetingId: string): Promise<Schedule | null> {
  return (await kv.get<Schedule>(scheduleKeys.schedule(meetingId))).value;
}

export interface NewSchedule {
  hostId: string;
  title: string;
  settings?: Partial<MeetingSettings>;
  startsAt: string;
  timeZone: string;
  durationMinutes: number;
  rrule: string | null;
  description: string;
  invitees: string[];
  /** The UID's domain part (the site's host name). */
  uidDomain: string;
}

/**
 * Creates a meeting and its schedule in ONE atomic commit (with the host and invitee indexes), so
 * neither exists without the other; then tells change listeners. Inputs must be validated already.
 */
export async function createScheduledMeeting(
  kv: Store,
  input: NewSchedule,
): Promise<{ meeting: Meeting; schedule: Schedule }> {
  let schedule: Schedule | null = null;
  const emails = [...new Set(input.invitees.map(normalizeEmail))];
  const meeting = await createMeeting(
    kv,
    { hostId: input.hostId, title: input.title, settings: input.settings },
    (op, m) => {
      const now = new Date().toISOString();
      schedule = {
        meetingId: m.meetingId,
        id: m.id,
        hostId: m.hostId,
        uid: `${m.id.toLowerCase()}@${input.uidDomain}`,
        startsAt: input.startsAt,
        timeZone: input.timeZone,
        durationMinutes: input.durationMinutes,
        rrule: input.rrule,
        description: input.description,
        invitees: emails.map((e) => newInvitee(m.meetingId, e)),
        sequence: 0,
        cancelledAt: null,
        exceptions: { cancelled: [], overrides: {} },
        createdAt: now,
        updatedAt: now,
      };
      op.check({ key: scheduleKeys.schedule(m.meetingId), versionstamp: null })
        .set(scheduleKeys.schedule(m.meetingId), schedule)
        .set(scheduleKeys.byHost(m.hostId, m.meetingId), true);
      for (const e of emails) op.set(scheduleKeys.byInvitee(e, m.meetingId), true);
    },
  );
  await notifyChange(meeting.meetingId);
  return { meeting, schedule: schedule! };
}

export interface ScheduleChange {
  /** Applied to the stored meeting in the same commit (title, settings). */
  meeting?: Partial<Pick<Meeting, "title" | "settings">>;
  schedule?: Partial<
    Pick<Schedule, "startsAt" | "timeZone" | "durationMinutes" | "rrule" | "description" | "cancelledAt" | "exceptions">
  >;
  /** The full new invitee list (emails); kept invitees keep their token and answer. */
  invitees?: string[];
  /** Raise SEQUENCE (every change that invitees are told about). */
  bumpSequence?: boolean;
}

export interface ScheduleUpdate {
  meeting: Meeting;
  before: Schedule;
  after: Schedule;
  added: Invitee[];
  removed: Invitee[];
}

/**
 * Applies `change` to a schedule and its meeting in ONE atomic commit, versionstamp-checked on
 * both and retried on conflict; invitee index keys move in the same commit. When the start, zone
 * or rule changes, single-occurrence exceptions are dropped (their RECURRENCE-IDs no longer name
 * occurrences). Calls change listeners after the commit. Returns null when there is no schedule.
 */
export async function updateSchedule(
  kv: Store,
  meetingId: string,
  change: (s: Schedule, m: Meeting) => ScheduleChange,
): Promise<ScheduleUpdate | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const sEntry = await kv.get<Schedule>(scheduleKeys.schedule(meetingId));
    if (!sEntry.value) return null;
    const mEntry = await kv.get<Meeting>(meetingKeys.meeting(sEntry.value.id));
    if (!mEntry.value) return null;
    const before = sEntry.value;
    const c = change(before, mEntry.value);
    const after: Schedule = { ...before, ...c.schedule, updatedAt: new Date().toISOString() };
    const timingChanged = after.startsAt !== before.startsAt || after.timeZone !== before.timeZone ||
      after.rrule !== before.rrule;
    if (timingChanged && !c.schedule?.exceptions) after.exceptions = { cancelled: [], overrides: {} };
    if (c.bumpSequence) after.sequence = before.sequence + 1;
    let added: Invitee[] = [];
    let removed: Invitee[] = [];
    if (c.invitees) {
      const wanted = [...new Set(c.invitees.map(normalizeEmail))];
      const old = new Map(before.invitees.map((i) => [i.email, i]));
      after.invitees = wanted.map((e) => old.get(e) ?? newInvitee(meetingId, e));
      added = after.invitees.filter((i) => !old.has(i.email));
      removed = before.invitees.filter((i) => !wanted.includes(i.email));
    }
    const meeting: Meeting = { ...mEntry.value, ...c.meeting };
    const op = kv.atomic().check(sEntry).check(mEntry)
      .set(sEntry.key, after)
      .set(mEntry.key, meeting);
    for (const i of added) op.set(scheduleKeys.byInvitee(i.email, meetingId), true);
    for (const i of removed) op.delete(scheduleKeys.byInvitee(i.email, meetingId));
    if ((await commitAtomic(op)).ok) {
      await notifyChange(meetingId);
      return { meeting, before, after, added, removed };
    }
  }
  throw new KvConflict(`updateSchedule ${meetingId}`);
}

/**
 * Records an invitee's answer by RSVP token (versionstamp-checked, retried). Returns the schedule
 * and invitee, or null when the token names nobody. Idempotent: answering twice keeps the last answer.
 */
export async function recordResponse(
  kv: Store,
  token: string,
  response: "accepted" | "declined",
): Promise<{ schedule: Schedule; invitee: Invitee } | null> {
  const meetingId = meetingIdOfToken(token);
  if (!meetingId) return null;
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<Schedule>(scheduleKeys.schedule(meetingId));
    const found = entry.value ? findInviteeByToken(entry.value, token) : null;
    if (!entry.value || !found) return null;
    const invitee: Invitee = { ...found, response, respondedAt: new Date().toISOString() };
    const next: Schedule = {
      ...entry.value,
      invitees: entry.value.invitees.map((i) => i.email === invitee.email ? invitee : i),
    };
    if ((await commitAtomic(kv.atomic().check(entry).set(entry.key, next))).ok) {
      await notifyChange(meetingId);
      return { schedule: next, invitee };
    }
  }
  throw new KvConflict(`recordResponse ${meetingId}`);
}

/** The meeting ID an RSVP token belongs to, or null when it is not shaped like one. */
export function meetingIdOfToken(token: string): string | null {
  const m = /^([1-9]\d{9})-[A-Za-z0-9_-]{16,64}$/.exec(token);
  return m ? m[1] : null;
}

/** The invitee holding `token` (compared in constant time), or null. */
export function findInviteeByToken(schedule: Schedule, token: string): Invitee | null {
  let found: Invitee | null = null;
  for (const i of schedule.invitees) if (constantTimeEqual(i.token, token)) found = i;
  return found;
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/** A schedule with its meeting (both present), by 10-digit meeting ID. */
export async function getScheduledMeeting(
  kv: Store,
  meetingId: string,
): Promise<{ meeting: Meeting; schedule: Schedule } | null> {
  const schedule = await getSchedule(kv, meetingId);
  if (!schedule) return null;
  const meeting = await getMeetingByNumber(kv, meetingId);
  return meeting ? { meeting, schedule } : null;
}

/** KV's getMany limit: keys per read. */
const GET_MANY_MAX = 10;
/** getMany batches in flight at once while reading a person's schedules (bounded, so one big feed cannot flood the store). */
const PARALLEL_BATCHES = 32;
/** Index entries per list round trip: a person's schedule index is read whole, so fewer, larger batches. */
const INDEX_BATCH = 1000;

/**
 * Runs `read` over `items` in slices of GET_MANY_MAX, at most PARALLEL_BATCHES at a time, and
 * returns the results in the items' order. A failed read rejects the whole call (the others finish first).
 */
async function inBatches<I, R>(items: readonly I[], read: (batch: I[]) => Promise<R[]>): Promise<R[]> {
  const batches: I[][] = [];
  for (let i = 0; i < items.length; i += GET_MANY_MAX) batches.push(items.slice(i, i + GET_MANY_MAX));
  const results: R[][] = new Array(batches.length);
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const n = next++;
      results[n] = await read(batches[n]);
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(PARALLEL_BATCHES, batches.length) }, worker));
  for (const r of settled) if (r.status === "rejected") throw r.reason;
  return results.flat();
}

/** Meeting IDs a person hosts and (with a verified email) is invited to, hosted first, without duplicates. */
async function scheduleIdsFor(kv: Store, userId: string, verifiedEmail: string | null) {
  const read = async (prefix: readonly string[]) => {
    const out: string[] = [];
    for await (const e of kv.list({ prefix }, { batchSize: INDEX_BATCH })) out.push(String(e.key[2]));
    return out;
  };
  const [hosted, invited] = await Promise.all([
    read(scheduleKeys.hostPrefix(userId)),
    verifiedEmail ? read(scheduleKeys.inviteePrefix(normalizeEmail(verifiedEmail))) : Promise.resolve([]),
  ]);
  const ids = new Map<string, "host" | "invitee">();
  for (const id of hosted) ids.set(id, "host");
  for (const id of invited) if (!ids.has(id)) ids.set(id, "invitee");
  return ids;
}

/** One of a person's scheduled meetings, with `version`: the two records' versionstamps, for ETags. */
export interface ScheduledEntry {
  meeting: Meeting;
  schedule: Schedule;
  role: "host" | "invitee";
  version: string;
}

/**
 * Every scheduled meeting a person hosts, plus (when `verifiedEmail` is given) those their email
 * is invited to — without duplicates, hosted ones first, each list in key order. Reads batches of
 * ten keys (KV's getMany limit), up to PARALLEL_BATCHES of them at once; not one snapshot (like the
 * sequential reads before it), so a schedule changed meanwhile may show either version.
 */
export async function listSchedulesFor(
  kv: Store,
  userId: string,
  verifiedEmail: string | null,
): Promise<ScheduledEntry[]> {
  const ids = await scheduleIdsFor(kv, userId, verifiedEmail);
  return await inBatches([...ids], async (batch) => {
    const schedules = await kv.getMany<Schedule[]>(batch.map(([id]) => scheduleKeys.schedule(id)));
    const present = schedules.filter((s) => s.value !== null);
    const meetings = await kv.getMany<Meeting[]>(present.map((s) => meetingKeys.meeting(s.value!.id)));
    const out: ScheduledEntry[] = [];
    present.forEach((s, j) => {
      const m = meetings[j];
      if (!m.value) return;
      const schedule = s.value!;
      out.push({
        meeting: m.value,
        schedule,
        role: ids.get(schedule.meetingId)!,
        version: `${schedule.meetingId}:${s.versionstamp}:${m.versionstamp}`,
      });
    });
    return out;
  });
}
