// The Recordings pages in-process over a real (in-memory) KV: the list paged by cursor both ways,
// a recording's page for its host (rename and delete with field errors and a confirmation), for a
// participant it is shared with (watch only) and for everyone else (404); share links (expiry,
// passcode right, wrong and rate-limited, revoked); the meeting's page; the admin's retention
// override and storage counter. Recordings reach "ready" through the service's own applyStatus.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { poll } from "./support/wait.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import type { Meeting } from "../lib/meetings/store.ts";
import { openAttendance } from "../lib/meetings/attendance.ts";
import type { Participant } from "../lib/meetings/participants.ts";
import { commitOrThrow } from "../lib/common/kv.ts";
import { newId } from "../lib/common/ids.ts";
import { getRecording, type Recording, storageBytes, updateRecording } from "../lib/recordings/store.ts";
import { makeRecording } from "./support/recordings.ts";
import type { Store } from "../lib/common/store.ts";

async function account(t: TestApp, name: string, admin = false): Promise<{ user: User; client: TestClient }> {
  let user = await createUser(t.kv, { name, email: `${name.toLowerCase()}@example.org`, passwordHash: "x" });
  user = (await updateUser(t.kv, user.id, () => ({ role: admin ? "admin" as const : "user" as const })))!;
  const client = t.client();
  client.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
  return { user, client };
}

/** `person` attended `meeting` while signed in (as the meeting socket writes it). */
async function attend(kv: Store, meeting: Meeting, person: User) {
  const p = {
    meetingId: meeting.meetingId,
    participantId: newId(),
    admissionId: newId(),
    attendanceId: newId(),
    userId: person.id,
    name: person.name,
    role: "member",
    joinedAt: new Date().toISOString(),
    leftAt: null,
  } as unknown as Participant;
  const op = kv.atomic();
  openAttendance(op, meeting.id, p);
  await commitOrThrow(op, "attend");
}

const ids = (html: string) => [...html.matchAll(/data-recording-id="([^"]+)"/g)].map((m) => m[1]);
const rel = (html: string, name: "next" | "prev") =>
  (/<a href="([^"]+)" rel="(next|prev)"/g.exec(html) && [...html.matchAll(/<a href="([^"]+)" rel="(next|prev)"/g)]
    .find((m) => m[2] === name)?.[1].replace(/&amp;/g, "&")) ?? null;

Deno.test("recordings list: the person's own, newest first, 20 a page with rel=next and rel=prev", async () => {
  const t = await makeTestApp();
  try {
    const { user: hanna, client } = await account(t, "Hanna");
    const { user: other } = await account(t, "Otto");
    const meeting = await createMeeting(t.kv, { hostId: hanna.id, title: "Weekly" });
    const made: string[] = [];
    for (let i = 0; i < 45; i++) made.push((await makeRecording(t.kv, meeting, { title: `Take ${i}` })).id);
    await makeRecording(t.kv, await createMeeting(t.kv, { hostId: other.id, title: "Not Hanna's" }));
    const newest = made.toReversed();

    const first = await (await client.get("/recordings")).text();
    assert.deepEqual(ids(first), newest.slice(0, 20));
    assert.equal(rel(first, "prev"), null);
    assert.match(first, /Take 44/);
    assert.match(first, /1\.5\sMB/, "size formatted");
    assert.match(first, /1 min/, "duration formatted");
    const second = await (await client.get(rel(first, "next")!)).text();
    assert.deepEqual(ids(second), newest.slice(20, 40));
    const third = await (await client.get(rel(second, "next")!)).text();
    assert.deepEqual(ids(third), newest.slice(40));
    assert.equal(rel(third, "next"), null);
    const back = await (await client.get(rel(third, "prev")!)).text();
    assert.deepEqual(ids(back), newest.slice(20, 40), "prev from the last page is the second page");
    const front = await (await client.get(rel(back, "prev")!)).text();
    assert.deepEqual(ids(front), newest.slice(0, 20));
    assert.equal(rel(front, "prev"), null);
    assert.equal((await client.get("/recordings?cursor=nonsense")).status, 422);
    // The site navigation links it.
    assert.match(first, /<a href="\/recordings" aria-current="page">Recordings<\/a>/);
  } finally {
    t.close();
  }
});

Deno.test("a recording's page: states, rename with field errors, delete after a confirmation, 404 for others", async () => {
  const t = await makeTestApp();
  try {
    const { user: hanna, client } = await account(t, "Hanna");
    const { client: otto } = await account(t, "Otto");
    const meeting = await createMeeting(t.kv, { hostId: hanna.id, title: "Board" });
    const rec = await makeRecording(t.kv, meeting);
    const page = await (await client.get(`/recordings/${rec.id}`)).text();
    assert.match(page, new RegExp(`<video[^>]*controls[^>]*preload="metadata"[^>]*src="/recordings/${rec.id}/file"`));
    assert.match(page, new RegExp(`href="/recordings/${rec.id}/file\\?download=1"`));

    const processing = await makeRecording(t.kv, meeting, { state: "processing", progress: 42 });
    const p = await (await client.get(`/recordings/${processing.id}`)).text();
    assert.match(p, /data-island="RecordingProgress"|RecordingProgress/, "the progress island is on the page");
    assert.match(p, /42\s?%/);
    assert.doesNotMatch(p, /<video/);
    const failed = await makeRecording(t.kv, meeting, { state: "failed" });
    assert.match(await (await client.get(`/recordings/${failed.id}`)).text(), /Nothing was recorded\./);

    // Rename: empty and too long are refused with the field marked; a good title is saved.
    for (const title of ["   ", "x".repeat(201)]) {
      const res = await client.postForm(`/recordings/${rec.id}/rename`, { title });
      assert.equal(res.status, 422);
      const html = await res.text();
      assert.match(html, /id="f-title"[^>]*aria-invalid="true"/);
      assert.match(html, /Give the recording a title|at most 200 characters/);
    }
    assert.equal((await getRecording(t.kv, rec.id))!.title, "Board");
    const renamed = await client.postForm(`/recordings/${rec.id}/rename`, { title: "Board, March" });
    assert.equal(renamed.status, 303);
    assert.equal((await getRecording(t.kv, rec.id))!.title, "Board, March");

    // Others: every recording URL is 404, never 403.
    for (const path of [`/recordings/${rec.id}`, `/recordings/${rec.id}/file`, `/recordings/${rec.id}/delete`]) {
      assert.equal((await otto.get(path)).status, 404, path);
    }
    assert.equal((await otto.postForm(`/recordings/${rec.id}/rename`, { title: "Mine" })).status, 404);
    assert.equal((await otto.postForm(`/recordings/${rec.id}/delete`, {})).status, 404);
    assert.equal((await client.get(`/recordings/01JAAAAAAAAAAAAAAAAAAAAAAA`)).status, 404);

    // Delete: a GET asks; the POST deletes (CSRF: a foreign origin is refused).
    const ask = await client.get(`/recordings/${rec.id}/delete`);
    assert.equal(ask.status, 200);
    assert.match(await ask.text(), new RegExp(`<form method="post" action="/recordings/${rec.id}/delete"`));
    const forged = await client.postForm(`/recordings/${rec.id}/delete`, {}, { origin: "https://evil.example" });
    assert.equal(forged.status, 403);
    assert.ok(await getRecording(t.kv, rec.id));
    const gone = await client.postForm(`/recordings/${rec.id}/delete`, {});
    assert.equal(gone.status, 303);
    assert.equal(await getRecording(t.kv, rec.id), null);
    assert.equal((await client.get(`/recordings/${rec.id}`)).status, 404);
  } finally {
    t.close();
  }
});

Deno.test("sharing with participants: a signed-in attendee watches (no rename, no delete); others get 404", async () => {
  const t = await makeTestApp();
  try {
    const { user: hanna, client: host } = await account(t, "Hanna");
    const { user: bea, client: beaClient } = await account(t, "Bea");
    const { client: otto } = await account(t, "Otto");
    const meeting = await createMeeting(t.kv, { hostId: hanna.id, title: "Retro" });
    await attend(t.kv, meeting, bea);
    const rec = await makeRecording(t.kv, meeting);
    assert.equal((await beaClient.get(`/recordings/${rec.id}`)).status, 404, "not shared yet");

    assert.equal((await host.postForm(`/recordings/${rec.id}/share`, { participants: "on" })).status, 303);
    const watch = await beaClient.get(`/recordings/${rec.id}`);
    assert.equal(watch.status, 200);
    const html = await watch.text();
    assert.match(html, /<video/);
    assert.doesNotMatch(html, /\/rename"|\/delete"|\/links"/, "a participant gets no managing forms");
    assert.equal((await beaClient.postForm(`/recordings/${rec.id}/rename`, { title: "Mine" })).status, 404);
    assert.equal((await beaClient.postForm(`/recordings/${rec.id}/delete`, {})).status, 404);
    assert.equal((await beaClient.postForm(`/recordings/${rec.id}/share`, { participants: "off" })).status, 404);
    assert.equal((await otto.get(`/recordings/${rec.id}`)).status, 404, "not a participant");
    // Not on Bea's own list: that is the recordings of meetings she hosts.
    assert.deepEqual(ids(await (await beaClient.get("/recordings")).text()), []);

    assert.equal((await host.postForm(`/recordings/${rec.id}/share`, { participants: "off" })).status, 303);
    assert.equal((await beaClient.get(`/recordings/${rec.id}`)).status, 404, "unshared again");
  } finally {
    t.close();
  }
});

/** Makes a link through the page and returns its path (/r/…) from the answer that shows it once. */
async function makeLink(client: TestClient, rec: Recording, form: Record<string, string>): Promise<string> {
  const res = await client.postForm(`/recordings/${rec.id}/links`, form);
  const html = await res.text();
  assert.equal(res.status, 200, html.slice(-400));
  const m = /<code class="share-url">http:\/\/localhost:8000(\/r\/[^<]+)<\/code>/.exec(html);
  assert.ok(m, "the new link is shown");
  return m[1];
}

Deno.test("share links: watch without an account, passcode right/wrong/rate-limited, expiry, revoke", async () => {
  const t = await makeTestApp({ TRUST_PROXY: "1" });
  try {
    const { user: hanna, client: host } = await account(t, "Hanna");
    const meeting = await createMeeting(t.kv, { hostId: hanna.id, title: "Town hall" });
    const rec = await makeRecording(t.kv, meeting);

    // Field errors.
    const bad = await host.postForm(`/recordings/${rec.id}/links`, { days: "3", passcode: "ab" });
    assert.equal(bad.status, 422);
    const badHtml = await bad.text();
    assert.match(badHtml, /Choose 1, 7 or 30 days/);
    assert.match(badHtml, /id="f-passcode"[^>]*aria-invalid="true"/);

    // A plain link: anyone watches and downloads, nothing else.
    const open = await makeLink(host, rec, { days: "7", passcode: "" });
    const anon = t.client();
    const page = await anon.get(open);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, new RegExp(`<video[^>]*src="${open}/file"`));
    assert.doesNotMatch(html, /rename|\/delete/);
    assert.equal(
      page.headers.get("referrer-policy"),
      "same-origin",
      "the address (the key) is never sent to other sites",
    );
    assert.equal((await anon.get(`${open}x`)).status, 404);
    assert.equal((await anon.get(`/r/not-a-token-at-all-no`)).status, 404);

    // With a passcode: locked until the right one; wrong ones are counted, 10 per address.
    const locked = await makeLink(host, rec, { days: "1", passcode: "tulip 42" });
    const visitor = t.client();
    const lockedPage = await (await visitor.get(locked)).text();
    assert.doesNotMatch(lockedPage, /<video/);
    assert.match(lockedPage, /name="passcode"/);
    assert.equal((await visitor.get(`${locked}/file`)).status, 404, "the file stays locked too");
    const wrong = await visitor.postForm(locked, { passcode: "tulip 43" });
    assert.equal(wrong.status, 422);
    assert.match(await wrong.text(), /That passcode is not right/);
    const right = await visitor.postForm(locked, { passcode: "tulip 42" });
    assert.equal(right.status, 303);
    assert.match(await (await visitor.get(locked)).text(), /<video/);
    assert.equal((await t.client().get(locked)).status, 200, "another browser still sees the lock");
    assert.doesNotMatch(await (await t.client().get(locked)).text(), /<video/);

    // From an address of its own (the visitor's one wrong try counts against theirs).
    const guesser = t.client();
    const from = { "x-forwarded-for": "203.0.113.9" };
    const answers: number[] = [];
    for (let i = 0; i < 11; i++) {
      answers.push((await guesser.postForm(locked, { passcode: `guess ${i}` }, from)).status);
    }
    assert.deepEqual(answers, [...Array(10).fill(422), 429]);
    assert.equal(
      (await guesser.postForm(locked, { passcode: "tulip 42" }, from)).status,
      429,
      "even the right one waits",
    );
    const elsewhere = t.client();
    const away = { "x-forwarded-for": "203.0.113.10" };
    assert.equal(
      (await elsewhere.postForm(locked, { passcode: "tulip 42" }, away)).status,
      303,
      "another address is not blocked",
    );

    // Revoked: 404 at once, page and file.
    const links = await (await host.get(`/recordings/${rec.id}`)).text();
    const linkIds = [...links.matchAll(/data-link-id="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(linkIds.length, 2);
    for (const id of linkIds) {
      assert.equal((await host.postForm(`/recordings/${rec.id}/links/${id}/revoke`, {})).status, 303);
    }
    assert.equal((await anon.get(open)).status, 404);
    assert.equal((await visitor.get(locked)).status, 404);
    assert.equal((await visitor.get(`${locked}/file`)).status, 404);

    // A link never outlives the recording's retention: here the recording goes in 1.5 s, so does the link.
    const soon = new Date(Date.now() + 1500).toISOString();
    await updateRecording(t.kv, rec.id, (r) => ({ ...r, expiresAt: soon }));
    const short = await makeLink(host, (await getRecording(t.kv, rec.id))!, { days: "30", passcode: "" });
    assert.equal((await anon.get(short)).status, 200);
    await poll(
      "the link to expire with the recording",
      async () => (await anon.get(short)).status === 404,
      10_000,
      100,
    );

    // Deleting the recording takes its links with it.
    const other = await makeRecording(t.kv, meeting);
    const doomed = await makeLink(host, other, { days: "7", passcode: "" });
    assert.equal((await host.postForm(`/recordings/${other.id}/delete`, {})).status, 303);
    assert.equal((await anon.get(doomed)).status, 404);
  } finally {
    t.close();
  }
});

Deno.test("a meeting's page lists its recordings for its hosts; others are refused", async () => {
  const t = await makeTestApp();
  try {
    const { user: hanna, client: host } = await account(t, "Hanna");
    const { client: otto } = await account(t, "Otto");
    const meeting = await createMeeting(t.kv, { hostId: hanna.id, title: "Planning" });
    const other = await createMeeting(t.kv, { hostId: hanna.id, title: "Other" });
    const a = await makeRecording(t.kv, meeting);
    const b = await makeRecording(t.kv, meeting, { state: "failed" });
    await makeRecording(t.kv, other);
    const res = await host.get(`/meetings/${meeting.meetingId}`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.deepEqual(ids(html), [b.id, a.id]);
    assert.match(html, /Failed: Nothing was recorded\./);
    assert.equal((await otto.get(`/meetings/${meeting.meetingId}`)).status, 403);
  } finally {
    t.close();
  }
});

Deno.test("admins: per-account retention (audited) applies to the next recordings; storage is counted", async () => {
  const t = await makeTestApp({ RECORDING_RETENTION_DAYS: "30" });
  try {
    const { client: admin } = await account(t, "Ada", true);
    const { user: hanna, client: host } = await account(t, "Hanna");
    const meeting = await createMeeting(t.kv, { hostId: hanna.id, title: "Kept" });
    const before = await makeRecording(t.kv, meeting, { sizeBytes: 2_000_000 });
    const days = (r: Recording) => Math.round((Date.parse(r.expiresAt!) - Date.parse(r.updatedAt)) / 86_400_000);
    assert.equal(days(before), 30);

    for (const bad of ["0", "3651", "2.5", "soon"]) {
      const res = await admin.postForm(`/admin/users/${hanna.id}/recordings`, { days: bad });
      assert.equal(res.status, 422, bad);
      assert.match(await res.text(), /id="f-days"[^>]*aria-invalid="true"/);
    }
    assert.equal((await host.postForm(`/admin/users/${hanna.id}/recordings`, { days: "3" })).status, 403);
    assert.equal((await admin.postForm(`/admin/users/${hanna.id}/recordings`, { days: "3" })).status, 303);
    const after = await makeRecording(t.kv, meeting, { sizeBytes: 500_000 });
    assert.equal(days(after), 3, "the override sets expiresAt");
    const failed = await makeRecording(t.kv, meeting, { state: "failed" });
    assert.equal(days(failed), 3);
    const audit = await (await admin.get("/admin/audit")).text();
    assert.match(audit, /recording\.retention_changed/);

    // Storage: ready recordings only, in the same commits as ready and delete.
    assert.equal(await storageBytes(t.kv), 2_500_000);
    assert.equal(await storageBytes(t.kv, hanna.id), 2_500_000);
    const userPage = await (await admin.get(`/admin/users/${hanna.id}`)).text();
    assert.match(userPage, /use 2\.5\sMB/);
    assert.match(userPage, /id="f-days"[^>]*value="3"/);
    assert.equal((await host.postForm(`/recordings/${before.id}/delete`, {})).status, 303);
    assert.equal(await storageBytes(t.kv), 500_000);
    assert.match(await (await admin.get("/admin/users")).text(), /Recordings use 500\skB in total/);

    // Cleared: the server's setting again.
    assert.equal((await admin.postForm(`/admin/users/${hanna.id}/recordings`, { days: "" })).status, 303);
    assert.equal(days(await makeRecording(t.kv, meeting)), 30);
  } finally {
    t.close();
  }
});
