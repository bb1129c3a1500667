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

// Storage is lib/reminders/store.ts (plans, index, channels, markers); the decisions are the pure
// functions of planning.ts. This module runs them: queue messages in, store calls and sends out.

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import type { Mailer } from "../email/mailer.ts";
import { getMeeting, getMeetingByNumber } from "../meetings/store.ts";
import type { Meeting } from "../meetings/store.ts";
import { getUser, normalizeEmail } from "../accounts/users.ts";
import { hashToken } from "../common/ids.ts";
import { mailLocale } from "../email/i18n.ts";
import type { Locale } from "../email/i18n.ts";
import { logger } from "../common/log.ts";
import {
  backoff,
  formatStart,
  GUEST_OFFSETS,
  isStillInvited,
  MAX_ATTEMPTS,
  meetingUrl,
  PLAN_HORIZON_MS,
  planReminders,
  reminderEmail,
  REPLAN_EVERY_MS,
  resolvePerson,
  retryFor,
  settledMarker,
  whenText,
} from "./planning.ts";
import type {
  Invitee,
  LiveReminder,
  Occurrence,
  PlanMessage,
  ReminderMessage,
  RemindMessage,
  RetryMessage,
  SendResult,
} from "./planning.ts";
import { getReminderMinutes } from "./prefs.ts";

import type { PushPayload, SendOutcome } from "./sender.ts";
import { pushFailureFields, pushToDevice } from "./device_push.ts";
import * as store from "./store.ts";
import type { Claim, MarkerRef } from "./store.ts";
import { getSubscription, listSubscriptions } from "./subscriptions.ts";
import type { PushSubscriptionRecord, Resolver } from "./subscriptions.ts";

export { dueReminders, isReminderMessage, MAX_ATTEMPTS, PLAN_HORIZON_MS, REPLAN_EVERY_MS } from "./planning.ts";
export type { Invitee, Occurrence, ReminderMessage } from "./planning.ts";

const log = logger("reminders");

export interface ScheduleSource {
  listOccurrences(kv: Store, meetingId: string, fromMs: number, toMs: number): Promise<Occurrence[]>;
  /** The first occurrence starting after `fromMs`, however far ahead (null: the series is over). */
  nextOccurrence(kv: Store, meetingId: string, fromMs: number): Promise<Occurrence | null>;
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
// Planning

/**
 * Marks a meeting's schedule as changed: bumps its plan sequence (which makes every reminder
 * queued so far stale) and enqueues a new plan, in one atomic commit. Returns the new sequence.
 */
export async function requestPlan(kv: Store, meetingId: string): Promise<number> {
  return await store.bumpPlan(kv, meetingId);
}

/** Re-plans every meeting whose reminders mention this person (after their offsets changed). */
export async function replanForPerson(kv: Store, userId: string): Promise<number> {
  const meetingIds = await store.plannedMeetingIds(kv, userId);
  for (const meetingId of meetingIds) await requestPlan(kv, meetingId);
  return meetingIds.length;
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

async function offsetsFor(kv: Store, userId: string | null): Promise<number[]> {
  return userId ? await getReminderMinutes(kv, userId) : [...GUEST_OFFSETS];
}

async function handlePlan(deps: ReminderDeps, msg: PlanMessage): Promise<void> {
  const { kv, schedule } = deps;
  let plan: store.PlanEntry | null = await store.readPlan(kv, msg.meetingId);
  if (plan.seq !== msg.seq) return; // superseded by a later change
  if (msg.rolling) {
    plan = await store.rollPlan(kv, plan);
    if (!plan) return; // a newer plan stands
  }
  const nowMs = Date.now();
  const occurrences = await schedule.listOccurrences(kv, msg.meetingId, nowMs, nowMs + PLAN_HORIZON_MS);
  const people = [];
  for (const invitee of await schedule.peopleFor(kv, msg.meetingId)) {
    const person = resolvePerson(invitee);
    people.push({ person, offsets: await offsetsFor(kv, person.userId) });
  }
  // Any occurrence ahead keeps the plan rolling: a series that never ends is planned 14 days at a
  // time for as long as it exists, and a long gap (every other year) does not end its reminders.
  const next = await schedule.nextOccurrence(kv, msg.meetingId, nowMs);
  const { messages, userIds } = planReminders({
    meetingId: msg.meetingId,
    seq: plan.seq,
    nowMs,
    occurrences,
    people,
    hasUpcoming: next !== null,
  });
  await store.indexPlannedMeetings(kv, msg.meetingId, userIds, PLAN_HORIZON_MS + REPLAN_EVERY_MS);
  if (!(await store.enqueueUnderPlan(kv, plan, messages))) return; // a newer plan stands
  log.info("reminders planned", { meetingId: msg.meetingId, seq: plan.seq, reminders: messages.length });
}

// ---------------------------------------------------------------------------------------------
// Delivery

async function loadMeeting(kv: Store, meetingId: string): Promise<Meeting | null> {
  const byId = await getMeeting(kv, meetingId);
  if (byId) return byId;
  return /^\d{10}$/.test(meetingId) ? await getMeetingByNumber(kv, meetingId) : null;
}

/**
 * What the reminder says and in which language; built at send time so "starts in" is true when it
 * arrives. The language is the person's account's, else (an invitee without an account) the
 * host's, as their invitation was, else English; times are in the person's zone, else UTC.
 */
async function reminderContent(
  deps: ReminderDeps,
  meeting: Meeting,
  person: Invitee,
  startMs: number,
): Promise<{ payload: PushPayload; locale: Locale }> {
  const account = person.userId ? await getUser(deps.kv, person.userId) : null;
  const host = account?.locale ? null : await getUser(deps.kv, meeting.hostId);
  const locale = mailLocale(account, host);
  const timeZone = account?.timeZone ?? "UTC";
  return {
    payload: {
      title: meeting.title,
      body: `${whenText(startMs, Date.now(), locale)} (${formatStart(startMs, timeZone, locale)})`,
      url: meetingUrl(deps.config.publicUrl, meeting),
    },
    locale,
  };
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
  if ((await store.readPlan(kv, msg.meetingId)).seq !== msg.seq) return; // the schedule changed after this was queued
  const occurrence = await findOccurrence(deps, msg.meetingId, msg.start, msg.recurrenceId);
  if (!occurrence || occurrence.end.getTime() <= Date.now()) return; // moved, cancelled, or over
  if (!isStillInvited(await deps.schedule.peopleFor(kv, msg.meetingId), msg.person)) return;
  if (!(await offsetsFor(kv, msg.person.userId ?? null)).includes(msg.offset)) return; // offset dropped since
  const meeting = await loadMeeting(kv, msg.meetingId);
  if (!meeting) return;
  const live: LiveReminder = { meetingId: msg.meetingId, meeting, person: msg.person, occurrence, offset: msg.offset };
  const email = normalizeEmail(msg.person.email);

  // Push or email is decided once per person and reminder, so a redelivery after the last device
  // went away cannot add an email to a push that already went out.
  const personKey = msg.person.userId ? `user:${msg.person.userId}` : `email:${await hashToken(email)}`;
  const subscriptions = msg.person.userId ? await listSubscriptions(kv, msg.person.userId) : [];
  const channel = await store.chooseChannel(
    kv,
    { personKey, meetingId: msg.meetingId, start: msg.start, offset: msg.offset },
    () => subscriptions.length > 0 ? "push" : "email",
  );
  if (channel === "push") {
    for (const sub of subscriptions) await deliverPush(deps, live, sub, 1);
  } else {
    await deliverEmail(deps, live, email, 1);
  }
}

async function markerRef(channel: RetryMessage["channel"], target: string, at: Omit<MarkerRef, "channel">) {
  const name = channel === "push" ? `push:${target}` : `email:${await hashToken(target)}`;
  return { channel: name, meetingId: at.meetingId, start: at.start, offset: at.offset };
}

/** Records how a claimed send ended; on a retryable failure, queues the next attempt in the same commit. */
async function settle(
  deps: ReminderDeps,
  claim: Claim,
  result: SendResult,
  retry: Omit<RetryMessage, "attempt">,
  attempt: number,
): Promise<void> {
  const next = settledMarker(result, attempt, Date.now());
  if (next.marker.state === "failed") {
    log.error("reminder not delivered", { key: claim.key.join("/"), attempt, detail: result.detail });
  }
  const { recorded, unchanged } = await store.settleMarker(
    deps.kv,
    claim,
    next.marker,
    next.retry ? { message: { ...retry, attempt: next.retry.attempt }, delayMs: next.retry.delayMs } : null,
  );
  if (!recorded) {
    log.warn("reminder outcome not recorded", { key: claim.key.join("/"), attempt, state: result.state, unchanged });
  }
}

async function deliverPush(deps: ReminderDeps, live: LiveReminder, sub: PushSubscriptionRecord, attempt: number) {
  const retry = retryFor(live, "push", sub.id);
  const claim = await store.claimMarker(deps.kv, await markerRef("push", sub.id, retry), attempt);
  if (!claim) return; // sent, being sent, or scheduled for retry by someone else
  const outcome: SendOutcome = await pushToDevice(
    deps,
    sub,
    async () => (await reminderContent(deps, live.meeting, live.person, retry.start)).payload,
    {
      ttlSeconds: Math.max(60, (retry.end - Date.now()) / 1000),
      topic: (await hashToken(`${retry.meetingId}:${retry.start}`)).slice(0, 32),
    },
  );
  if (outcome.kind === "sent") {
    await settle(deps, claim, { state: "sent" }, retry, attempt);
  } else if (outcome.kind === "gone") {
    await settle(deps, claim, { state: "gone", detail: String(outcome.status) }, retry, attempt);
  } else {
    const delayMs = outcome.kind === "retry" ? backoff(attempt, outcome.retryAfterMs) : null;
    log.warn("reminder push attempt failed", {
      meetingId: retry.meetingId,
      ...pushFailureFields(
        sub,
        outcome,
        attempt,
        MAX_ATTEMPTS,
        delayMs !== null && attempt < MAX_ATTEMPTS ? delayMs : null,
      ),
    });
    const settled: SendResult = delayMs !== null
      ? { state: "retry", detail: outcome.reason, delayMs }
      : { state: "failed", detail: outcome.reason };
    await settle(deps, claim, settled, retry, attempt);
  }
}

async function deliverEmail(deps: ReminderDeps, live: LiveReminder, email: string, attempt: number) {
  const retry = retryFor(live, "email", email);
  const claim = await store.claimMarker(deps.kv, await markerRef("email", email, retry), attempt);
  if (!claim) return;
  const { payload: content, locale } = await reminderContent(deps, live.meeting, live.person, retry.start);
  try {
    await deps.mailer.send({
      to: email,
      ...reminderEmail(live.meeting.title, content, deps.config.publicUrl, locale),
    });
    await settle(deps, claim, { state: "sent" }, retry, attempt);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const delayMs = backoff(attempt);
    log.warn("reminder email attempt failed", {
      meetingId: retry.meetingId,
      to: email,
      attempt,
      maxAttempts: MAX_ATTEMPTS,
      reason: detail,
      nextAttemptInMs: attempt < MAX_ATTEMPTS ? delayMs : null,
    });
    await settle(deps, claim, { state: "retry", detail, delayMs }, retry, attempt);
  }
}

async function handleRetry(deps: ReminderDeps, msg: RetryMessage): Promise<void> {
  if (msg.end <= Date.now()) {
    // Too late to be useful: close the marker so nothing else tries.
    const claim = await store.claimMarker(deps.kv, await markerRef(msg.channel, msg.target, msg), msg.attempt);
    if (claim) await settle(deps, claim, { state: "failed", detail: "meeting over" }, { ...msg }, MAX_ATTEMPTS);
    return;
  }
  const meeting = await loadMeeting(deps.kv, msg.meetingId);
  const occurrence = await findOccurrence(deps, msg.meetingId, msg.start, msg.recurrenceId);
  if (!meeting || !occurrence) return; // cancelled or moved since the first attempt: the marker stays in "retry"
  const live: LiveReminder = { meetingId: msg.meetingId, meeting, person: msg.person, occurrence, offset: msg.offset };
  if (msg.channel === "email") return await deliverEmail(deps, live, msg.target, msg.attempt);
  const sub = await getSubscription(deps.kv, msg.target);
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
