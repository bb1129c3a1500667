// Meeting reminders on Deno KV queues: a plan per meeting enqueues one delayed message per
// occurrence, person and chosen offset; delivery re-checks the schedule and sends each reminder at
// most once per device (web push) or, for people without a device, once by email.
//
// Delivery guarantees (see docs/push.md):
// - Queue messages arrive at least once, on any web process. Every send is guarded by a "sent"
//   marker created with a `versionstamp: null` check BEFORE the send, so a redelivered message or
//   a second process can never send the same reminder to the same device (or address) twice.
// - A crash after the marker is committed and before the push service accepted the message loses
//   that one reminder (at-most-once): a missing reminder is a smaller harm than a device that
//   buzzes twice, and the window is a single HTTP request long. Failures the push service reports
//   (429, 5xx, network errors) are retried with backoff under the same marker, so they are not lost.
// - A plan carries the meeting's plan sequence; every schedule change bumps it, so reminders
//   queued for an older plan drop themselves on delivery, and the occurrence is looked up again
//   (it may have moved or been cancelled since).
// For now also the reminders capability's store module for plan, channel and sent-marker records:
// the planning logic and these records still share this module (to be split into a reminders store).

import type { Store, StoreEntry, StoreKey } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import type { Mailer } from "../email/mailer.ts";
import { getMeeting, getMeetingByNumber } from "../meetings/store.ts";
import type { Meeting } from "../meetings/store.ts";
import { commitAtomic, commitOrThrow, KvConflict } from "../common/kv.ts";
import { getUser, normalizeEmail } from "../accounts/users.ts";
import { hashToken } from "../common/ids.ts";
import { logger } from "../common/log.ts";
import { pushKeys } from "./keys.ts";
import { getReminderMinutes } from "./prefs.ts";
import { endpointOrigin, sendPush } from "./sender.ts";
import type { PushPayload, SendOutcome } from "./sender.ts";
import { endpointProblem, listSubscriptions, removeGoneSubscription } from "./subscriptions.ts";
import type { PushSubscriptionRecord, Resolver } from "./subscriptions.ts";
import { loadVapidKeys } from "./vapid.ts";

const log = logger("reminders");

// ---------------------------------------------------------------------------------------------
// What reminders need from scheduling (lib/scheduling/occurrences.ts provides it)

export interface Occurrence {
  start: Date;
  end: Date;
  /** Identifies the occurrence within its series (stable when other occurrences change). */
  recurrenceId: string;
}

export interface Invitee {
  userId?: string;
  email: string;
}

export interface ScheduleSource {
  listOccurrences(kv: Store, meetingId: string, fromMs: number, toMs: number): Promise<Occurrence[]>;
  peopleFor(kv: Store, meetingId: string): Promise<Invitee[]>;
  onScheduleChange(listener: (change: { meetingId: string }) => void | Promise<void>): unknown;
}

export interface ReminderDeps {
  kv: Store;
  config: Config;
  mailer: Mailer;
  schedule: ScheduleSource;
  /** Stand-ins for tests; the real fetch and DNS otherwise. */
  fetch?: typeof fetch;
  resolve?: Resolver;
  env?: Record<string, string | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Tunables

/** Reminders are queued for occurrences starting within this window… */
export const PLAN_HORIZON_MS = 14 * 24 * 3600_000;
/** …and the plan rolls forward this often, so HORIZON − REPLAN ≥ the longest offset (one week). */
export const REPLAN_EVERY_MS = 7 * 24 * 3600_000;
/** A meeting with no occurrence this far ahead stops re-planning itself. */
const LOOKAHEAD_MS = 400 * 24 * 3600_000;
/** Send attempts per device or address (the first try and retries). */
export const MAX_ATTEMPTS = 4;
/** Delay before attempt n+1 (30 s, 2 min, 10 min). */
export const RETRY_BACKOFF_MS = [30_000, 120_000, 600_000];
/** Markers outlive every plan that could queue the same reminder again (plans look 14 days ahead). */
const MARKER_TTL_MS = 40 * 24 * 3600_000;
/** Enqueues per atomic commit when planning (each commit re-checks that the plan is still current). */
const ENQUEUE_BATCH = 10;

// ---------------------------------------------------------------------------------------------
// Queue messages

interface PlanMessage {
  type: "reminders.plan";
  meetingId: string;
  seq: number;
  /** The weekly roll-forward: bumps the sequence itself before planning. */
  rolling?: boolean;
}

interface RemindMessage {
  type: "reminders.remind";
  meetingId: string;
  seq: number;
  person: Invitee;
  start: number;
  recurrenceId: string;
  offset: number;
}

interface RetryMessage {
  type: "reminders.retry";
  channel: "push" | "email";
  /** Subscription id (push) or email address (email). */
  target: string;
  meetingId: string;
  person: Invitee;
  start: number;
  end: number;
  recurrenceId: string;
  offset: number;
  attempt: number;
}

export type ReminderMessage = PlanMessage | RemindMessage | RetryMessage;

/** True for the queue messages this module handles (the queue is shared with other work). */
export function isReminderMessage(msg: unknown): msg is ReminderMessage {
  const type = (msg as { type?: unknown } | null)?.type;
  return typeof type === "string" && type.startsWith("reminders.");
}

interface PlanRecord {
  seq: number;
  changedAt: string;
}

type MarkerState = "sending" | "sent" | "retry" | "gone" | "failed";
interface SentMarker {
  state: MarkerState;
  /** The attempt in flight ("sending") or due next ("retry"). */
  attempt: number;
  at: string;
  detail?: string;
}

// ---------------------------------------------------------------------------------------------
// Planning

/**
 * Marks a meeting's schedule as changed: bumps its plan sequence (which makes every reminder
 * queued so far stale) and enqueues a new plan, in one atomic commit. Returns the new sequence.
 */
export async function requestPlan(kv: Store, meetingId: string): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<PlanRecord>(pushKeys.plan(meetingId));
    const seq = (entry.value?.seq ?? 0) + 1;
    const message: PlanMessage = { type: "reminders.plan", meetingId, seq };
    const res = await commitAtomic(
      kv.atomic().check(entry)
        .set(pushKeys.plan(meetingId), { seq, changedAt: new Date().toISOString() } satisfies PlanRecord)
        .enqueue(message),
    );
    if (res.ok) return seq;
  }
  throw new Error(`could not re-plan reminders for meeting ${meetingId}: kept racing`);
}

/** Re-plans every meeting whose reminders mention this person (after their offsets changed). */
export async function replanForPerson(kv: Store, userId: string): Promise<number> {
  let count = 0;
  for await (const e of kv.list({ prefix: pushKeys.plannedMeetingsByUser(userId) })) {
    await requestPlan(kv, String(e.key[2]));
    count++;
  }
  return count;
}

/** Subscribes to schedule changes so every create/update/cancel re-plans that meeting's reminders. */
export function watchSchedule(kv: Store, schedule: ScheduleSource): void {
  schedule.onScheduleChange(async ({ meetingId }) => {
    try {
      await requestPlan(kv, meetingId);
    } catch (err) {
      log.error("re-planning after a schedule change failed", { meetingId, error: String(err) });
    }
  });
}

/**
 * Who a reminder is for. Only scheduling's `userId` links an invitee to an account (it checks the
 * account's address is verified): matching addresses here would hand an invitation's reminders to
 * whoever signed up with that address without proving they own it.
 */
function resolvePerson(person: Invitee): { userId: string | null; email: string } {
  return { userId: person.userId ?? null, email: normalizeEmail(person.email) };
}

async function offsetsFor(kv: Store, userId: string | null): Promise<number[]> {
  return userId ? await getReminderMinutes(kv, userId) : [10];
}

/**
 * The reminders due for one occurrence and one person's offsets: future ones at their time, and
 * of those already past (a meeting scheduled at short notice) only the nearest, sent at once.
 */
export function dueReminders(startMs: number, offsets: number[], nowMs: number): { offset: number; dueMs: number }[] {
  if (startMs <= nowMs) return [];
  const out: { offset: number; dueMs: number }[] = [];
  let nearestPast: number | null = null;
  for (const offset of offsets) {
    const dueMs = startMs - offset * 60_000;
    if (dueMs > nowMs) out.push({ offset, dueMs });
    else if (nearestPast === null || offset < nearestPast) nearestPast = offset;
  }
  if (nearestPast !== null) out.push({ offset: nearestPast, dueMs: nowMs });
  return out.sort((a, b) => a.dueMs - b.dueMs);
}

/**
 * After a lost commit guarded by the plan entry: returns quietly when the plan changed (a newer
 * plan stands), and throws when it did not (the database was busy), so the queue redelivers this
 * message instead of the plan silently stopping.
 */
async function lostToNewerPlan(kv: Store, entry: StoreEntry<PlanRecord>, meetingId: string): Promise<void> {
  const now = await kv.get<PlanRecord>(pushKeys.plan(meetingId));
  if (now.versionstamp === entry.versionstamp) throw new KvConflict(`reminder plan ${meetingId}: busy`);
}

async function handlePlan(deps: ReminderDeps, msg: PlanMessage): Promise<void> {
  const { kv, schedule } = deps;
  let entry = await kv.get<PlanRecord>(pushKeys.plan(msg.meetingId));
  if (entry.value?.seq !== msg.seq) return; // superseded by a later change
  let seq = msg.seq;
  if (msg.rolling) {
    seq += 1;
    const res = await commitAtomic(
      kv.atomic().check(entry).set(entry.key, { seq, changedAt: new Date().toISOString() } satisfies PlanRecord),
    );
    if (!res.ok) return await lostToNewerPlan(kv, entry, msg.meetingId); // a newer plan stands
    entry = await kv.get<PlanRecord>(pushKeys.plan(msg.meetingId));
    if (entry.value?.seq !== seq) return;
  }
  const now = Date.now();
  const occurrences = (await schedule.listOccurrences(kv, msg.meetingId, now, now + PLAN_HORIZON_MS))
    .filter((o) => o.start.getTime() > now && o.start.getTime() <= now + PLAN_HORIZON_MS);
  const people = await schedule.peopleFor(kv, msg.meetingId);

  const messages: { message: ReminderMessage; delay: number }[] = [];
  const index = kv.atomic();
  for (const invitee of people) {
    const person = resolvePerson(invitee);
    if (person.userId) {
      index.set(pushKeys.plannedMeetingByUser(person.userId, msg.meetingId), true, {
        expireIn: PLAN_HORIZON_MS + REPLAN_EVERY_MS,
      });
    }
    const offsets = await offsetsFor(kv, person.userId);
    for (const occ of occurrences) {
      for (const { offset, dueMs } of dueReminders(occ.start.getTime(), offsets, now)) {
        const message: RemindMessage = {
          type: "reminders.remind",
          meetingId: msg.meetingId,
          seq,
          person: { ...(person.userId ? { userId: person.userId } : {}), email: person.email },
          start: occ.start.getTime(),
          recurrenceId: occ.recurrenceId,
          offset,
        };
        messages.push({ message, delay: Math.max(0, dueMs - now) });
      }
    }
  }
  await commitOrThrow(index, `reminder index ${msg.meetingId}`);
  const upcoming = await schedule.listOccurrences(kv, msg.meetingId, now, now + LOOKAHEAD_MS);
  if (upcoming.some((o) => o.start.getTime() > now)) {
    messages.push({
      message: { type: "reminders.plan", meetingId: msg.meetingId, seq, rolling: true },
      delay: REPLAN_EVERY_MS,
    });
  }
  // Each batch re-checks the plan entry: a change while we plan stops this (now stale) plan at once.
  for (let i = 0; i < messages.length; i += ENQUEUE_BATCH) {
    const op = kv.atomic().check(entry);
    for (const { message, delay } of messages.slice(i, i + ENQUEUE_BATCH)) op.enqueue(message, { delay });
    // Batches already queued are harmless when redelivery queues them again: markers stop a second send.
    if (!(await commitAtomic(op)).ok) return await lostToNewerPlan(kv, entry, msg.meetingId);
  }
  log.info("reminders planned", { meetingId: msg.meetingId, seq, reminders: messages.length });
}

// ---------------------------------------------------------------------------------------------
// Delivery

async function loadMeeting(kv: Store, meetingId: string): Promise<Meeting | null> {
  const byId = await getMeeting(kv, meetingId);
  if (byId) return byId;
  return /^\d{10}$/.test(meetingId) ? await getMeetingByNumber(kv, meetingId) : null;
}

function meetingUrl(config: Config, meeting: Meeting): string {
  return `${config.publicUrl}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;
}

function formatStart(startMs: number, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat("en-GB", {
      dateStyle: "medium",
      timeStyle: "short",
      timeZone,
      timeZoneName: "short",
    })
      .format(new Date(startMs));
  } catch {
    return new Date(startMs).toISOString();
  }
}

function whenText(startMs: number, nowMs: number): string {
  const minutes = Math.round((startMs - nowMs) / 60_000);
  if (minutes <= 0) return "Starting now";
  if (minutes < 90) return `Starts in ${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `Starts in ${hours} hours`;
  return `Starts in ${Math.round(hours / 24)} days`;
}

/** What the reminder says; built at send time so "starts in" is true when it arrives. */
async function reminderContent(
  deps: ReminderDeps,
  meeting: Meeting,
  person: Invitee,
  startMs: number,
): Promise<PushPayload> {
  const timeZone = person.userId ? (await getUser(deps.kv, person.userId))?.timeZone ?? "UTC" : "UTC";
  return {
    title: meeting.title,
    body: `${whenText(startMs, Date.now())} (${formatStart(startMs, timeZone)})`,
    url: meetingUrl(deps.config, meeting),
  };
}

/** Everything a send needs, re-checked against the schedule; null when the reminder is void. */
interface LiveReminder {
  /** The schedule's id for the meeting (what markers and messages carry). */
  meetingId: string;
  meeting: Meeting;
  person: Invitee;
  occurrence: Occurrence;
  offset: number;
}

async function findOccurrence(
  deps: ReminderDeps,
  meetingId: string,
  startMs: number,
  recurrenceId: string,
): Promise<Occurrence | null> {
  const found = await deps.schedule.listOccurrences(deps.kv, meetingId, startMs - 1, startMs + 1);
  return found.find((o) => o.start.getTime() === startMs && o.recurrenceId === recurrenceId) ?? null;
}

async function handleRemind(deps: ReminderDeps, msg: RemindMessage): Promise<void> {
  const { kv } = deps;
  const plan = await kv.get<PlanRecord>(pushKeys.plan(msg.meetingId));
  if (plan.value?.seq !== msg.seq) return; // the schedule changed after this was queued
  const occurrence = await findOccurrence(deps, msg.meetingId, msg.start, msg.recurrenceId);
  if (!occurrence || occurrence.end.getTime() <= Date.now()) return; // moved, cancelled, or over
  const email = normalizeEmail(msg.person.email);
  const people = await deps.schedule.peopleFor(kv, msg.meetingId);
  const stillInvited = people.some((p) =>
    (msg.person.userId && p.userId === msg.person.userId) || normalizeEmail(p.email) === email
  );
  if (!stillInvited) return;
  if (!(await offsetsFor(kv, msg.person.userId ?? null)).includes(msg.offset)) return; // offset dropped since
  const meeting = await loadMeeting(kv, msg.meetingId);
  if (!meeting) return;
  const live: LiveReminder = { meetingId: msg.meetingId, meeting, person: msg.person, occurrence, offset: msg.offset };

  // Push or email is decided once per person and reminder, so a redelivery after the last device
  // went away cannot add an email to a push that already went out.
  const personKey = msg.person.userId ? `user:${msg.person.userId}` : `email:${await hashToken(email)}`;
  const channelKey = pushKeys.reminderChannel(personKey, msg.meetingId, msg.start, msg.offset);
  let channel = (await kv.get<"push" | "email">(channelKey)).value;
  const subscriptions = msg.person.userId ? await listSubscriptions(kv, msg.person.userId) : [];
  if (!channel) {
    const choice = subscriptions.length > 0 ? "push" : "email";
    const res = await commitAtomic(
      kv.atomic().check({ key: channelKey, versionstamp: null }).set(channelKey, choice, { expireIn: MARKER_TTL_MS }),
    );
    // Lost: another delivery of this message chose first (use its choice), or the file was busy
    // (nothing chosen yet: throw so the queue redelivers rather than send unrecorded).
    channel = res.ok ? choice : (await kv.get<"push" | "email">(channelKey)).value;
    if (!channel) throw new KvConflict(`reminder channel ${msg.meetingId}: busy`);
  }
  if (channel === "push") {
    for (const sub of subscriptions) await deliverPush(deps, live, sub, 1);
  } else {
    await deliverEmail(deps, live, email, 1);
  }
}

function markerKeyFor(channel: string, live: { meetingId: string; start: number; offset: number }): StoreKey {
  return pushKeys.reminderSent(channel, live.meetingId, live.start, live.offset);
}

/**
 * Claims the marker for attempt `attempt`: the first attempt needs no marker yet (versionstamp
 * null); a retry needs the marker in "retry" for exactly this attempt. Only the claimant sends.
 * Null when someone else holds it; throws when the commit failed with the marker unchanged (a busy
 * database), so the queue redelivers instead of the reminder being dropped.
 */
async function claim(kv: Store, key: StoreKey, attempt: number): Promise<string | null> {
  const marker: SentMarker = { state: "sending", attempt, at: new Date().toISOString() };
  const entry: StoreEntry<SentMarker> = attempt === 1
    ? { key, value: null, versionstamp: null }
    : await kv.get<SentMarker>(key);
  if (attempt !== 1 && (entry.value?.state !== "retry" || entry.value.attempt !== attempt)) return null;
  const res = await commitAtomic(kv.atomic().check(entry).set(key, marker, { expireIn: MARKER_TTL_MS }));
  if (res.ok) return res.versionstamp;
  if ((await kv.get(key)).versionstamp === entry.versionstamp) throw new KvConflict(`reminder claim: busy`);
  return null;
}

/** Records how a claimed send ended; on a retryable failure, queues the next attempt in the same commit. */
async function settle(
  deps: ReminderDeps,
  key: StoreKey,
  versionstamp: string,
  outcome: { state: "sent" | "gone" | "failed"; detail?: string } | { state: "retry"; detail: string; delayMs: number },
  retry: Omit<RetryMessage, "attempt">,
  attempt: number,
): Promise<void> {
  const op = deps.kv.atomic().check({ key, versionstamp });
  if (outcome.state === "retry" && attempt < MAX_ATTEMPTS) {
    op.set(
      key,
      {
        state: "retry",
        attempt: attempt + 1,
        at: new Date().toISOString(),
        detail: outcome.detail,
      } satisfies SentMarker,
      {
        expireIn: MARKER_TTL_MS,
      },
    );
    op.enqueue({ ...retry, attempt: attempt + 1 } satisfies RetryMessage, { delay: outcome.delayMs });
  } else {
    const state = outcome.state === "retry" ? "failed" : outcome.state;
    op.set(key, { state, attempt, at: new Date().toISOString(), detail: outcome.detail } satisfies SentMarker, {
      expireIn: MARKER_TTL_MS,
    });
    if (state === "failed") {
      log.error("reminder not delivered", { key: key.join("/"), attempt, detail: outcome.detail });
    }
  }
  // The marker is ours (claimed above): a failed commit with the marker unchanged was a busy
  // database (try again); a changed marker expired or was removed by hand.
  for (let tries = 1;; tries++) {
    if ((await commitAtomic(op)).ok) return;
    const unchanged = (await deps.kv.get(key)).versionstamp === versionstamp;
    if (!unchanged || tries >= 5) {
      log.warn("reminder outcome not recorded", { key: key.join("/"), attempt, state: outcome.state, unchanged });
      return;
    }
  }
}

function backoff(attempt: number, hintMs?: number): number {
  const base = RETRY_BACKOFF_MS[Math.min(attempt - 1, RETRY_BACKOFF_MS.length - 1)];
  return Math.min(Math.max(base, hintMs ?? 0), 3600_000);
}

async function deliverPush(deps: ReminderDeps, live: LiveReminder, sub: PushSubscriptionRecord, attempt: number) {
  const ref = { meetingId: live.meetingId, start: live.occurrence.start.getTime(), offset: live.offset };
  const key = markerKeyFor(`push:${sub.id}`, ref);
  const versionstamp = await claim(deps.kv, key, attempt);
  if (!versionstamp) return; // sent, being sent, or scheduled for retry by someone else
  const retry: Omit<RetryMessage, "attempt"> = {
    type: "reminders.retry",
    channel: "push",
    target: sub.id,
    meetingId: ref.meetingId,
    person: live.person,
    start: ref.start,
    end: live.occurrence.end.getTime(),
    recurrenceId: live.occurrence.recurrenceId,
    offset: live.offset,
  };
  let outcome: SendOutcome;
  // Outside development, the endpoint's host is looked up again: a name can be re-pointed at a
  // private address after it was accepted.
  const problem = await endpointProblem(sub.endpoint, {
    allowPrivate: deps.config.env === "development",
    resolve: deps.resolve,
  });
  if (problem) {
    outcome = { kind: "failed", status: 0, reason: problem };
  } else {
    const payload = await reminderContent(deps, live.meeting, live.person, ref.start);
    const vapid = await loadVapidKeys(deps.kv, deps.config, deps.env);
    const ttlSeconds = Math.max(60, (live.occurrence.end.getTime() - Date.now()) / 1000);
    const topic = (await hashToken(`${ref.meetingId}:${ref.start}`)).slice(0, 32);
    outcome = await sendPush(sub, payload, vapid, { ttlSeconds, topic, fetch: deps.fetch });
  }
  if (outcome.kind === "sent") {
    await settle(deps, key, versionstamp, { state: "sent" }, retry, attempt);
  } else if (outcome.kind === "gone") {
    await removeGoneSubscription(deps.kv, sub);
    log.info("push subscription gone; removed", { subscription: sub.id, status: outcome.status });
    await settle(deps, key, versionstamp, { state: "gone", detail: String(outcome.status) }, retry, attempt);
  } else {
    const delayMs = outcome.kind === "retry" ? backoff(attempt, outcome.retryAfterMs) : null;
    // The endpoint's path is the device's secret capability URL: only its origin is logged.
    log.warn("reminder push attempt failed", {
      meetingId: ref.meetingId,
      subscription: sub.id,
      endpoint: endpointOrigin(sub.endpoint),
      attempt,
      maxAttempts: MAX_ATTEMPTS,
      status: outcome.status,
      reason: outcome.reason,
      nextAttemptInMs: delayMs !== null && attempt < MAX_ATTEMPTS ? delayMs : null,
    });
    const settled = delayMs !== null
      ? { state: "retry" as const, detail: outcome.reason, delayMs }
      : { state: "failed" as const, detail: outcome.reason };
    await settle(deps, key, versionstamp, settled, retry, attempt);
  }
}

async function deliverEmail(deps: ReminderDeps, live: LiveReminder, email: string, attempt: number) {
  const ref = { meetingId: live.meetingId, start: live.occurrence.start.getTime(), offset: live.offset };
  const key = markerKeyFor(`email:${await hashToken(email)}`, ref);
  const versionstamp = await claim(deps.kv, key, attempt);
  if (!versionstamp) return;
  const retry: Omit<RetryMessage, "attempt"> = {
    type: "reminders.retry",
    channel: "email",
    target: email,
    meetingId: ref.meetingId,
    person: live.person,
    start: ref.start,
    end: live.occurrence.end.getTime(),
    recurrenceId: live.occurrence.recurrenceId,
    offset: live.offset,
  };
  const content = await reminderContent(deps, live.meeting, live.person, ref.start);
  try {
    await deps.mailer.send({
      to: email,
      subject: `Reminder: ${live.meeting.title}`,
      text: `${live.meeting.title}\n${content.body}\n\nJoin: ${content.url}\n\n` +
        `You get this email because you have no device set up for notifications. ` +
        `Choose when you are reminded at ${deps.config.publicUrl}/account/notifications\n`,
      html: `<p><strong>${escapeHtml(live.meeting.title)}</strong><br>${escapeHtml(content.body)}</p>` +
        `<p><a href="${escapeHtml(content.url)}">Join the meeting</a></p>` +
        `<p>You get this email because you have no device set up for notifications. ` +
        `<a href="${escapeHtml(deps.config.publicUrl)}/account/notifications">Choose when you are reminded</a>.</p>`,
    });
    await settle(deps, key, versionstamp, { state: "sent" }, retry, attempt);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const delayMs = backoff(attempt);
    log.warn("reminder email attempt failed", {
      meetingId: ref.meetingId,
      to: email,
      attempt,
      maxAttempts: MAX_ATTEMPTS,
      reason: detail,
      nextAttemptInMs: attempt < MAX_ATTEMPTS ? delayMs : null,
    });
    await settle(deps, key, versionstamp, { state: "retry", detail, delayMs }, retry, attempt);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

async function handleRetry(deps: ReminderDeps, msg: RetryMessage): Promise<void> {
  if (msg.end <= Date.now()) {
    // Too late to be useful: close the marker so nothing else tries.
    const key = markerKeyFor(
      msg.channel === "push" ? `push:${msg.target}` : `email:${await hashToken(msg.target)}`,
      msg,
    );
    const versionstamp = await claim(deps.kv, key, msg.attempt);
    if (versionstamp) {
      await settle(deps, key, versionstamp, { state: "failed", detail: "meeting over" }, { ...msg }, MAX_ATTEMPTS);
    }
    return;
  }
  const meeting = await loadMeeting(deps.kv, msg.meetingId);
  const occurrence = await findOccurrence(deps, msg.meetingId, msg.start, msg.recurrenceId);
  const live: LiveReminder | null = meeting && occurrence
    ? { meetingId: msg.meetingId, meeting, person: msg.person, occurrence, offset: msg.offset }
    : null;
  if (!live) return; // cancelled or moved since the first attempt: the marker stays in "retry"
  if (msg.channel === "email") return await deliverEmail(deps, live, msg.target, msg.attempt);
  const sub = (await deps.kv.get<PushSubscriptionRecord>(pushKeys.subscription(msg.target))).value;
  if (!sub) return; // the person removed the device meanwhile
  await deliverPush(deps, live, sub, msg.attempt);
}

/** Handles one reminder queue message; throws only for unexpected errors (the queue then redelivers). */
export async function handleReminderMessage(deps: ReminderDeps, msg: ReminderMessage): Promise<void> {
  switch (msg.type) {
    case "reminders.plan":
      return await handlePlan(deps, msg);
    case "reminders.remind":
      return await handleRemind(deps, msg);
    case "reminders.retry":
      return await handleRetry(deps, msg);
  }
}
