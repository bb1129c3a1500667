// Reminders end to end within one process: planning on the KV queue, exactly-once sends under
// redelivery and concurrency, stale plans, cancelled occurrences, gone devices, retries, email.

import type { Store } from "../common/store.ts";
import assert from "node:assert/strict";
import { loadConfig } from "../common/config.ts";
import { createMeeting } from "../meetings/store.ts";
import { createUser, updateUser } from "../accounts/users.ts";
import type { MailMessage } from "../email/mailer.ts";
import { setQuiet } from "../common/log.ts";
import { startBackgroundWork } from "./background.ts";
import { pushKeys } from "./keys.ts";
import { setReminderMinutes } from "./prefs.ts";
import { handleReminderMessage, PLAN_HORIZON_MS, requestPlan } from "./reminders.ts";
import type { ReminderDeps, ReminderMessage, ScheduleSource } from "./reminders.ts";
import { planReminders } from "./planning.ts";
import * as scheduling from "../scheduling/occurrences.ts";
import { createScheduledMeeting } from "../scheduling/schedule.ts";
import { formatLocal, toLocal } from "../scheduling/tz.ts";
import { listSubscriptions, saveSubscription } from "./subscriptions.ts";
import { decryptPush, makeSubscriber, MemorySchedule, RecordingPushService, verifyVapid, waitFor } from "./testing.ts";
import type { Subscriber } from "./testing.ts";
import { loadVapidKeys } from "./vapid.ts";

setQuiet(true);

class Mailbox {
  readonly sent: MailMessage[] = [];
  send(m: MailMessage): Promise<void> {
    this.sent.push(m);
    return Promise.resolve();
  }
}

interface World {
  kv: Store;
  deps: ReminderDeps;
  schedule: MemorySchedule;
  push: RecordingPushService;
  mail: Mailbox;
  stop(): Promise<void>;
}

async function world(): Promise<World> {
  const kv = await Deno.openKv(":memory:");
  const schedule = new MemorySchedule();
  const push = new RecordingPushService();
  const mail = new Mailbox();
  const config = loadConfig({ TALKSPACE_ENV: "development", PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });
  const deps: ReminderDeps = { kv, config, mailer: mail, schedule, fetch: push.fetch, env: {} };
  const { stopped } = startBackgroundWork(deps);
  return {
    kv,
    deps,
    schedule,
    push,
    mail,
    async stop() {
      kv.close();
      await stopped;
    },
  };
}

async function person(kv: Store, email: string) {
  return await createUser(kv, { name: email.split("@")[0], email, passwordHash: "$argon2id$unused" });
}

async function subscribe(kv: Store, userId: string, name: string): Promise<Subscriber & { endpoint: string }> {
  const s = await makeSubscriber();
  const endpoint = `https://push.example.test/${name}`;
  await saveSubscription(kv, userId, s.json(endpoint), "Test browser");
  return { ...s, endpoint };
}

const MIN = 60_000;

Deno.test("a meeting scheduled at short notice reminds each device once, encrypted for it and VAPID-signed", async () => {
  const w = await world();
  try {
    const ada = await person(w.kv, "ada@example.org");
    const meeting = await createMeeting(w.kv, { hostId: ada.id, title: "Design review" });
    const phone = await subscribe(w.kv, ada.id, "phone");
    const laptop = await subscribe(w.kv, ada.id, "laptop");
    const start = new Date(Date.now() + 5 * MIN);
    await w.schedule.set(
      meeting.meetingId,
      [{ start, end: new Date(start.getTime() + 30 * MIN), recurrenceId: "r1" }],
      [
        { userId: ada.id, email: ada.email },
      ],
    );
    await waitFor("two pushes", () => w.push.requests.length >= 2);
    const vapid = await loadVapidKeys(w.kv, w.deps.config, {});
    for (const sub of [phone, laptop]) {
      const req = w.push.requests.find((r) => r.url === sub.endpoint);
      assert.ok(req, `nothing was sent to ${sub.endpoint}`);
      const claims = await verifyVapid(req.headers.get("authorization"), vapid.publicKey, "https://push.example.test");
      assert.match(claims.sub, /^mailto:/);
      assert.equal(req.headers.get("content-encoding"), "aes128gcm");
      assert.ok(Number(req.headers.get("ttl")) >= 60);
      const payload = JSON.parse(await decryptPush(req.body, sub));
      assert.equal(payload.title, "Design review");
      assert.match(payload.body, /^Starts in 5 minutes/);
      assert.equal(
        payload.url,
        `http://localhost:8000/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`,
      );
    }
    // The other device's key cannot read this device's message.
    const toPhone = w.push.requests.find((r) => r.url === phone.endpoint)!;
    await assert.rejects(() => decryptPush(toPhone.body, laptop));

    // Redelivery of the same reminder, from two "processes" at once, sends nothing more.
    const plan = (await w.kv.get<{ seq: number }>(pushKeys.plan(meeting.meetingId))).value!;
    const again: ReminderMessage = {
      type: "reminders.remind",
      meetingId: meeting.meetingId,
      seq: plan.seq,
      person: { userId: ada.id, email: ada.email },
      start: start.getTime(),
      recurrenceId: "r1",
      offset: 10,
    };
    await Promise.all([handleReminderMessage(w.deps, again), handleReminderMessage(w.deps, again)]);
    assert.equal(w.push.requests.length, 2, "a redelivered reminder was sent again");
    assert.equal(w.mail.sent.length, 0, "people with devices get no email");
  } finally {
    await w.stop();
  }
});

Deno.test("concurrent deliveries of one reminder send exactly once per device", async () => {
  const w = await world();
  try {
    const ada = await person(w.kv, "ada@example.org");
    const meeting = await createMeeting(w.kv, { hostId: ada.id, title: "Standup" });
    await subscribe(w.kv, ada.id, "phone");
    const start = new Date(Date.now() + 60 * MIN);
    // Set the schedule without telling listeners, so only our hand-made deliveries run.
    w.schedule.occurrences.set(meeting.meetingId, [{
      start,
      end: new Date(start.getTime() + 15 * MIN),
      recurrenceId: "r",
    }]);
    w.schedule.people.set(meeting.meetingId, [{ userId: ada.id, email: ada.email }]);
    await w.kv.set(pushKeys.plan(meeting.meetingId), { seq: 7, changedAt: "" });
    const msg: ReminderMessage = {
      type: "reminders.remind",
      meetingId: meeting.meetingId,
      seq: 7,
      person: { userId: ada.id, email: ada.email },
      start: start.getTime(),
      recurrenceId: "r",
      offset: 10,
    };
    await Promise.all(Array.from({ length: 8 }, () => handleReminderMessage(w.deps, msg)));
    assert.equal(w.push.requests.length, 1);
  } finally {
    await w.stop();
  }
});

Deno.test("reminders queued before a schedule change are stale; moved and cancelled occurrences get none", async () => {
  const w = await world();
  try {
    const ada = await person(w.kv, "ada@example.org");
    const meeting = await createMeeting(w.kv, { hostId: ada.id, title: "Planning" });
    await subscribe(w.kv, ada.id, "phone");
    const start = Date.now() + 60 * MIN;
    const occ = { start: new Date(start), end: new Date(start + 30 * MIN), recurrenceId: "r1" };
    w.schedule.occurrences.set(meeting.meetingId, [occ]);
    w.schedule.people.set(meeting.meetingId, [{ userId: ada.id, email: ada.email }]);
    const oldSeq = await requestPlan(w.kv, meeting.meetingId);
    await waitFor(
      "the plan to run",
      async () => (await w.kv.get(pushKeys.plannedMeetingByUser(ada.id, meeting.meetingId))).value,
    );
    const queued: ReminderMessage = {
      type: "reminders.remind",
      meetingId: meeting.meetingId,
      seq: oldSeq,
      person: { userId: ada.id, email: ada.email },
      start,
      recurrenceId: "r1",
      offset: 10,
    };
    // The meeting moves by a day: the old message (due in 50 minutes) must not send when it fires.
    const moved = { ...occ, start: new Date(start + 1440 * MIN), end: new Date(start + 1470 * MIN) };
    await w.schedule.set(meeting.meetingId, [moved], [{ userId: ada.id, email: ada.email }]);
    await handleReminderMessage(w.deps, queued);
    assert.equal(w.push.requests.length, 0, "a stale reminder was sent");

    // Even with a current sequence, an occurrence that no longer exists gets nothing.
    const seq = (await w.kv.get<{ seq: number }>(pushKeys.plan(meeting.meetingId))).value!.seq;
    await handleReminderMessage(w.deps, { ...queued, seq });
    assert.equal(w.push.requests.length, 0, "a reminder for a moved occurrence was sent");
    // The moved occurrence's own reminder does send.
    await handleReminderMessage(w.deps, { ...queued, seq, start: moved.start.getTime() });
    assert.equal(w.push.requests.length, 1);
    // An offset the person no longer chose gets nothing.
    await handleReminderMessage(w.deps, { ...queued, seq, start: moved.start.getTime(), offset: 60 });
    assert.equal(w.push.requests.length, 1, "an offset the person did not choose was sent");
  } finally {
    await w.stop();
  }
});

Deno.test("a 410 removes the device; a 5xx is retried under the same marker and sent once", async () => {
  const w = await world();
  try {
    const ada = await person(w.kv, "ada@example.org");
    const meeting = await createMeeting(w.kv, { hostId: ada.id, title: "Retro" });
    const gone = await subscribe(w.kv, ada.id, "gone");
    const flaky = await subscribe(w.kv, ada.id, "flaky");
    const start = Date.now() + 60 * MIN;
    w.schedule.occurrences.set(meeting.meetingId, [{
      start: new Date(start),
      end: new Date(start + 30 * MIN),
      recurrenceId: "r",
    }]);
    w.schedule.people.set(meeting.meetingId, [{ userId: ada.id, email: ada.email }]);
    await w.kv.set(pushKeys.plan(meeting.meetingId), { seq: 1, changedAt: "" });
    w.push.answer(gone.endpoint, 410);
    w.push.answer(flaky.endpoint, 503);
    const msg: ReminderMessage = {
      type: "reminders.remind",
      meetingId: meeting.meetingId,
      seq: 1,
      person: { userId: ada.id, email: ada.email },
      start,
      recurrenceId: "r",
      offset: 10,
    };
    await handleReminderMessage(w.deps, msg);
    // A person's devices are sent to concurrently: which request arrives first is not part of the contract.
    assert.deepEqual(w.push.requests.map((r) => r.url).sort(), [gone.endpoint, flaky.endpoint].sort());
    assert.deepEqual((await listSubscriptions(w.kv, ada.id)).map((s) => s.endpoint), [flaky.endpoint]);

    const flakyId = (await listSubscriptions(w.kv, ada.id))[0].id;
    const markerKey = pushKeys.reminderSent(`push:${flakyId}`, meeting.meetingId, start, 10);
    const marker = (await w.kv.get<{ state: string; attempt: number }>(markerKey)).value;
    assert.deepEqual([marker?.state, marker?.attempt], ["retry", 2]);

    // The retry (queued with a 30 s delay) is delivered by hand here; a wrong attempt number is ignored.
    const retry: ReminderMessage = {
      type: "reminders.retry",
      channel: "push",
      target: flakyId,
      meetingId: meeting.meetingId,
      person: msg.person,
      start,
      end: start + 30 * MIN,
      recurrenceId: "r",
      offset: 10,
      attempt: 3,
    };
    await handleReminderMessage(w.deps, retry);
    assert.equal(w.push.requests.length, 2, "a retry for the wrong attempt was sent");
    await Promise.all([
      handleReminderMessage(w.deps, { ...retry, attempt: 2 }),
      handleReminderMessage(w.deps, { ...retry, attempt: 2 }),
    ]);
    assert.equal(w.push.requests.length, 3);
    assert.equal((await w.kv.get<{ state: string }>(markerKey)).value?.state, "sent");
    // The next reminder goes to the remaining device only.
    await handleReminderMessage(w.deps, { ...msg, start: start, offset: 10 });
    assert.equal(w.push.requests.length, 3, "the first reminder went out twice");
  } finally {
    await w.stop();
  }
});

Deno.test("people without devices (and invitees without accounts) get one email reminder", async () => {
  const w = await world();
  try {
    const ada = await person(w.kv, "ada@example.org");
    await setReminderMinutes(w.kv, ada.id, [10, 60]);
    const meeting = await createMeeting(w.kv, { hostId: ada.id, title: "Board meeting" });
    // Both of Ada's offsets and the guest's default 10 minutes are already past: one reminder each, now.
    const start = new Date(Date.now() + 5 * MIN);
    await w.schedule.set(meeting.meetingId, [{ start, end: new Date(start.getTime() + 60 * MIN), recurrenceId: "r" }], [
      { userId: ada.id, email: ada.email },
      { email: "guest@example.net" },
    ]);
    await waitFor("two emails", () => w.mail.sent.length >= 2);
    const toAda = w.mail.sent.filter((m) => m.to === "ada@example.org");
    const toGuest = w.mail.sent.filter((m) => m.to === "guest@example.net");
    assert.equal(toAda.length, 1);
    assert.equal(toGuest.length, 1);
    assert.match(toAda[0].subject, /Board meeting/);
    assert.ok(toAda[0].text.includes(`/m/${meeting.meetingId}?pwd=`), "the email has no join link");
    // Re-planning (another change) does not repeat the reminders already sent.
    await w.schedule.set(meeting.meetingId, [{ start, end: new Date(start.getTime() + 60 * MIN), recurrenceId: "r" }], [
      { userId: ada.id, email: ada.email },
      { email: "guest@example.net" },
    ]);
    const seq = (await w.kv.get<{ seq: number }>(pushKeys.plan(meeting.meetingId))).value!.seq;
    await handleReminderMessage(w.deps, { type: "reminders.plan", meetingId: meeting.meetingId, seq });
    assert.equal(w.mail.sent.length, 2);
    assert.equal(w.push.requests.length, 0);
  } finally {
    await w.stop();
  }
});

Deno.test("a series that never ends is planned from the real schedule years after its start, and keeps rolling", async () => {
  const kv = await Deno.openKv(":memory:");
  const mail = new Mailbox();
  const config = loadConfig({ TALKSPACE_ENV: "development", PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });
  // lib/scheduling itself, with its change hook released when the test ends.
  const offs: (() => void)[] = [];
  const schedule: ScheduleSource = {
    listOccurrences: scheduling.listOccurrences,
    nextOccurrence: scheduling.nextOccurrence,
    peopleFor: scheduling.peopleFor,
    onScheduleChange: (listener) => offs.push(scheduling.onScheduleChange(listener)),
  };
  const deps: ReminderDeps = { kv, config, mailer: mail, schedule, env: {} };
  const { stopped } = startBackgroundWork(deps);
  try {
    const ada = await person(kv, "ada@example.org");
    // Daily at the minute five minutes from now, UTC, first held seven years ago: over 2,500
    // meetings before today's, more than a walk from the first meeting would ever reach.
    const soon = Math.ceil((Date.now() + 5 * MIN) / MIN) * MIN;
    const { meeting } = await createScheduledMeeting(kv, {
      hostId: ada.id,
      title: "Daily standup",
      startsAt: formatLocal(toLocal("UTC", soon - 7 * 365 * 86_400_000)),
      timeZone: "UTC",
      durationMinutes: 15,
      rrule: "FREQ=DAILY",
      description: "",
      invitees: [],
      uidDomain: "localhost",
    });
    await waitFor("today's reminder", () => mail.sent.length >= 1);
    assert.match(mail.sent[0].subject, /Daily standup/);
    assert.ok(mail.sent[0].text.includes(`/m/${meeting.meetingId}?pwd=`));

    // The plan's own run (what the queue delivers): two weeks of reminders and the roll-forward.
    const seq = (await kv.get<{ seq: number }>(pushKeys.plan(meeting.meetingId))).value!.seq;
    const next = await scheduling.nextOccurrence(kv, meeting.meetingId, Date.now() + 400 * 86_400_000);
    assert.ok(next, "an occurrence beyond any fixed horizon");
    const occurrences = await scheduling.listOccurrences(
      kv,
      meeting.meetingId,
      Date.now(),
      Date.now() + PLAN_HORIZON_MS,
    );
    const { messages } = planReminders({
      meetingId: meeting.meetingId,
      seq,
      nowMs: Date.now(),
      occurrences,
      people: [{ person: { userId: ada.id, email: ada.email }, offsets: [10] }],
      hasUpcoming: next !== null,
    });
    assert.equal(messages.filter((m) => m.message.type === "reminders.remind").length, 14, "one a day for 14 days");
    assert.deepEqual(messages.at(-1)?.message, {
      type: "reminders.plan",
      meetingId: meeting.meetingId,
      seq,
      rolling: true,
    });
  } finally {
    for (const off of offs) off();
    kv.close();
    await stopped;
  }
});

Deno.test("a plan keeps rolling while the next meeting is further off than a year (every other year)", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const ada = await person(kv, "ada@example.org");
    const start = toLocal("UTC", Date.now() + 30 * 86_400_000);
    const { meeting } = await createScheduledMeeting(kv, {
      hostId: ada.id,
      title: "Biennial review",
      startsAt: formatLocal({ ...start, hour: 9, minute: 0, second: 0 }),
      timeZone: "UTC",
      durationMinutes: 60,
      rrule: "FREQ=YEARLY;INTERVAL=2",
      description: "",
      invitees: [],
      uidDomain: "localhost",
    });
    // Just after this year's meeting, the next is two years away: the plan must still roll on.
    const afterFirst = Date.now() + 31 * 86_400_000;
    const next = await scheduling.nextOccurrence(kv, meeting.meetingId, afterFirst);
    assert.ok(next && next.start.getTime() - afterFirst > 700 * 86_400_000, "the next one is two years on");
    const { messages } = planReminders({
      meetingId: meeting.meetingId,
      seq: 1,
      nowMs: afterFirst,
      occurrences: await scheduling.listOccurrences(kv, meeting.meetingId, afterFirst, afterFirst + PLAN_HORIZON_MS),
      people: [],
      hasUpcoming: next !== null,
    });
    assert.deepEqual(messages.map((m) => m.message.type), ["reminders.plan"]);
  } finally {
    kv.close();
  }
});

Deno.test("a push reminder speaks the recipient's language, the time in their zone; an email to a guest speaks the host's", async () => {
  const w = await world();
  try {
    const host = await person(w.kv, "heike@example.org");
    await updateUser(w.kv, host.id, () => ({ locale: "de" }));
    const ana = await person(w.kv, "ana@example.org");
    await updateUser(w.kv, ana.id, () => ({ locale: "es", timeZone: "Europe/Madrid" }));
    const phone = await subscribe(w.kv, ana.id, "phone");
    const meeting = await createMeeting(w.kv, { hostId: host.id, title: "Revisión de diseño" });
    // The default 10 minutes before is already past: the reminder goes out now.
    const start = new Date(Date.now() + 5 * MIN);
    await w.schedule.set(meeting.meetingId, [{ start, end: new Date(start.getTime() + 30 * MIN), recurrenceId: "r" }], [
      { userId: ana.id, email: ana.email },
      { email: "guest@example.net" },
    ]);
    await waitFor("a push and an email", () => w.push.requests.length >= 1 && w.mail.sent.length >= 1);

    const req = w.push.requests.find((r) => r.url === phone.endpoint)!;
    const payload = JSON.parse(await decryptPush(req.body, phone));
    assert.equal(payload.title, "Revisión de diseño", "the title as the host wrote it");
    const when = new Intl.DateTimeFormat("es", {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone: "Europe/Madrid",
      timeZoneName: "short",
    }).format(start);
    assert.match(when, /^\d{1,2} [a-z]{3,4}\.? \d{4}, \d\d:\d\d (CET|CEST)$/, "Spanish, Madrid time");
    assert.match(payload.body, /^Empieza en (4|5) minutos \(/);
    assert.ok(payload.body.endsWith(`(${when})`), `${payload.body} ends with (${when})`);

    // The guest has no account: the host's language, the time in UTC.
    const mail = w.mail.sent.find((m) => m.to === "guest@example.net")!;
    assert.equal(mail.subject, "Erinnerung: Revisión de diseño");
    assert.match(mail.text, /^Revisión de diseño\nBeginnt in (4|5) Minuten \(/);
    assert.ok(mail.text.includes("\nTeilnehmen: http://localhost:8000/m/"), mail.text);
    assert.ok(mail.text.includes("Sie erhalten diese E-Mail, weil Sie kein Gerät"), mail.text);
    assert.match(mail.text, /Beginnt in (4|5) Minuten \(\d{1,2}\. [A-Za-zä]+\.? \d{4}, \d\d:\d\d UTC\)/, mail.text);
    assert.match(mail.html, /^<div lang="de" dir="ltr">/);
    assert.ok(mail.html.includes(">Am Meeting teilnehmen</a>"));
  } finally {
    await w.stop();
  }
});
