// One meeting-settings schema everywhere: every setting through instant creation, scheduled
// creation (API and the schedule form where it shows the setting), PATCH of a series and the
// in-meeting settings message, each read back from the store and the API.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp } from "./support/app.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createApiToken } from "../lib/accounts/api_tokens.ts";
import { DEFAULT_SETTINGS, getMeetingByNumber } from "../lib/meetings/store.ts";
import type { MeetingSettings } from "../lib/meetings/store.ts";
import { settingsSchema as liveSettingsMessage } from "../lib/contracts/meeting_socket.ts";

/** Every setting with a value different from its default, so storing it is visible. */
const CHANGED: [keyof MeetingSettings, unknown][] = [
  ["guestsAllowed", false],
  ["lobby", false],
  ["lobbyForAll", true],
  ["muteOnEntry", true],
  ["screenShare", "hosts"],
  ["locked", true],
  ["chat", "hosts"],
  ["chat", "off"],
  ["allowUnmute", false],
  ["dialIn", false],
  ["recording", "everyone"],
  ["recording", "off"],
];
const WRONG: Record<keyof MeetingSettings, unknown> = {
  guestsAllowed: "no",
  lobby: 1,
  lobbyForAll: "yes",
  muteOnEntry: null,
  screenShare: "nobody",
  locked: "true",
  chat: "sometimes",
  allowUnmute: 0,
  dialIn: "off",
  recording: "hosts-only",
};

const SCHEDULED = { title: "Planned", startsAt: "2027-06-07T09:00:00", timeZone: "Europe/Berlin", durationMinutes: 30 };

async function host(t: TestApp) {
  const u = await createUser(t.kv, { name: "Hana", email: "hana@example.org", passwordHash: "x" });
  await updateUser(t.kv, u.id, () => ({ emailVerified: true, timeZone: "Europe/Berlin" }));
  const { secret } = await createApiToken(t.kv, u.id, "settings test");
  const browser = t.client();
  browser.cookies.set("ts_session", (await createSession(t.kv, u.id, "full")).token);
  return { api: t.client(), auth: { authorization: `Bearer ${secret}` }, browser };
}

/** The settings as GET /api/v1/meetings/:id shows them and as the store holds them; both must agree. */
async function readBack(t: TestApp, api: ReturnType<TestApp["client"]>, auth: HeadersInit, meetingId: string) {
  const res = await api.get(`/api/v1/meetings/${meetingId}`, auth);
  assert.equal(res.status, 200);
  const shown = (await res.json()).settings as MeetingSettings;
  const stored = (await getMeetingByNumber(t.kv, meetingId))!.settings;
  assert.deepEqual(shown, stored);
  return stored;
}

Deno.test("every setting is stored and read back through instant and scheduled API creation and PATCH", async () => {
  const t = await makeTestApp();
  try {
    const { api, auth } = await host(t);
    for (const [name, value] of CHANGED) {
      const label = `${name}=${JSON.stringify(value)}`;
      const instant = await api.sendJson("POST", "/api/v1/meetings", { settings: { [name]: value } }, auth);
      assert.equal(instant.status, 201, `instant ${label}: ${await instant.clone().text()}`);
      const i = await readBack(t, api, auth, (await instant.json()).meetingId);
      assert.deepEqual(i, { ...DEFAULT_SETTINGS, [name]: value }, `instant ${label}`);

      const scheduled = await api.sendJson(
        "POST",
        "/api/v1/meetings",
        { ...SCHEDULED, settings: { [name]: value } },
        auth,
      );
      assert.equal(scheduled.status, 201, `scheduled ${label}: ${await scheduled.clone().text()}`);
      const meetingId = (await scheduled.json()).meetingId;
      assert.deepEqual(
        await readBack(t, api, auth, meetingId),
        { ...DEFAULT_SETTINGS, [name]: value },
        `scheduled ${label}`,
      );

      // PATCH the series back to the default: only that setting moves.
      const back = DEFAULT_SETTINGS[name];
      const patched = await api.sendJson(
        "PATCH",
        `/api/v1/meetings/${meetingId}`,
        { settings: { [name]: back } },
        auth,
      );
      assert.equal(patched.status, 200, `PATCH ${name}: ${await patched.clone().text()}`);
      assert.equal((await patched.json()).settings[name], back, `PATCH answer ${name}`);
      assert.equal((await readBack(t, api, auth, meetingId))[name], back, `PATCH stored ${name}`);
    }
  } finally {
    t.close();
  }
});

Deno.test("a wrong value or an unknown setting is 422 naming the field, on every path, and nothing is saved", async () => {
  const t = await makeTestApp();
  try {
    const { api, auth } = await host(t);
    const planned = await api.sendJson("POST", "/api/v1/meetings", SCHEDULED, auth);
    const meetingId = (await planned.json()).meetingId;
    const before = await readBack(t, api, auth, meetingId);
    const count = async () => {
      let n = 0;
      for await (const _ of t.kv.list({ prefix: ["meetings"] })) n++;
      return n;
    };
    const meetings = await count();
    for (const [name, value] of [...Object.entries(WRONG), ["lobbyForAl", true] as [string, unknown]]) {
      for (
        const [method, path, body] of [
          ["POST", "/api/v1/meetings", { settings: { [name]: value } }],
          ["POST", "/api/v1/meetings", { ...SCHEDULED, settings: { [name]: value } }],
          ["PATCH", `/api/v1/meetings/${meetingId}`, { settings: { [name]: value } }],
        ] as const
      ) {
        const res = await api.sendJson(method, path, body, auth);
        assert.equal(res.status, 422, `${method} ${path} ${name}=${JSON.stringify(value)}`);
        const problem = await res.json();
        const field = Object.keys(problem.errors).find((f) => f === `settings.${name}` || f === "settings");
        assert.ok(field, `${name} is named: ${JSON.stringify(problem.errors)}`);
      }
    }
    assert.equal(await count(), meetings, "no meeting was created by a refused request");
    assert.deepEqual(await readBack(t, api, auth, meetingId), before, "a refused PATCH changed nothing");
  } finally {
    t.close();
  }
});

Deno.test("schedule form: lobby and guests are stored as ticked on create and on edit", async () => {
  const t = await makeTestApp();
  try {
    const { api, auth, browser } = await host(t);
    const form = {
      title: "Form meeting",
      date: "2027-06-07",
      time: "09:00",
      timeZone: "Europe/Berlin",
      duration: "30",
      repeat: "none",
    };
    for (const [lobby, guestsAllowed] of [[true, true], [true, false], [false, true], [false, false]]) {
      const ticks = { ...(lobby ? { lobby: "on" } : {}), ...(guestsAllowed ? { guestsAllowed: "on" } : {}) };
      const created = await browser.postForm("/meetings/new", { ...form, ...ticks });
      assert.equal(created.status, 303, JSON.stringify(ticks));
      const meetingId = /^\/meetings\/(\d{10})\/schedule/.exec(created.headers.get("location")!)![1];
      const stored = await readBack(t, api, auth, meetingId);
      assert.deepEqual([stored.lobby, stored.guestsAllowed], [lobby, guestsAllowed], `create ${JSON.stringify(ticks)}`);

      // The edit form shows them ticked as stored; submitting the opposite stores the opposite.
      const page = await (await browser.get(`/meetings/${meetingId}/schedule`)).text();
      assert.equal(/name="lobby"[^>]*checked/.test(page), lobby, "lobby box on the edit form");
      assert.equal(/name="guestsAllowed"[^>]*checked/.test(page), guestsAllowed, "guests box on the edit form");
      const flipped = { ...(!lobby ? { lobby: "on" } : {}), ...(!guestsAllowed ? { guestsAllowed: "on" } : {}) };
      const edited = await browser.postForm(`/meetings/${meetingId}/schedule`, { ...form, ...flipped });
      assert.equal(edited.status, 303, `edit ${JSON.stringify(flipped)}`);
      const after = await readBack(t, api, auth, meetingId);
      assert.deepEqual([after.lobby, after.guestsAllowed], [!lobby, !guestsAllowed], `edit ${JSON.stringify(flipped)}`);
    }
  } finally {
    t.close();
  }
});

Deno.test("the in-meeting settings message takes every live setting with the same rules", () => {
  const live: [string, unknown][] = CHANGED.filter(([n]) => n !== "guestsAllowed" && n !== "muteOnEntry");
  for (const [name, value] of live) {
    assert.deepEqual(liveSettingsMessage.parse({ type: "settings", [name]: value }), {
      type: "settings",
      [name]: value,
    });
    assert.equal(
      liveSettingsMessage.safeParse({ type: "settings", [name]: WRONG[name as keyof MeetingSettings] }).success,
      false,
    );
  }
  assert.equal(liveSettingsMessage.safeParse({ type: "settings", guestsAllowed: false }).success, false, "not live");
});
