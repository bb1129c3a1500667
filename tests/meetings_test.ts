// Meetings in-process: creating (dashboard form, API), joining (ID + passcode, link, guests),
// refusals (wrong passcode, rate limit, unknown, guests off, locked, ended), API authorization,
// and media access.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createApiToken } from "../lib/accounts/api_tokens.ts";
import { createMeeting, formatMeetingId, getMeetingByNumber, updateMeeting } from "../lib/meetings/store.ts";
import type { Meeting, MeetingSettings } from "../lib/meetings/store.ts";
import { eventsSince } from "../lib/meetings/events.ts";
import { createWebApp } from "../routes/mod.ts";
import { RawJanus, startGateway } from "./support/gateway.ts";
import { createGatewayClient } from "../lib/meetings/gateway_client.ts";
import { loadSigningKey } from "../lib/common/server_secret.ts";
import { changeParticipant, SILENT_STATE } from "../lib/meetings/participants.ts";
import type { Admission } from "../lib/meetings/join.ts";
import { TestClient as Client } from "./support/app.ts";
import { admissionKeys } from "../lib/meetings/keys.ts";

async function person(t: TestApp, name: string): Promise<{ id: string; client: TestClient }> {
  const user = await createUser(t.kv, { name, email: `${name.toLowerCase()}@example.org`, passwordHash: "unused" });
  const { token } = await createSession(t.kv, user.id, "full");
  const client = t.client();
  client.cookies.set("ts_session", token);
  return { id: user.id, client };
}

/** A meeting without a lobby unless the test asks for one: these tests are about joining itself. */
async function meetingFor(t: TestApp, hostId: string, settings: Partial<MeetingSettings> = {}): Promise<Meeting> {
  return await createMeeting(t.kv, { hostId, title: "Planning", settings: { lobby: false, ...settings } });
}

function location(res: Response): string {
  const loc = res.headers.get("location");
  assert.ok(loc, `expected a redirect, got ${res.status}`);
  return loc;
}

/** Joins as a guest by meeting ID and passcode; returns the guest's client (holding the admission). */
async function joinAsGuest(t: TestApp, m: Meeting, name = "Gail Guest"): Promise<TestClient> {
  const guest = t.client();
  const res = await guest.postForm("/join", { meetingId: m.meetingId, passcode: m.passcode, name });
  assert.equal(res.status, 303);
  assert.equal(location(res), `/m/${m.meetingId}`);
  return guest;
}

Deno.test("dashboard New meeting creates an instant meeting the creator hosts, with invitation shown", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hana");
    const created = await host.client.postForm("/meetings", {});
    assert.equal(created.status, 303);
    const m = /^\/m\/(\d{10})\?pwd=(.+)$/.exec(location(created));
    assert.ok(m, location(created));
    const meeting = (await getMeetingByNumber(t.kv, m[1]))!;
    assert.equal(meeting.hostId, host.id);
    assert.equal(decodeURIComponent(m[2]), meeting.linkToken);

    const viaLink = await host.client.get(location(created));
    assert.equal(viaLink.status, 303);
    assert.equal(location(viaLink), `/m/${meeting.meetingId}`, "the link token is not left in the address bar");
    assert.ok(host.client.cookies.has(`ts_mp_${meeting.meetingId}`));

    const page = await host.client.get(`/m/${meeting.meetingId}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, new RegExp(formatMeetingId(meeting.meetingId)));
    assert.match(html, new RegExp(`id="meeting-root" data-meeting-id="${meeting.meetingId}"`));
    assert.match(html, /<noscript>/);
    assert.ok(
      html.includes(`http://localhost:8000/m/${meeting.meetingId}?pwd=${meeting.linkToken}`),
      "full invite URL",
    );
    assert.ok(html.includes(meeting.passcode), "the host sees the passcode");
    assert.ok(html.includes(`action="/m/${meeting.meetingId}/end"`), "the host can end it for all");

    const dash = await (await host.client.get("/dashboard")).text();
    assert.ok(dash.includes(formatMeetingId(meeting.meetingId)), "recent meetings list it");
    assert.ok(dash.includes('action="/meetings"') && dash.includes('action="/join"'));
  } finally {
    t.close();
  }
});

Deno.test("API creates meetings with a Bearer token and validates title and settings per field", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Ana");
    const { secret } = await createApiToken(t.kv, host.id, "script");
    const api = new Client(t.app, t.origin);
    const auth = { authorization: `Bearer ${secret}` };
    const res = await api.sendJson(
      "POST",
      "/api/v1/meetings",
      { title: "Standup", settings: { guestsAllowed: false } },
      auth,
    );
    assert.equal(res.status, 201);
    const body = await res.json();
    assert.deepEqual(Object.keys(body).sort(), ["id", "joinUrl", "meetingId", "passcode"]);
    const stored = (await getMeetingByNumber(t.kv, body.meetingId))!;
    assert.equal(stored.title, "Standup");
    assert.equal(stored.hostId, host.id);
    assert.equal(stored.settings.guestsAllowed, false);
    assert.equal(stored.settings.lobby, true, "unspecified settings keep their defaults");
    assert.equal(body.passcode, stored.passcode);
    assert.equal(body.joinUrl, `http://localhost:8000/m/${stored.meetingId}?pwd=${stored.linkToken}`);

    const bad = await api.sendJson("POST", "/api/v1/meetings", {
      title: "x".repeat(201),
      settings: { lobby: "yes", screenShare: "all" },
    }, auth);
    assert.equal(bad.status, 422);
    assert.match(bad.headers.get("content-type") ?? "", /application\/problem\+json/);
    const problem = await bad.json();
    assert.equal(problem.errors.title, "Use at most 200 characters");
    assert.ok(problem.errors["settings.lobby"]);
    assert.ok(problem.errors["settings.screenShare"]);

    const empty = await api.request("/api/v1/meetings", { method: "POST", headers: auth });
    assert.equal(empty.status, 201, "no body means defaults");
  } finally {
    t.close();
  }
});

Deno.test("a signed-in participant joins by formatted meeting ID and passcode and sees no passcode", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hugo");
    const meeting = await meetingFor(t, host.id);
    const pat = await person(t, "Pat");
    const res = await pat.client.postForm("/join", {
      meetingId: formatMeetingId(meeting.meetingId),
      passcode: meeting.passcode,
    });
    assert.equal(res.status, 303);
    assert.equal(location(res), `/m/${meeting.meetingId}`);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith(`ts_mp_${meeting.meetingId}=`));
    assert.ok(setCookie && /HttpOnly/i.test(setCookie) && /SameSite=Lax/i.test(setCookie), setCookie);
    const page = await pat.client.get(`/m/${meeting.meetingId}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(html.includes("Joining as Pat"));
    assert.ok(!html.includes(meeting.passcode), "participants are not shown the passcode");
    assert.ok(!html.includes('/end"'), "participants cannot end the meeting");
    const stored = [];
    for await (const e of t.kv.list<Admission>({ prefix: admissionKeys.meeting(meeting.meetingId) })) {
      stored.push(e.value);
    }
    assert.equal(stored.length, 1);
    assert.equal(stored[0].role, "participant");
    assert.equal(stored[0].userId, pat.id);
    assert.equal(stored[0].state, "admitted");
  } finally {
    t.close();
  }
});

Deno.test("a guest joins with a name; without one the form says what is missing", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hal");
    const meeting = await meetingFor(t, host.id);
    const nameless = await t.client().postForm("/join", { meetingId: meeting.meetingId, passcode: meeting.passcode });
    assert.equal(nameless.status, 422);
    assert.ok((await nameless.text()).includes("Enter your name"));
    const long = await t.client().postForm("/join", {
      meetingId: meeting.meetingId,
      passcode: meeting.passcode,
      name: "n".repeat(61),
    });
    assert.equal(long.status, 422);
    assert.ok((await long.text()).includes("Use at most 60 characters"));

    const guest = await joinAsGuest(t, meeting, "Gail Guest");
    const html = await (await guest.get(`/m/${meeting.meetingId}`)).text();
    assert.ok(html.includes("Joining as Gail Guest"));
  } finally {
    t.close();
  }
});

Deno.test("an invitation link counts as the passcode and is removed from the address bar", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hedy");
    const meeting = await meetingFor(t, host.id);
    const link = `/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;

    // Signed in: straight in.
    const pat = await person(t, "Pia");
    const res = await pat.client.get(link);
    assert.equal(res.status, 303);
    assert.equal(location(res), `/m/${meeting.meetingId}`);
    assert.equal((await pat.client.get(location(res))).status, 200);

    // Guest: the clean URL asks only for a name.
    const guest = t.client();
    const first = await guest.get(link);
    assert.equal(first.status, 303);
    assert.equal(location(first), `/m/${meeting.meetingId}`);
    const form = await (await guest.get(`/m/${meeting.meetingId}`)).text();
    assert.ok(form.includes('name="name"'));
    assert.ok(!form.includes('name="passcode"'), "no passcode asked after a valid link");
    const joined = await guest.postForm(`/m/${meeting.meetingId}/join`, { name: "Link Guest" });
    assert.equal(joined.status, 303);
    assert.equal(location(joined), `/m/${meeting.meetingId}`);
    assert.ok(
      (await (await guest.get(`/m/${meeting.meetingId}`)).text()).includes("Joining as Link Guest"),
    );

    // A wrong link token lets nobody in.
    const other = t.client();
    await other.get(`/m/${meeting.meetingId}?pwd=wrong`);
    const asked = await (await other.get(`/m/${meeting.meetingId}`)).text();
    assert.ok(asked.includes('name="passcode"'));
  } finally {
    t.close();
  }
});

Deno.test("a wrong passcode is a 422 with a field message; 10 wrong ones per meeting and address give 429", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hope");
    const meeting = await meetingFor(t, host.id);
    const guest = t.client();
    for (let i = 0; i < 10; i++) {
      const res = await guest.postForm("/join", { meetingId: meeting.meetingId, passcode: "000000x", name: "G" });
      assert.equal(res.status, 422);
      assert.ok((await res.text()).includes("That passcode is not right for this meeting"));
    }
    const limited = await guest.postForm("/join", {
      meetingId: meeting.meetingId,
      passcode: meeting.passcode,
      name: "G",
    });
    assert.equal(limited.status, 429, "even the right passcode waits once the limit is reached");
    assert.ok(Number(limited.headers.get("retry-after")) > 0);
    await limited.body?.cancel();

    // Another meeting is not affected.
    const other = await meetingFor(t, host.id);
    assert.equal((await joinAsGuest(t, other)).cookies.has(`ts_mp_${other.meetingId}`), true);
  } finally {
    t.close();
  }
});

Deno.test("an unknown meeting ID is a 404 that shows the join form again", async () => {
  const t = await makeTestApp();
  try {
    const res = await t.client().postForm("/join", { meetingId: "987 654 3210", passcode: "123456", name: "G" });
    assert.equal(res.status, 404);
    const html = await res.text();
    assert.ok(html.includes("There is no meeting with that ID"));
    assert.ok(html.includes('action="/join"'));
    const page = await t.client().get("/m/9876543210");
    assert.equal(page.status, 404);
    assert.ok((await page.text()).includes('action="/join"'));
    const malformed = await t.client().postForm("/join", { meetingId: "12", passcode: "1", name: "G" });
    assert.equal(malformed.status, 422);
    assert.ok((await malformed.text()).includes("A meeting ID has ten digits"));
  } finally {
    t.close();
  }
});

Deno.test("guests are refused when guestsAllowed is off; signed-in people still join", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hank");
    const meeting = await meetingFor(t, host.id, { guestsAllowed: false });
    const res = await t.client().postForm("/join", {
      meetingId: meeting.meetingId,
      passcode: meeting.passcode,
      name: "G",
    });
    assert.equal(res.status, 403);
    const html = await res.text();
    assert.ok(html.includes("only for people with an account"));
    assert.ok(html.includes(`/signin?next=${encodeURIComponent(`/m/${meeting.meetingId}`)}`));
    const pat = await person(t, "Paz");
    const ok = await pat.client.postForm("/join", { meetingId: meeting.meetingId, passcode: meeting.passcode });
    assert.equal(ok.status, 303);
  } finally {
    t.close();
  }
});

Deno.test("a locked meeting sends joiners to the lobby, and its host gets in without a passcode", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hera");
    const meeting = await meetingFor(t, host.id, { locked: true });
    const guest = t.client();
    const res = await guest.postForm("/join", {
      meetingId: meeting.meetingId,
      passcode: meeting.passcode,
      name: "G",
    });
    assert.equal(res.status, 303, "the passcode is right: the guest knocks");
    await res.body?.cancel();
    const waiting = await guest.get(`/m/${meeting.meetingId}`);
    assert.equal(waiting.status, 200);
    assert.match(await waiting.text(), /please wait: the host will let you in/);
    const media = await guest.sendJson("POST", `/meetings/${meeting.meetingId}/media`, { participantId: "x" });
    assert.equal(media.status, 403, "no media while waiting");
    await media.body?.cancel();
    const hostJoin = await host.client.postForm("/join", { meetingId: meeting.meetingId });
    assert.equal(hostJoin.status, 303, "the host needs no passcode");
    const page = await host.client.get(`/m/${meeting.meetingId}`);
    assert.equal(page.status, 200);
    await page.body?.cancel();
    // A co-host opening the clean URL is admitted automatically.
    const co = await person(t, "Cora");
    await updateMeeting(t.kv, meeting.id, (m) => ({ coHostIds: [...m.coHostIds, co.id] }));
    const coPage = await co.client.get(`/m/${meeting.meetingId}`);
    assert.equal(coPage.status, 303);
    assert.equal((await co.client.get(`/m/${meeting.meetingId}`)).status, 200);
  } finally {
    t.close();
  }
});

Deno.test("meeting API: host reads it, others 403, anonymous 401, unknown 404", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hiro");
    const meeting = await meetingFor(t, host.id);
    const own = await host.client.get(`/api/v1/meetings/${meeting.meetingId}`);
    assert.equal(own.status, 200);
    const body = await own.json();
    assert.equal(body.meetingId, meeting.meetingId);
    assert.equal(body.passcode, meeting.passcode);
    assert.equal(body.status, "open");
    assert.deepEqual(body.settings, meeting.settings);
    assert.ok(body.joinUrl.startsWith("http://localhost:8000/m/"));

    const other = await person(t, "Olga");
    const refused = await other.client.get(`/api/v1/meetings/${meeting.meetingId}`);
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get("content-type") ?? "", /problem\+json/);
    await refused.body?.cancel();
    const endRefused = await other.client.sendJson("POST", `/api/v1/meetings/${meeting.meetingId}/end`, {});
    assert.equal(endRefused.status, 403);
    await endRefused.body?.cancel();

    const anon = await t.client().get(`/api/v1/meetings/${meeting.meetingId}`);
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
    const unknown = await host.client.get("/api/v1/meetings/9999999999");
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("ending a meeting records meeting-ended once, and admissions and joins stop working", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hilda");
    const meeting = await meetingFor(t, host.id);
    const guest = await joinAsGuest(t, meeting);
    assert.equal((await guest.get(`/m/${meeting.meetingId}`)).status, 200);

    const res = await host.client.sendJson("POST", `/api/v1/meetings/${meeting.meetingId}/end`, {});
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "ended");
    assert.ok(body.endedAt);
    const again = await host.client.sendJson("POST", `/api/v1/meetings/${meeting.meetingId}/end`, {});
    assert.equal(again.status, 200, "ending twice is fine");
    await again.body?.cancel();
    const log = await eventsSince(t.kv, meeting.meetingId, 0);
    assert.deepEqual(log.map((e) => e.type), ["meeting-ended"]);

    const page = await guest.get(`/m/${meeting.meetingId}`);
    assert.equal(page.status, 410);
    assert.ok((await page.text()).includes("This meeting has ended"));
    const join = await t.client().postForm("/join", {
      meetingId: meeting.meetingId,
      passcode: meeting.passcode,
      name: "Late",
    });
    assert.equal(join.status, 410);
    assert.ok((await join.text()).includes("This meeting has ended"));
    const media = await guest.sendJson("POST", `/meetings/${meeting.meetingId}/media`, { participantId: "x" });
    assert.equal(media.status, 403, "the old admission no longer opens media");
    await media.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("End meeting for all (form) works for the host and is refused to participants", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Huw");
    const meeting = await meetingFor(t, host.id);
    const pat = await person(t, "Pam");
    const refused = await pat.client.postForm(`/m/${meeting.meetingId}/end`, {});
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
    const res = await host.client.postForm(`/m/${meeting.meetingId}/end`, {});
    assert.equal(res.status, 303);
    assert.equal((await getMeetingByNumber(t.kv, meeting.meetingId))!.status, "ended");
  } finally {
    t.close();
  }
});

Deno.test("media access: 403 problem without admission, 503 problem without a gateway", async () => {
  const t = await makeTestApp();
  try {
    const host = await person(t, "Hector");
    const meeting = await meetingFor(t, host.id);
    const stranger = await t.client().sendJson("POST", `/meetings/${meeting.meetingId}/media`, { participantId: "p" });
    assert.equal(stranger.status, 403);
    assert.match(stranger.headers.get("content-type") ?? "", /problem\+json/);
    await stranger.body?.cancel();

    const guest = await joinAsGuest(t, meeting);
    const res = await guest.sendJson("POST", `/meetings/${meeting.meetingId}/media`, { participantId: "p" });
    assert.equal(res.status, 503);
    assert.match(res.headers.get("content-type") ?? "", /problem\+json/);
    assert.equal((await res.json()).detail, "Audio and video are not available on this server");

    const socket = await t.client().get(`/meetings/${meeting.meetingId}/ws`);
    assert.equal(socket.status, 403, "the socket is refused before any upgrade without an admission");
    await socket.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test({
  name: "media access through the real gateway and Janus: only for the admission's own participant",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await makeTestApp();
    const running = await startGateway();
    const gateway = createGatewayClient({ url: running.url, secret: running.secret });
    const app = createWebApp({ ...deps(t), signingKey: await loadSigningKey(t.kv, ""), gateway });
    try {
      const host = await person(t, "Henk");
      const meeting = await meetingFor(t, host.id);
      const guest = new Client(app, t.origin);
      const joined = await guest.postForm("/join", {
        meetingId: meeting.meetingId,
        passcode: meeting.passcode,
        name: "G",
      });
      assert.equal(joined.status, 303);
      const admission = await onlyAdmission(t, meeting.meetingId);
      await changeParticipant(
        t.kv,
        meeting.meetingId,
        "P1",
        () => ({ next: participant(meeting, "P1", admission.id) }),
      );
      await changeParticipant(
        t.kv,
        meeting.meetingId,
        "P2",
        () => ({ next: participant(meeting, "P2", "someone-else") }),
      );

      const res = await guest.sendJson("POST", `/meetings/${meeting.meetingId}/media`, { participantId: "P1" });
      assert.equal(res.status, 200);
      const access = await res.json();
      assert.equal(access.room, Number(meeting.meetingId));
      assert.equal(access.janusUrl, running.janusWsUrl);
      assert.ok(typeof access.janusToken === "string" && access.janusToken.length >= 16);
      assert.ok(Number.isInteger(access.feedId));
      assert.equal((await running.health()).rooms, 1, "the gateway made the meeting's room");

      // The token really opens a Janus session (token_auth), as the browser will use it.
      const janus = await RawJanus.open(running.janusWsUrl);
      try {
        const created = await janus.send({ janus: "create", token: access.janusToken });
        assert.equal(created.janus, "success", JSON.stringify(created));
      } finally {
        janus.close();
      }

      const notMine = await guest.sendJson("POST", `/meetings/${meeting.meetingId}/media`, { participantId: "P2" });
      assert.equal(notMine.status, 403);
      await notMine.body?.cancel();

      const hostClient = new Client(app, t.origin);
      hostClient.cookies.set("ts_session", host.client.cookies.get("ts_session")!);
      const ended = await hostClient.sendJson("POST", `/api/v1/meetings/${meeting.meetingId}/end`, {});
      assert.equal(ended.status, 200);
      await ended.body?.cancel();
      assert.equal((await running.health()).rooms, 0, "ending the meeting destroyed its room");
    } finally {
      t.close();
      await running.stop();
    }
  },
});

function deps(t: TestApp) {
  return { kv: t.kv, config: t.config, mailer: t.mailer };
}

async function onlyAdmission(t: TestApp, meetingId: string): Promise<Admission> {
  const all: Admission[] = [];
  for await (const e of t.kv.list<Admission>({ prefix: admissionKeys.meeting(meetingId) })) all.push(e.value);
  assert.equal(all.length, 1);
  return all[0];
}

function participant(meeting: Meeting, participantId: string, admissionId: string) {
  return {
    participantId,
    meetingId: meeting.meetingId,
    admissionId,
    userId: null,
    name: "G",
    role: "guest" as const,
    joinedAt: new Date().toISOString(),
    leftAt: null,
    state: SILENT_STATE,
    feedId: null,
    connected: true,
    connectionId: "c",
  };
}
