// Reminder planning without storage: which reminders one plan queues and when, what a retry
// carries, how a send's outcome turns into the next "sent" marker, and what a reminder says.
// Pure functions (the clock is a parameter); lib/reminders/reminders.ts runs them over the store.

import { normalizeEmail } from "../accounts/users.ts";
import type { Meeting } from "../meetings/store.ts";
import { translator } from "../i18n/translate.ts";
import type { Locale } from "../i18n/locales.ts";
import { langAttributes } from "../email/i18n.ts";

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

// ---------------------------------------------------------------------------------------------
// Tunables

/** Reminders are queued for occurrences starting within this window… */
export const PLAN_HORIZON_MS = 14 * 24 * 3600_000;
/** …and the plan rolls forward this often, so HORIZON − REPLAN ≥ the longest offset (one week). */
export const REPLAN_EVERY_MS = 7 * 24 * 3600_000;
/** Send attempts per device or address (the first try and retries). */
export const MAX_ATTEMPTS = 4;
/** Delay before attempt n+1 (30 s, 2 min, 10 min). */
export const RETRY_BACKOFF_MS = [30_000, 120_000, 600_000];
/** The offsets of a person without an account (minutes before the start). */
export const GUEST_OFFSETS: readonly number[] = [10];

// ---------------------------------------------------------------------------------------------
// Queue messages and marker records

export interface PlanMessage {
  type: "reminders.plan";
  meetingId: string;
  seq: number;
  /** The weekly roll-forward: bumps the sequence itself before planning. */
  rolling?: boolean;
}

export interface RemindMessage {
  type: "reminders.remind";
  meetingId: string;
  seq: number;
  person: Invitee;
  start: number;
  recurrenceId: string;
  offset: number;
}

export interface RetryMessage {
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

/** A queue message and how long the queue holds it back. */
export interface Delayed {
  message: ReminderMessage;
  delay: number;
}

/** True for the queue messages this capability handles (the queue is shared with other work). */
export function isReminderMessage(msg: unknown): msg is ReminderMessage {
  const type = (msg as { type?: unknown } | null)?.type;
  return typeof type === "string" && type.startsWith("reminders.");
}

export type MarkerState = "sending" | "sent" | "retry" | "gone" | "failed";

/** The record behind one reminder on one channel, created before the send (at most once). */
export interface SentMarker {
  state: MarkerState;
  /** The attempt in flight ("sending") or due next ("retry"). */
  attempt: number;
  at: string;
  detail?: string;
}

// ---------------------------------------------------------------------------------------------
// Planning

/**
 * Who a reminder is for. Only scheduling's `userId` links an invitee to an account (it checks the
 * account's address is verified): matching addresses here would hand an invitation's reminders to
 * whoever signed up with that address without proving they own it.
 */
export function resolvePerson(person: Invitee): { userId: string | null; email: string } {
  return { userId: person.userId ?? null, email: normalizeEmail(person.email) };
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

/** What one plan run knows: the schedule as read now and each person's offsets. */
export interface PlanInput {
  meetingId: string;
  seq: number;
  nowMs: number;
  /** Occurrences overlapping [now, now + PLAN_HORIZON_MS); only those starting inside it count. */
  occurrences: Occurrence[];
  people: { person: { userId: string | null; email: string }; offsets: number[] }[];
  /** Whether any occurrence starts after now, however far ahead (then the plan rolls forward). */
  hasUpcoming: boolean;
}

/**
 * The messages one plan queues (a reminder per occurrence × person × due offset, each delayed to
 * its time, then the roll-forward) and the accounts it mentions. Same input, same output.
 */
export function planReminders(input: PlanInput): { messages: Delayed[]; userIds: string[] } {
  const { meetingId, seq, nowMs } = input;
  const starts = input.occurrences.filter((o) =>
    o.start.getTime() > nowMs && o.start.getTime() <= nowMs + PLAN_HORIZON_MS
  );
  const messages: Delayed[] = [];
  const userIds: string[] = [];
  for (const { person, offsets } of input.people) {
    if (person.userId) userIds.push(person.userId);
    for (const occ of starts) {
      for (const { offset, dueMs } of dueReminders(occ.start.getTime(), offsets, nowMs)) {
        const message: RemindMessage = {
          type: "reminders.remind",
          meetingId,
          seq,
          person: { ...(person.userId ? { userId: person.userId } : {}), email: person.email },
          start: occ.start.getTime(),
          recurrenceId: occ.recurrenceId,
          offset,
        };
        messages.push({ message, delay: Math.max(0, dueMs - nowMs) });
      }
    }
  }
  if (input.hasUpcoming) {
    messages.push({ message: { type: "reminders.plan", meetingId, seq, rolling: true }, delay: REPLAN_EVERY_MS });
  }
  return { messages, userIds };
}

/** Whether the person a queued reminder names is still among the meeting's people. */
export function isStillInvited(people: Invitee[], person: Invitee): boolean {
  const email = normalizeEmail(person.email);
  return people.some((p) => (person.userId && p.userId === person.userId) || normalizeEmail(p.email) === email);
}

// ---------------------------------------------------------------------------------------------
// Delivery decisions

/** Everything a send needs, re-checked against the schedule. */
export interface LiveReminder {
  /** The schedule's id for the meeting (what markers and messages carry). */
  meetingId: string;
  meeting: Meeting;
  person: Invitee;
  occurrence: Occurrence;
  offset: number;
}

/** The retry message for one reminder on one channel, before its attempt number is known. */
export function retryFor(
  live: LiveReminder,
  channel: RetryMessage["channel"],
  target: string,
): Omit<RetryMessage, "attempt"> {
  return {
    type: "reminders.retry",
    channel,
    target,
    meetingId: live.meetingId,
    person: live.person,
    start: live.occurrence.start.getTime(),
    end: live.occurrence.end.getTime(),
    recurrenceId: live.occurrence.recurrenceId,
    offset: live.offset,
  };
}

/** The wait before the attempt after `attempt`: the backoff table, or the service's longer hint, at most an hour. */
export function backoff(attempt: number, hintMs?: number): number {
  const base = RETRY_BACKOFF_MS[Math.min(attempt - 1, RETRY_BACKOFF_MS.length - 1)];
  return Math.min(Math.max(base, hintMs ?? 0), 3600_000);
}

export type SendResult =
  | { state: "sent" | "gone" | "failed"; detail?: string }
  | { state: "retry"; detail: string; delayMs: number };

/**
 * The marker a claimed send leaves behind, and the retry to queue with it: a retryable failure
 * below MAX_ATTEMPTS becomes "retry" for the next attempt; at the last attempt it is "failed".
 */
export function settledMarker(
  result: SendResult,
  attempt: number,
  nowMs: number,
): { marker: SentMarker; retry: { attempt: number; delayMs: number } | null } {
  const at = new Date(nowMs).toISOString();
  if (result.state === "retry" && attempt < MAX_ATTEMPTS) {
    return {
      marker: { state: "retry", attempt: attempt + 1, at, detail: result.detail },
      retry: { attempt: attempt + 1, delayMs: result.delayMs },
    };
  }
  const state = result.state === "retry" ? "failed" : result.state;
  return { marker: { state, attempt, at, detail: result.detail }, retry: null };
}

// ---------------------------------------------------------------------------------------------
// What a reminder says

export function meetingUrl(publicUrl: string, meeting: Meeting): string {
  return `${publicUrl}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;
}

/**
 * The start as the person reads it ("1 Mar 2027, 15:05 CET"), in their zone and language (English
 * written the British way). Fields, not dateStyle/timeStyle: Intl refuses those beside timeZoneName.
 */
export function formatStart(startMs: number, timeZone: string, locale: Locale = "en"): string {
  try {
    return new Intl.DateTimeFormat(locale === "en" ? "en-GB" : locale, {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone,
      timeZoneName: "short",
    })
      .format(new Date(startMs));
  } catch {
    return new Date(startMs).toISOString();
  }
}

/** "Starts in 10 minutes" (hours from 90 minutes, days from 36 hours) in `locale`. */
export function whenText(startMs: number, nowMs: number, locale: Locale = "en"): string {
  const t = translator(locale);
  const minutes = Math.round((startMs - nowMs) / 60_000);
  if (minutes <= 0) return t("mail.reminder.startingNow");
  if (minutes < 90) return t("mail.reminder.inMinutes", { count: minutes });
  const hours = Math.round(minutes / 60);
  if (hours < 36) return t("mail.reminder.inHours", { count: hours });
  return t("mail.reminder.inDays", { count: Math.round(hours / 24) });
}

/** The email for a person without a device, in their language; `body` and `url` come from the push payload. */
export function reminderEmail(
  title: string,
  content: { body: string; url: string },
  publicUrl: string,
  locale: Locale = "en",
): { subject: string; text: string; html: string } {
  const t = translator(locale);
  const prefs = `${publicUrl}/account/notifications`;
  return {
    subject: t("mail.reminder.subject", { title }),
    text: `${title}\n${content.body}\n\n${t("mail.join.link", { url: content.url })}\n\n` +
      `${t("mail.reminder.why")} ${t("mail.reminder.choose", { url: prefs })}\n`,
    html: `<div ${langAttributes(locale)}>` +
      `<p><strong>${escapeHtml(title)}</strong><br>${escapeHtml(content.body)}</p>` +
      `<p><a href="${escapeHtml(content.url)}">${escapeHtml(t("mail.join.button"))}</a></p>` +
      `<p>${escapeHtml(t("mail.reminder.why"))} ` +
      `<a href="${escapeHtml(prefs)}">${escapeHtml(t("mail.reminder.chooseLink"))}</a>.</p></div>`,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
