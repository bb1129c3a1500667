// Every failed delivery attempt leaves a warn line with its reason and attempt number, and no
// secrets: a real local HTTPS push service answering 500 (and an endpoint nobody listens on), a
// real SMTP listener refusing the recipient for reminder emails and invitations.

import assert from "node:assert/strict";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../lib/common/config.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import { createMailer } from "../lib/email/mod.ts";
import { setLogSink, setQuiet } from "../lib/common/log.ts";
import type { LogRecord } from "../lib/common/log.ts";
import { pushKeys } from "../lib/reminders/keys.ts";
import { handleReminderMessage, MAX_ATTEMPTS } from "../lib/reminders/reminders.ts";
import type { ReminderDeps, ReminderMessage } from "../lib/reminders/reminders.ts";
import { listSubscriptions, saveSubscription } from "../lib/reminders/subscriptions.ts";
import { makeSubscriber, MemorySchedule } from "../lib/reminders/testing.ts";
import { scheduleMeeting } from "../lib/scheduling/service.ts";
import { makeCertificates, trustingFetch } from "./support/tls.ts";
import { startPushService } from "./support/push_service.ts";
import { CapturingMailer } from "./support/app.ts";
import { freePort } from "./support/ports.ts";

setQuiet(true);

const MIN = 60_000;

/** Runs `fn` with every log record collected. */
async function withLogs(fn: () => Promise<void>): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  setLogSink((r) => records.push(r));
  try {
    await fn();
  } finally {
    setLogSink(null);
  }
  return records;
}

Deno.test("a push that fails and is retried logs a warn per attempt with reason and number, no endpoint path or keys", async () => {
  const tls = await makeCertificates();
  const service = startPushService(tls, 500);
  const client = trustingFetch(tls.ca);
  const kv = await Deno.openKv(":memory:");
  try {
    const port = await service.port;
    const config = loadConfig({
      TALKSPACE_ENV: "development",
      PUBLIC_URL: "http://localhost:8000",
      KV_PATH: ":memory:",
    });
    const schedule = new MemorySchedule();
    const deps: ReminderDeps = { kv, config, mailer: new CapturingMailer(), schedule, fetch: client.fetch, env: {} };
    const ada = await createUser(kv, { name: "Ada", email: "ada@example.org", passwordHash: "x" });
    const meeting = await createMeeting(kv, { hostId: ada.id, title: "Retro" });
    // The path is the device's capability URL: it must never reach a log.
    const secretPath = "/push/fcm-CAPABILITY-7f3a9c2e1d";
    const deadPath = "/push/dead-CAPABILITY-41b0";
    const phone = await makeSubscriber();
    const laptop = await makeSubscriber();
    await saveSubscription(kv, ada.id, phone.json(`https://127.0.0.1:${port}${secretPath}`), "Phone");
    const dead = freePort();
    await saveSubscription(kv, ada.id, laptop.json(`https://127.0.0.1:${dead}${deadPath}`), "Laptop");
    const subs = await listSubscriptions(kv, ada.id);
    const start = Date.now() + 60 * MIN;
    schedule.occurrences.set(meeting.meetingId, [{
      start: new Date(start),
      end: new Date(start + 30 * MIN),
      recurrenceId: "r",
    }]);
    schedule.people.set(meeting.meetingId, [{ userId: ada.id, email: ada.email }]);
    await kv.set(pushKeys.plan(meeting.meetingId), { seq: 1, changedAt: "" });
    const remind: ReminderMessage = {
      type: "reminders.remind",
      meetingId: meeting.meetingId,
      seq: 1,
      person: { userId: ada.id, email: ada.email },
      start,
      recurrenceId: "r",
      offset: 10,
    };

    const logs = await withLogs(async () => {
      await handleReminderMessage(deps, remind);
      // The queued retries (30 s, 2 min, 10 min later) are delivered by hand, each with its attempt number.
      for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
        for (const sub of subs) {
          await handleReminderMessage(deps, {
            type: "reminders.retry",
            channel: "push",
            target: sub.id,
            meetingId: meeting.meetingId,
            person: remind.person,
            start,
            end: start + 30 * MIN,
            recurrenceId: "r",
            offset: 10,
            attempt,
          });
        }
      }
    });
    assert.equal(service.requests.length, MAX_ATTEMPTS, "the failing service was tried once per attempt");

    const attempts = logs.filter((r) => r.msg === "reminder push attempt failed");
    assert.ok(attempts.every((r) => r.level === "warn" && r.prefix === "reminders"));
    for (
      const [sub, origin, reason] of [
        [subs.find((s) => s.endpoint.includes(secretPath))!, `https://127.0.0.1:${port}`, /push service answered 500/],
        [subs.find((s) => s.endpoint.includes(deadPath))!, `https://127.0.0.1:${dead}`, /refused/i],
      ] as const
    ) {
      const mine = attempts.filter((r) => r.fields.subscription === sub.id);
      assert.deepEqual(mine.map((r) => r.fields.attempt), [1, 2, 3, 4], `one warn per attempt for ${origin}`);
      for (const r of mine) {
        assert.equal(r.fields.meetingId, meeting.meetingId);
        assert.equal(r.fields.endpoint, origin, "the endpoint's origin is shown");
        assert.match(String(r.fields.reason), reason);
        assert.equal(r.fields.maxAttempts, MAX_ATTEMPTS);
      }
      assert.deepEqual(mine.map((r) => r.fields.nextAttemptInMs), [30_000, 120_000, 600_000, null]);
    }
    assert.ok(
      logs.some((r) => r.level === "error" && r.msg === "reminder not delivered"),
      "giving up is an error line",
    );
    const all = JSON.stringify(logs);
    for (const secret of [secretPath, deadPath, "CAPABILITY", ...subs.flatMap((s) => [s.keys.p256dh, s.keys.auth])]) {
      assert.ok(!all.includes(secret), `a log line contains ${secret}`);
    }
  } finally {
    kv.close();
    client.close();
    await service.close();
  }
});

/** A real SMTP listener that refuses every recipient with 550. */
async function startRefusingSmtp() {
  let refused = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(_address, _session, callback) {
      refused++;
      callback(Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 }));
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test("refused emails (reminders, invitations) log a warn with reason and attempt, no body or password", async () => {
  const smtp = await startRefusingSmtp();
  const kv = await Deno.openKv(":memory:");
  try {
    const config = loadConfig({
      TALKSPACE_ENV: "production",
      PUBLIC_URL: "https://meet.example.org",
      KV_PATH: ":memory:",
      SMTP_URL: `smtp://mailer:hunter2-secret@127.0.0.1:${smtp.port}`,
      MAIL_FROM: "Talkspace <no-reply@meet.example.org>",
    });
    const mailer = createMailer(config, kv);
    const schedule = new MemorySchedule();
    const deps: ReminderDeps = { kv, config, mailer, schedule, env: {} };
    const u = await createUser(kv, { name: "Bea", email: "bea@example.org", passwordHash: "x" });
    const bea = (await updateUser(kv, u.id, () => ({ emailVerified: true })))!;
    const meeting = await createMeeting(kv, { hostId: bea.id, title: "Planning" });
    const start = Date.now() + 60 * MIN;
    schedule.occurrences.set(meeting.meetingId, [{
      start: new Date(start),
      end: new Date(start + 30 * MIN),
      recurrenceId: "r",
    }]);
    schedule.people.set(meeting.meetingId, [{ email: "guest@example.net" }]);
    await kv.set(pushKeys.plan(meeting.meetingId), { seq: 1, changedAt: "" });
    const person = { email: "guest@example.net" };

    const logs = await withLogs(async () => {
      await handleReminderMessage(deps, {
        type: "reminders.remind",
        meetingId: meeting.meetingId,
        seq: 1,
        person,
        start,
        recurrenceId: "r",
        offset: 10,
      });
      await handleReminderMessage(deps, {
        type: "reminders.retry",
        channel: "email",
        target: "guest@example.net",
        meetingId: meeting.meetingId,
        person,
        start,
        end: start + 30 * MIN,
        recurrenceId: "r",
        offset: 10,
        attempt: 2,
      });
      const created = await scheduleMeeting({ kv, config, mailer }, bea, {
        title: "Kick-off",
        description: "",
        startsAt: "2027-06-07T09:00:00",
        timeZone: "Europe/Berlin",
        durationMinutes: 30,
        rrule: null,
        invitees: ["ann@example.org"],
        settings: {},
      });
      assert.deepEqual(created.delivery.failed, ["ann@example.org"]);
    });
    assert.equal(smtp.refused(), 3);

    const reminders = logs.filter((r) => r.msg === "reminder email attempt failed");
    assert.deepEqual(reminders.map((r) => [r.level, r.fields.attempt]), [["warn", 1], ["warn", 2]]);
    for (const r of reminders) {
      assert.equal(r.fields.meetingId, meeting.meetingId);
      assert.equal(r.fields.to, "guest@example.net");
      assert.match(String(r.fields.reason), /550|Mailbox unavailable/);
    }
    const invitation = logs.filter((r) => r.msg === "invitation not delivered");
    assert.deepEqual(invitation.map((r) => [r.level, r.fields.attempt, r.fields.to]), [["warn", 1, "ann@example.org"]]);
    assert.match(String(invitation[0].fields.error), /550|Mailbox unavailable/);
    assert.ok(logs.filter((r) => r.msg === "mail delivery failed").every((r) => r.level === "warn"));
    const all = JSON.stringify(logs);
    assert.ok(!all.includes("hunter2-secret"), "no SMTP password in the log");
    assert.ok(!all.includes("?pwd="), "no join link (its token) from a message body in the log");
    assert.ok(!all.includes(meeting.linkToken), "no link token in the log");
  } finally {
    kv.close();
    await smtp.close();
  }
});
