// "Your recording is ready" and "could not be made" reach the host once: the email (in the host's
// language, with the recording's link) and a web push to each device, sent to a real local HTTPS
// push service (our own test CA) and decrypted with the subscriber's keys as a browser would. The
// notice is queued in the commit that makes the recording ready, so a redelivered status poll adds
// nothing, and a redelivered notice sends nothing twice. A failing push is logged at warn with its
// reason and attempt and tried again under the same marker.

import assert from "node:assert/strict";
import { loadConfig } from "../lib/common/config.ts";
import { setLogSink, setQuiet } from "../lib/common/log.ts";
import type { LogRecord } from "../lib/common/log.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import { listSubscriptions, saveSubscription } from "../lib/reminders/subscriptions.ts";
import { decryptPush, makeSubscriber, verifyVapid } from "../lib/reminders/testing.ts";
import type { RecordingNotice } from "../lib/recordings/store.ts";
import { makeRecording } from "./support/recordings.ts";
import { applyStatus } from "../lib/recordings/service.ts";
import { handleRecordingNotice, type NoticeDeps, recordingNoticeHandler } from "../lib/recordings/notices.ts";
import { loadVapidKeys } from "../lib/reminders/vapid.ts";
import { makeCertificates, trustingFetch } from "./support/tls.ts";
import { startPushService } from "./support/push_service.ts";
import { CapturingMailer } from "./support/app.ts";
import { poll } from "./support/wait.ts";

setQuiet(true);

async function setup() {
  const tls = await makeCertificates();
  const service = startPushService(tls);
  const client = trustingFetch(tls.ca);
  const kv = await Deno.openKv(":memory:");
  // Development: the push service is on loopback, which production refuses.
  const config = loadConfig({ TALKSPACE_ENV: "development", PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });
  const mailer = new CapturingMailer();
  const deps: NoticeDeps = { kv, config, mailer, fetch: client.fetch, env: {} };
  let host = await createUser(kv, { name: "Hanna", email: "hanna@example.org", passwordHash: "x" });
  host = (await updateUser(kv, host.id, () => ({ locale: "de" })))!;
  const meeting = await createMeeting(kv, { hostId: host.id, title: "Vorstand" });
  const port = await service.port;
  const phone = await makeSubscriber();
  const endpoint = `https://127.0.0.1:${port}/push/phone-of-hanna`;
  await saveSubscription(kv, host.id, phone.json(endpoint), "Phone");
  return {
    kv,
    config,
    mailer,
    deps,
    host,
    meeting,
    phone,
    service,
    async close() {
      kv.close();
      client.close();
      await service.close();
    },
  };
}

Deno.test("ready: one email in the host's language and one decryptable push, however often it is delivered", async () => {
  const s = await setup();
  try {
    // The process's queue listener, counting what it handled (to wait on, not sleep).
    let handled = 0;
    const handler = recordingNoticeHandler(s.deps);
    s.kv.listenQueue(async (m) => {
      if (await handler(m)) handled++;
    });
    const rec = await makeRecording(s.kv, s.meeting, { state: "processing", title: "Vorstand März" });
    const ready = await applyStatus({ kv: s.kv, engine: null }, rec.id, {
      state: "ready",
      durationSeconds: 600,
      sizeBytes: 9_000_000,
    });
    assert.equal(ready?.state, "ready");
    const mail = await s.mailer.arrival("hanna@example.org", /Aufzeichnung/);
    assert.equal(mail.subject, "Ihre Aufzeichnung ist bereit: Vorstand März");
    assert.match(mail.text, new RegExp(`http://localhost:8000/recordings/${rec.id}`));
    assert.match(mail.html, /<html lang="de"/);
    const push = await poll("the push", () => s.service.requests[0], 10_000, 10);
    assert.equal(push.path, "/push/phone-of-hanna");
    const vapid = await loadVapidKeys(s.kv, s.config, {});
    await verifyVapid(push.headers.get("authorization"), vapid.publicKey, `https://127.0.0.1:${await s.service.port}`);
    const payload = JSON.parse(await decryptPush(push.body, s.phone));
    assert.deepEqual(payload, {
      title: "Ihre Aufzeichnung ist bereit: Vorstand März",
      body: "Tippen Sie hier, um sie anzusehen.",
      url: `http://localhost:8000/recordings/${rec.id}`,
    });
    await poll("the first notice handled", () => handled === 1, 10_000, 10);

    // The poll redelivered: the state has moved, nothing is committed, nothing queued.
    await applyStatus({ kv: s.kv, engine: null }, rec.id, { state: "ready", sizeBytes: 9_000_000 });
    // The notice redelivered (at least once): every delivery is already marked sent.
    const again: RecordingNotice = { type: "recording-notice", recordingId: rec.id, attempt: 1 };
    await s.kv.enqueue(again);
    await poll("the redelivered notice handled", () => handled === 2, 10_000, 10);
    assert.equal(s.mailer.sent.length, 1, "one email");
    assert.equal(s.service.requests.length, 1, "one push");
  } finally {
    await s.close();
  }
});

Deno.test("failed: the host is told why; a failing push is logged at warn with reason and attempt, then retried once", async () => {
  const s = await setup();
  const logs: LogRecord[] = [];
  setLogSink((r) => logs.push(r));
  try {
    s.service.state.status = 500;
    const rec = await makeRecording(s.kv, s.meeting, { state: "processing", title: "Vorstand April" });
    const failed = await applyStatus({ kv: s.kv, engine: null }, rec.id, {
      state: "failed",
      reason: "Nothing was recorded: nobody had a camera, microphone or screen share on while recording.",
    });
    assert.equal(failed?.state, "failed");
    // Delivered here directly (the queue's retry waits 30 s): the first message, then the retry it queued.
    await handleRecordingNotice(s.deps, { type: "recording-notice", recordingId: rec.id, attempt: 1 });
    const mail = s.mailer.last("hanna@example.org");
    assert.equal(mail.subject, "Ihre Aufzeichnung konnte nicht erstellt werden: Vorstand April");
    assert.match(mail.text, /Nothing was recorded: nobody had a camera/);
    const warn = logs.find((r) => r.msg === "recording notice push attempt failed");
    assert.ok(warn, "a warn line for the failed push");
    assert.equal(warn.level, "warn");
    const fields = warn.fields;
    assert.equal(fields.attempt, 1);
    assert.match(String(fields.reason), /push service answered 500/);
    assert.equal(fields.nextAttemptInMs, 30_000);
    assert.doesNotMatch(JSON.stringify(warn), /phone-of-hanna/, "the endpoint's path stays out of the log");

    s.service.state.status = 201;
    const subId = (await listSubscriptions(s.kv, s.host.id))[0].id;
    const retry: RecordingNotice = {
      type: "recording-notice",
      recordingId: rec.id,
      channel: `push:${subId}`,
      attempt: 2,
    };
    await handleRecordingNotice(s.deps, retry);
    await handleRecordingNotice(s.deps, retry); // delivered twice: sent once
    assert.equal(s.service.requests.length, 2, "the failed attempt and the one retry");
    const payload = JSON.parse(await decryptPush(s.service.requests[1].body, s.phone));
    assert.equal(payload.title, "Ihre Aufzeichnung konnte nicht erstellt werden: Vorstand April");
    assert.match(payload.body, /Nothing was recorded/);
    assert.equal(s.mailer.sent.length, 1, "the email went once");
  } finally {
    setLogSink(null);
    await s.close();
  }
});
