// The pure planning rules: what one plan queues, who is still invited, the retry and marker rules.

import assert from "node:assert/strict";
import {
  backoff,
  dueReminders,
  formatStart,
  isStillInvited,
  MAX_ATTEMPTS,
  PLAN_HORIZON_MS,
  planReminders,
  reminderEmail,
  REPLAN_EVERY_MS,
  retryFor,
  settledMarker,
  whenText,
} from "./planning.ts";
import type { LiveReminder, Occurrence, RemindMessage } from "./planning.ts";
import type { Meeting } from "../meetings/store.ts";

const MIN = 60_000;
const now = Date.UTC(2026, 0, 5, 9, 0);

function occ(startMs: number, recurrenceId = String(startMs)): Occurrence {
  return { start: new Date(startMs), end: new Date(startMs + 30 * MIN), recurrenceId };
}

Deno.test("dueReminders: future offsets at their time, past ones collapse into one sent now", () => {
  const start = now + 30 * MIN;
  assert.deepEqual(dueReminders(start, [10, 60], now), [{ offset: 60, dueMs: now }, {
    offset: 10,
    dueMs: start - 10 * MIN,
  }]);
  assert.deepEqual(dueReminders(start, [60, 120], now), [{ offset: 60, dueMs: now }]);
  assert.deepEqual(dueReminders(start, [0, 5], now), [{ offset: 5, dueMs: start - 5 * MIN }, {
    offset: 0,
    dueMs: start,
  }]);
  assert.deepEqual(dueReminders(now - 1, [10], now), [], "an occurrence that started gets no reminder");
});

Deno.test("planReminders: one message per occurrence × person × due offset, delayed to its time, then the roll-forward", () => {
  const first = now + 2 * 60 * MIN;
  const second = now + 26 * 60 * MIN;
  const { messages, userIds } = planReminders({
    meetingId: "m1",
    seq: 3,
    nowMs: now,
    occurrences: [occ(now - MIN), occ(first), occ(second), occ(now + PLAN_HORIZON_MS + MIN)],
    people: [
      { person: { userId: "u1", email: "ada@example.com" }, offsets: [10, 60] },
      { person: { userId: null, email: "guest@example.com" }, offsets: [10] },
    ],
    hasUpcoming: true,
  });
  assert.deepEqual(userIds, ["u1"], "only accounts are indexed");
  const reminds = messages.filter((m) => m.message.type === "reminders.remind");
  assert.equal(reminds.length, 2 * 2 + 2, "started and beyond-horizon occurrences are skipped");
  const adaFirst = reminds.find((m) =>
    (m.message as RemindMessage).person.userId === "u1" && (m.message as RemindMessage).start === first &&
    (m.message as RemindMessage).offset === 60
  );
  assert.equal(adaFirst?.delay, first - 60 * MIN - now);
  const guest = reminds.find((m) => (m.message as RemindMessage).person.email === "guest@example.com");
  assert.deepEqual(Object.keys((guest!.message as RemindMessage).person), ["email"], "no userId key for guests");
  assert.ok(reminds.every((m) => (m.message as RemindMessage).seq === 3 && m.message.meetingId === "m1"));
  assert.deepEqual(messages.at(-1), {
    message: { type: "reminders.plan", meetingId: "m1", seq: 3, rolling: true },
    delay: REPLAN_EVERY_MS,
  });
});

Deno.test("planReminders: nothing ahead means no roll-forward", () => {
  const { messages } = planReminders({
    meetingId: "m",
    seq: 1,
    nowMs: now,
    occurrences: [],
    people: [],
    hasUpcoming: false,
  });
  assert.deepEqual(messages, []);
});

Deno.test("isStillInvited matches by account or by normalized address", () => {
  const people = [{ userId: "u1", email: "a@example.com" }, { email: "Guest@Example.com" }];
  assert.ok(isStillInvited(people, { userId: "u1", email: "changed@example.com" }));
  assert.ok(isStillInvited(people, { email: "guest@example.com" }));
  assert.ok(!isStillInvited(people, { userId: "u2", email: "other@example.com" }));
});

Deno.test("retryFor carries the reminder's identity for either channel", () => {
  const live: LiveReminder = {
    meetingId: "m1",
    meeting: { title: "Standup" } as Meeting,
    person: { userId: "u1", email: "a@example.com" },
    occurrence: occ(now + 60 * MIN, "r1"),
    offset: 10,
  };
  assert.deepEqual(retryFor(live, "email", "a@example.com"), {
    type: "reminders.retry",
    channel: "email",
    target: "a@example.com",
    meetingId: "m1",
    person: live.person,
    start: now + 60 * MIN,
    end: now + 90 * MIN,
    recurrenceId: "r1",
    offset: 10,
  });
});

Deno.test("settledMarker: a retryable failure becomes the next attempt until the last, which fails", () => {
  const retry = { state: "retry" as const, detail: "503", delayMs: 30_000 };
  assert.deepEqual(settledMarker(retry, 1, now), {
    marker: { state: "retry", attempt: 2, at: new Date(now).toISOString(), detail: "503" },
    retry: { attempt: 2, delayMs: 30_000 },
  });
  const last = settledMarker(retry, MAX_ATTEMPTS, now);
  assert.equal(last.marker.state, "failed");
  assert.equal(last.marker.attempt, MAX_ATTEMPTS);
  assert.equal(last.retry, null);
  assert.deepEqual(settledMarker({ state: "sent" }, 2, now).marker.state, "sent");
});

Deno.test("backoff follows the table, honours a longer hint, and caps at an hour", () => {
  assert.equal(backoff(1), 30_000);
  assert.equal(backoff(3), 600_000);
  assert.equal(backoff(9), 600_000);
  assert.equal(backoff(1, 90_000), 90_000);
  assert.equal(backoff(1, 10 * 3600_000), 3600_000);
});

Deno.test("whenText and the email text", () => {
  assert.equal(whenText(now + MIN, now), "Starts in 1 minute");
  assert.equal(whenText(now + 2 * 3600_000, now), "Starts in 2 hours");
  assert.equal(whenText(now - 1, now), "Starting now");
  const mail = reminderEmail("<Plans>", { body: "Starts in 5 minutes", url: "http://x/m/1?pwd=a&b" }, "http://x");
  assert.equal(mail.subject, "Reminder: <Plans>");
  assert.match(mail.html, /&lt;Plans&gt;/);
  assert.match(mail.html, /pwd=a&amp;b/);
  assert.doesNotMatch(mail.html, /<Plans>/);
});

Deno.test("whenText in German, Spanish and Arabic (its plural forms), and an Arabic reminder email is right to left", () => {
  assert.equal(formatStart(now, "Europe/Berlin"), "5 Jan 2026, 10:00 CET");
  assert.equal(formatStart(now, "Europe/Berlin", "de"), "5. Jan. 2026, 10:00 MEZ");
  assert.equal(whenText(now + MIN, now, "de"), "Beginnt in 1 Minute");
  assert.equal(whenText(now + 10 * MIN, now, "de"), "Beginnt in 10 Minuten");
  assert.equal(whenText(now + 10 * MIN, now, "es"), "Empieza en 10 minutos");
  assert.equal(whenText(now + 3 * 86_400_000, now, "es"), "Empieza en 3 días");
  assert.equal(whenText(now - 1, now, "es"), "Empieza ahora");
  assert.equal(whenText(now + 2 * MIN, now, "ar"), "يبدأ بعد دقيقتين");
  assert.equal(whenText(now + 5 * MIN, now, "ar"), "يبدأ بعد 5 دقائق");
  assert.equal(whenText(now + 15 * MIN, now, "ar"), "يبدأ بعد 15 دقيقة");
  const mail = reminderEmail("<Plans>", { body: "x", url: "http://x/m/1" }, "http://x", "ar");
  assert.equal(mail.subject, "تذكير: <Plans>");
  assert.match(mail.html, /^<div lang="ar" dir="rtl">/);
  assert.match(mail.html, /&lt;Plans&gt;/);
});
