// Scheduling in-process: DST-correct expansion, cancelled occurrences, the schedule form and its
// bad-input cases, RSVP links seen by the organizer, the API (series and occurrence), the dashboard.

import assert from "node:assert/strict";
import ICAL from "ical.js";
import { makeTestApp } from "./support/app.ts";
import type { TestApp } from "./support/app.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createApiToken } from "../lib/accounts/api_tokens.ts";
import { requireUser } from "../lib/web/middleware.ts";
import { createScheduledMeetingFromApi } from "../routes/api/v1/meetings.ts";
import { createScheduledMeeting, getSchedule } from "../lib/scheduling/schedule.ts";
import { listOccurrences, onScheduleChange, peopleFor } from "../lib/scheduling/occurrences.ts";
import { formatLocal, toLocal } from "../lib/scheduling/tz.ts";
import { createMeeting, updateMeeting } from "../lib/meetings/store.ts";

async function person(t: TestApp, name: string, opts: { verified?: boolean; timeZone?: string } = {}) {
  const u = await createUser(t.kv, { name, email: `${name.toLowerCase()}@example.org`, passwordHash: "x" });
  const user = (await updateUser(t.kv, u.id, () => ({
    emailVerified: opts.verified ?? true,
    timeZone: opts.timeZone ?? "America/New_York",
  })))!;
  const { token } = await createSession(t.kv, user.id, "full");
  const client = t.client();
  client.cookies.set("ts_session", token);
  return { user, client };
}

/** The test app with the scheduled-create handler mounted where the lead will call it from POST /api/v1/meetings. */
async function app(): Promise<TestApp> {
  const t = await makeTestApp();
  t.app.post("/api/v1/test-scheduled-meetings", requireUser(), (c) => createScheduledMeetingFromApi(c));
  return t;
}

async function countSchedules(t: TestApp): Promise<number> {
  let n = 0;
  for await (const _ of t.kv.list({ prefix: ["meeting_schedules"] })) n++;
  return n;
}

const nyLocal = (d: Date) => toLocal("America/New_York", d.getTime());

Deno.test("a weekly 09:00 New York series stays at 09:00 local across both DST changes; ical.js agrees", async () => {
  const t = await app();
  try {
    const { user } = await person(t, "Dora");
    const { meeting, schedule } = await createScheduledMeeting(t.kv, {
      hostId: user.id,
      title: "Weekly",
      startsAt: "2026-02-23T09:00:00",
      timeZone: "America/New_York",
      durationMinutes: 30,
      rrule: "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261201T045959Z",
      description: "",
      invitees: [],
      uidDomain: "localhost",
    });
    const occ = await listOccurrences(t.kv, meeting.meetingId, Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1));
    assert.equal(occ.length, 41); // Mondays from 23 Feb to 30 Nov 2026
    for (const o of occ) {
      const l = nyLocal(o.start);
      assert.deepEqual([l.hour, l.minute], [9, 0], `${o.start.toISOString()} is 09:00 in New York`);
      assert.equal(o.end.getTime() - o.start.getTime(), 30 * 60_000);
    }
    const utc = (id: string) => occ.find((o) => o.recurrenceId === id)!.start.toISOString();
    assert.equal(utc("2026-03-02T09:00:00"), "2026-03-02T14:00:00.000Z", "EST before 8 March");
    assert.equal(utc("2026-03-09T09:00:00"), "2026-03-09T13:00:00.000Z", "EDT after 8 March: an hour earlier in UTC");
    assert.equal(utc("2026-10-26T09:00:00"), "2026-10-26T13:00:00.000Z", "EDT before 1 November");
    assert.equal(utc("2026-11-02T09:00:00"), "2026-11-02T14:00:00.000Z", "EST after 1 November");

    // The .ics for the same series, expanded by ical.js with the generated VTIMEZONE, gives the same instants.
    const host = t.client();
    host.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
    const res = await host.get(`/meetings/${meeting.meetingId}/invite.ics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/calendar/);
    const cal = new ICAL.Component(ICAL.parse(await res.text()));
    const vtz = cal.getFirstSubcomponent("vtimezone")!;
    const zone = new ICAL.Timezone(vtz);
    const ev = new ICAL.Event(cal.getFirstSubcomponent("vevent")!);
    ev.startDate.zone = zone;
    assert.equal(ev.uid, schedule.uid);
    const it = ev.iterator();
    const fromIcal: string[] = [];
    for (let next = it.next(); next; next = it.next()) {
      next.zone = zone;
      fromIcal.push(new Date(next.toUnixTime() * 1000).toISOString());
    }
    assert.deepEqual(fromIcal, occ.map((o) => o.start.toISOString()));
  } finally {
    t.close();
  }
});

Deno.test("schedule form: creates meeting + schedule, invites, RSVP accept/decline shows on the schedule page", async () => {
  const t = await app();
  const changes: string[] = [];
  const off = onScheduleChange(({ meetingId }) => void changes.push(meetingId));
  try {
    const { client } = await person(t, "Olga");
    const form = await client.get("/meetings/new");
    assert.equal(form.status, 200);
    const html = await form.text();
    assert.match(html, /<option value="America\/New_York" selected/, "the person's time zone is the default");
    assert.ok(!/style=/.test(html), "no inline styles (CSP)");

    const res = await client.postForm("/meetings/new", {
      title: "Team sync",
      description: "Agenda in the doc",
      date: "2027-01-04",
      time: "09:00",
      timeZone: "America/New_York",
      duration: "30",
      repeat: "weekly",
      day_MO: "on",
      day_WE: "on",
      ends: "count",
      count: "6",
      invitees: "pia@example.org, Quinn@Example.org\nPia@example.org",
      lobby: "on",
    });
    assert.equal(res.status, 303);
    const meetingId = /^\/meetings\/(\d{10})\/schedule/.exec(res.headers.get("location")!)![1];
    const s = (await getSchedule(t.kv, meetingId))!;
    assert.equal(s.rrule, "FREQ=WEEKLY;COUNT=6;BYDAY=MO,WE");
    assert.deepEqual(s.invitees.map((i) => i.email), ["pia@example.org", "quinn@example.org"]);
    assert.deepEqual(changes, [meetingId], "the change hook fired once for the create");
    const people = await peopleFor(t.kv, meetingId);
    assert.deepEqual(people.map((p) => p.email), ["olga@example.org", "pia@example.org", "quinn@example.org"]);
    assert.equal(t.mailer.sent.length, 2);
    assert.equal(t.mailer.last("pia@example.org").calendar?.method, "REQUEST");
    ICAL.parse(t.mailer.last("pia@example.org").calendar!.content); // parses
    assert.ok(
      t.mailer.last("pia@example.org").text.includes(
        "Repeats: Every Monday and Wednesday at 09:00, New York time, 6 times",
      ),
      "the invitation says the rule in words",
    );

    // Pia accepts, Quinn declines, through their links.
    const pia = t.client();
    const accept = t.mailer.link("pia@example.org", "/rsvp/");
    const confirm = await pia.get(new URL(accept).pathname + new URL(accept).search);
    assert.equal(confirm.status, 200);
    assert.match(await confirm.text(), /<button type="submit">Accept<\/button>/);
    const token = decodeURIComponent(new URL(accept).pathname.split("/")[2]);
    assert.equal((await pia.postForm(`/rsvp/${token}`, { answer: "accept" })).status, 200);
    const quinnLink = new URL(t.mailer.link("quinn@example.org", "/rsvp/"));
    const quinnToken = decodeURIComponent(quinnLink.pathname.split("/")[2]);
    assert.equal((await t.client().postForm(`/rsvp/${quinnToken}`, { answer: "decline" })).status, 200);
    assert.equal((await t.client().postForm(`/rsvp/${quinnToken}x`, { answer: "accept" })).status, 404);

    const page = await (await client.get(`/meetings/${meetingId}/schedule`)).text();
    assert.match(page, /1 accepted · 1 declined · 0 not answered/);
    assert.match(page, /<tr class="response-accepted"><td>pia@example.org<\/td><td>Accepted<\/td>/);
    assert.match(page, /<tr class="response-declined"><td>quinn@example.org<\/td><td>Declined<\/td>/);
    // Someone else cannot see it.
    const { client: other } = await person(t, "Mallory");
    assert.equal((await other.get(`/meetings/${meetingId}/schedule`)).status, 403);
    assert.equal((await other.get(`/meetings/${meetingId}/invite.ics`)).status, 404);
  } finally {
    off();
    t.close();
  }
});

Deno.test("schedule form: bad input gets field messages, 422, and nothing is saved or sent", async () => {
  const t = await app();
  try {
    const { client } = await person(t, "Ben");
    const good = {
      title: "X",
      date: "2027-01-04",
      time: "09:00",
      timeZone: "America/New_York",
      duration: "30",
      repeat: "none",
      ends: "until",
      invitees: "",
    };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ date: "2027-02-30" }, "date", /real date/],
      [{ date: "2020-01-01" }, "date", /future/],
      [{ duration: "0" }, "duration", /end after it starts/],
      [{ duration: "1441" }, "duration", /24 hours/],
      [{ timeZone: "Mars/Olympus" }, "timeZone", /Unknown time zone/],
      [{ repeat: "daily", ends: "", until: "" }, "ends", /when the series ends/],
      [{ repeat: "daily", ends: "until", until: "2033-01-01" }, "until", /within 5 years/],
      [{ repeat: "daily", ends: "count", count: "5000" }, "count", /at most 2000|between 1 and 2000/],
      [{ invitees: "a@example.org, not-an-email" }, "invitees", /not-an-email.*not a valid email/],
      [{ invitees: Array.from({ length: 301 }, (_, i) => `p${i}@example.org`).join(",") }, "invitees", /at most 300/],
    ];
    for (const [patch, field, message] of cases) {
      const res = await client.postForm("/meetings/new", { ...good, ...patch });
      assert.equal(res.status, 422, JSON.stringify(patch));
      const html = await res.text();
      const err = new RegExp(`id="f-${field}-error">([^<]*)<`).exec(html) ??
        new RegExp(`class="error"[^>]*>([^<]*${message.source}[^<]*)<`).exec(html);
      assert.ok(err, `a message next to ${field} for ${JSON.stringify(patch).slice(0, 80)}`);
      assert.match(err[1].replaceAll("&quot;", '"'), message);
    }
    // Unverified organizers cannot invite.
    const { client: unverified } = await person(t, "Uma", { verified: false });
    const res = await unverified.postForm("/meetings/new", { ...good, invitees: "z@example.org" });
    assert.equal(res.status, 422);
    assert.match(await res.text(), /Confirm your email address before sending invitations/);
    assert.equal(await countSchedules(t), 0);
    assert.equal(t.mailer.sent.length, 0);
    // …but may schedule without invitees.
    assert.equal((await unverified.postForm("/meetings/new", good)).status, 303);
    assert.equal(await countSchedules(t), 1);
  } finally {
    t.close();
  }
});

Deno.test("API: create, patch and delete a series and one occurrence; bad input is 422 with nothing saved", async () => {
  const t = await app();
  try {
    const { user } = await person(t, "Ivy");
    const { secret: token } = await createApiToken(t.kv, user.id, "test");
    const api = t.client();
    const auth = { authorization: `Bearer ${token}` };
    const bad: [Record<string, unknown>, string][] = [
      [{ startsAt: "2027-13-01T09:00:00" }, "startsAt"],
      [{ startsAt: "2027-03-01T09:00:00Z" }, "startsAt"],
      [{ timeZone: "Nowhere/City" }, "timeZone"],
      [{ durationMinutes: -5 }, "durationMinutes"],
      [{ recurrence: "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30" }, "recurrence"],
      [{ recurrence: "FREQ=SOMETIMES;COUNT=3" }, "recurrence"],
      [{ recurrence: "garbage" }, "recurrence"],
      [{ recurrence: "FREQ=DAILY;UNTIL=20350101T000000Z" }, "recurrence"],
      [{ invitees: ["ok@example.org", "bad@"] }, "invitees"],
    ];
    const body = {
      title: "API sync",
      startsAt: "2027-03-01T09:00:00",
      timeZone: "America/New_York",
      durationMinutes: 60,
    };
    for (const [patch, field] of bad) {
      const res = await api.sendJson("POST", "/api/v1/test-scheduled-meetings", { ...body, ...patch }, auth);
      assert.equal(res.status, 422, JSON.stringify(patch));
      const problem = await res.json();
      assert.ok(problem.errors[field], `${field} explained: ${JSON.stringify(problem)}`);
    }
    assert.equal(await countSchedules(t), 0);

    const created = await api.sendJson("POST", "/api/v1/test-scheduled-meetings", {
      ...body,
      recurrence: "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
      invitees: ["kim@example.org"],
      settings: { lobby: false },
    }, auth);
    assert.equal(created.status, 201);
    const c = await created.json();
    assert.match(c.meetingId, /^\d{10}$/);
    assert.ok(c.joinUrl.includes(c.meetingId) && c.passcode);
    assert.equal(c.schedule.recurrence, "FREQ=WEEKLY;COUNT=4;BYDAY=MO");
    assert.deepEqual(c.schedule.invitees, [{ email: "kim@example.org", response: "needs-action", respondedAt: null }]);
    assert.ok(!JSON.stringify(c).includes(`${c.meetingId}-`), "RSVP tokens stay on the server");

    const patched = await api.sendJson("PATCH", `/api/v1/meetings/${c.meetingId}`, {
      title: "API sync v2",
      durationMinutes: 45,
    }, auth);
    assert.equal(patched.status, 200);
    const p = await patched.json();
    assert.equal(p.title, "API sync v2");
    assert.equal(p.schedule.durationMinutes, 45);
    assert.equal(p.schedule.sequence, 1);
    assert.equal(
      (await api.sendJson("PATCH", `/api/v1/meetings/${c.meetingId}`, { recurrence: "FREQ=DAILY;COUNT=9000" }, auth))
        .status,
      422,
    );

    // One occurrence: move the second (given as a UTC instant), cancel the third (as local time).
    const moved = await api.sendJson(
      "PATCH",
      `/api/v1/meetings/${c.meetingId}/occurrences/${encodeURIComponent("2027-03-08T14:00:00Z")}`,
      { startsAt: "2027-03-08T11:00:00" },
      auth,
    );
    assert.equal(moved.status, 200);
    assert.equal((await moved.json()).recurrenceId, "2027-03-08T09:00:00");
    const del = await api.request(`/api/v1/meetings/${c.meetingId}/occurrences/2027-03-15T09:00:00`, {
      method: "DELETE",
      headers: auth,
    });
    assert.equal(del.status, 204);
    const missing = await api.request(`/api/v1/meetings/${c.meetingId}/occurrences/2027-03-16T09:00:00`, {
      method: "DELETE",
      headers: auth,
    });
    assert.equal(missing.status, 404, "not an occurrence of the series");
    const occ = await listOccurrences(t.kv, c.meetingId, 0, Date.UTC(2028, 0, 1));
    assert.deepEqual(occ.map((o) => o.recurrenceId), [
      "2027-03-01T09:00:00",
      "2027-03-08T09:00:00",
      "2027-03-22T09:00:00",
    ]);
    assert.deepEqual(nyLocal(occ[1].start).hour, 11, "the moved occurrence");
    assert.equal(t.mailer.sent.filter((m) => m.to === "kim@example.org").length, 4, "invite, update, move, cancel");
    assert.equal(t.mailer.last("kim@example.org").calendar?.method, "CANCEL");

    // Someone else's token cannot touch it.
    const { user: other } = await person(t, "Oscar");
    const otherToken = (await createApiToken(t.kv, other.id, "t")).secret;
    const forbidden = await api.request(`/api/v1/meetings/${c.meetingId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${otherToken}` },
    });
    assert.equal(forbidden.status, 403);

    const gone = await api.request(`/api/v1/meetings/${c.meetingId}`, { method: "DELETE", headers: auth });
    assert.equal(gone.status, 204);
    assert.deepEqual(await listOccurrences(t.kv, c.meetingId, 0, Date.UTC(2028, 0, 1)), []);
    assert.match(t.mailer.last("kim@example.org").subject, /^Cancelled: API sync v2/);

    const feed = await api.request("/api/v1/calendar", { headers: auth });
    assert.match((await feed.json()).feedUrl, /^http:\/\/localhost:8000\/calendar\/[\w-]+\.ics$/);
  } finally {
    t.close();
  }
});

Deno.test("dashboard Upcoming: next 14 days in the viewer's zone, Join live from 10 minutes before", async () => {
  const t = await app();
  try {
    const { user: host } = await person(t, "Hal", { timeZone: "America/New_York" });
    const { client: viewer } = await person(t, "Vi", { timeZone: "Asia/Tokyo" });
    const soon = Date.now() + 5 * 60_000;
    const later = Date.now() + 2 * 86_400_000;
    const localNy = (ms: number) => {
      const l = toLocal("America/New_York", ms);
      return `${l.year}-${String(l.month).padStart(2, "0")}-${String(l.day).padStart(2, "0")}T${
        String(l.hour).padStart(2, "0")
      }:${String(l.minute).padStart(2, "0")}:00`;
    };
    const mk = (title: string, ms: number, invitees: string[]) =>
      createScheduledMeeting(t.kv, {
        hostId: host.id,
        title,
        startsAt: localNy(ms),
        timeZone: "America/New_York",
        durationMinutes: 30,
        rrule: null,
        description: "",
        invitees,
        uidDomain: "localhost",
      });
    const a = await mk("Soon meeting", soon, ["vi@example.org"]);
    await mk("Later meeting", later, ["vi@example.org"]);
    await mk("Not for Vi", soon, []);
    await mk("Far away", Date.now() + 20 * 86_400_000, ["vi@example.org"]);
    const html = await (await viewer.get("/dashboard")).text();
    assert.match(html, /Times in Asia\/Tokyo/);
    assert.ok(html.includes("Soon meeting") && html.includes("Later meeting"));
    assert.ok(!html.includes("Not for Vi") && !html.includes("Far away"));
    const tokyo = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });
    const minute = Math.floor(soon / 60_000) * 60_000;
    assert.ok(html.includes(tokyo.format(new Date(minute))), "shown in the viewer's time zone");
    assert.equal(
      [...html.matchAll(/class="button small meeting-join"/g)].length,
      1,
      "only the meeting within 10 minutes",
    );
    assert.ok(html.includes(`/m/${a.meeting.meetingId}?pwd=`));
    assert.ok(html.includes('href="/meetings/new"'), "Schedule a meeting");
  } finally {
    t.close();
  }
});

Deno.test("API: POST /api/v1/meetings takes a rule without UNTIL or COUNT; it is in the feed as is and on the dashboard", async () => {
  const t = await makeTestApp();
  try {
    const { user, client } = await person(t, "Nell", { timeZone: "Europe/Berlin" });
    const { secret: token } = await createApiToken(t.kv, user.id, "test");
    const api = t.client();
    const auth = { authorization: `Bearer ${token}` };
    // Every Tuesday from next week on, never ending.
    const start = toLocal("Europe/Berlin", Date.now() + 7 * 86_400_000);
    const startsAt = `${start.year}-${String(start.month).padStart(2, "0")}-${
      String(start.day).padStart(2, "0")
    }T09:00:00`;
    const created = await api.sendJson("POST", "/api/v1/meetings", {
      title: "Forever weekly",
      startsAt,
      timeZone: "Europe/Berlin",
      durationMinutes: 30,
      recurrence: "FREQ=WEEKLY",
    }, auth);
    assert.equal(created.status, 201, await created.clone().text());
    const c = await created.json();
    assert.match(c.schedule.recurrence, /^FREQ=WEEKLY;BYDAY=[A-Z]{2}$|^FREQ=WEEKLY$/);
    assert.equal(c.schedule.nextOccurrences.length, 5);

    // Fifty years on it still has its meetings, found without walking the series.
    const far = await listOccurrences(t.kv, c.meetingId, Date.UTC(2076, 0, 1), Date.UTC(2076, 1, 1));
    assert.ok(far.length >= 4 && far.length <= 5, `${far.length} meetings in January 2076`);

    // The feed carries the rule as is: no UNTIL, no COUNT; ical.js reads it as a series without end.
    const { feedUrl } = await (await api.request("/api/v1/calendar", { headers: auth })).json();
    const feed = await api.get(new URL(feedUrl).pathname);
    assert.equal(feed.status, 200);
    const text = await feed.text();
    const rule = /^RRULE:(.*)$/m.exec(text)?.[1]?.trim();
    assert.ok(rule && !/UNTIL|COUNT/.test(rule), `RRULE:${rule}`);
    const cal = new ICAL.Component(ICAL.parse(text));
    const ev = new ICAL.Event(cal.getFirstSubcomponent("vevent")!);
    assert.ok(ev.isRecurring() && ev.getRecurrenceTypes().WEEKLY);
    assert.equal((ev.component.getFirstPropertyValue("rrule") as ICAL.Recur).isFinite(), false);

    // The dashboard lists the next one.
    const dash = await (await client.get("/dashboard")).text();
    assert.ok(dash.includes("Forever weekly"), "on the dashboard");
  } finally {
    t.close();
  }
});

/** What a browser would submit from a page's form as it stands: inputs, checked boxes and radios, selected options. */
function formDefaults(html: string, action: string): Record<string, string> {
  const form = new RegExp(`<form[^>]*action="${action}"[^>]*>([\\s\\S]*?)</form>`).exec(html)?.[1];
  assert.ok(form, `a form posting to ${action}`);
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  const has = (tag: string, name: string) => new RegExp(`\\s${name}(\\s|>|=|/)`).test(tag);
  const decode = (s: string) =>
    s.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
  const out: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input[^>]*>/g)) {
    const name = attr(tag, "name");
    const type = attr(tag, "type") ?? "text";
    if (!name) continue;
    if ((type === "checkbox" || type === "radio") && !has(tag, "checked")) continue;
    out[name] = decode(attr(tag, "value") ?? (type === "checkbox" ? "on" : ""));
  }
  for (const [, open, body] of form.matchAll(/<select([^>]*)>([\s\S]*?)<\/select>/g)) {
    const selected = /<option value="([^"]*)" selected/.exec(body) ?? /<option value="([^"]*)"/.exec(body);
    out[attr(open, "name")!] = decode(selected![1]);
  }
  for (const [, open, body] of form.matchAll(/<textarea([^>]*)>([\s\S]*?)<\/textarea>/g)) {
    out[attr(open, "name")!] = decode(body);
  }
  return out;
}

Deno.test("schedule form: a weekly meeting with exactly the form's defaults is scheduled, never ends, and is shown in words", async () => {
  const t = await app();
  try {
    const { client, user } = await person(t, "Wes", { timeZone: "America/New_York" });
    const html = await (await client.get("/meetings/new")).text();
    assert.match(html, /<input id="f-date" name="date" type="date"/, "a native date picker");
    assert.match(html, /<input id="f-time" name="time" type="time"[^>]*step="300"/, "a native time picker");
    assert.match(html, /<select id="f-duration" name="duration"[\s\S]*?<option value="30" selected>30 min<\/option>/);
    assert.match(html, /<input type="radio" name="ends" value="never" checked/, "a repeat ends never by default");
    const defaults = formDefaults(html, "/meetings/new");
    assert.equal(defaults.repeat, "none", "does not repeat by default");
    assert.equal(defaults.timeZone, "America/New_York", "the person's own zone");
    assert.equal(defaults.duration, "30");
    assert.match(defaults.time, /^\d\d:(00|30)$/, "on a full half hour");
    // The wall clock read as if UTC, against New York's wall clock now.
    const start = Date.parse(`${defaults.date}T${defaults.time}:00Z`); // wall clock as if UTC, compared to New York's wall clock now
    const nowNy = toLocal("America/New_York", Date.now());
    const nowWall = Date.UTC(nowNy.year, nowNy.month - 1, nowNy.day, nowNy.hour, nowNy.minute);
    assert.ok(
      start > nowWall && start <= nowWall + 31 * 60_000,
      `${defaults.date} ${defaults.time} is the next half hour`,
    );

    const res = await client.postForm("/meetings/new", { ...defaults, title: "Weekly defaults", repeat: "weekly" });
    assert.equal(
      res.status,
      303,
      await res.clone().text().then((h) => /class="error"[^>]*>([^<]*)/.exec(h)?.[1] ?? ""),
    );
    const meetingId = /\/meetings\/(\d{10})\/schedule/.exec(res.headers.get("location")!)![1];
    const schedule = (await getSchedule(t.kv, meetingId))!;
    const weekday = new Intl.DateTimeFormat("en-GB", { weekday: "long", timeZone: "UTC" }).format(
      new Date(`${defaults.date}T00:00:00Z`),
    );
    assert.equal(schedule.rrule, `FREQ=WEEKLY;BYDAY=${weekday.slice(0, 2).toUpperCase()}`, "no UNTIL, no COUNT");

    // The schedule page says it in words.
    const page = await (await client.get(`/meetings/${meetingId}/schedule`)).text();
    assert.ok(
      page.includes(`Every ${weekday} at ${defaults.time}, New York time`),
      "the summary on the meeting's page",
    );
    // It is on the dashboard (the first meeting is within the next half hour)…
    const dash = await (await client.get("/dashboard")).text();
    assert.ok(dash.includes("Weekly defaults"));
    // …and its occurrences go on a year from now.
    const later = await listOccurrences(t.kv, meetingId, Date.now() + 365 * 86_400_000, Date.now() + 372 * 86_400_000);
    assert.equal(later.length, 1, "one a week, a year on");
    assert.equal(user.timeZone, "America/New_York");
  } finally {
    t.close();
  }
});

Deno.test("schedule form: invalid dates and times get field messages, the values are kept, nothing is saved", async () => {
  const t = await app();
  try {
    const { client } = await person(t, "Xia");
    const good = {
      title: "X",
      date: "2027-01-05",
      time: "09:00",
      timeZone: "America/New_York",
      duration: "30",
      repeat: "weekly",
      ends: "never",
    };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ date: "05/01/2027" }, "date", /YYYY-MM-DD/],
      [{ date: "2027-02-30" }, "date", /real date/],
      [{ time: "25:00" }, "time", /HH:MM/],
      [{ time: "9am" }, "time", /HH:MM/],
      [{ ends: "until", until: "" }, "until", /last date/],
      [{ ends: "until", until: "2027-13-01" }, "until", /last date/],
      [{ ends: "until", until: "2026-01-01" }, "until", /end after its first meeting/],
      [{ ends: "count", count: "0" }, "count", /how many meetings/],
      [{ duration: "ninety" }, "duration", /minutes/],
    ];
    for (const [patch, field, message] of cases) {
      const res = await client.postForm("/meetings/new", { ...good, ...patch });
      assert.equal(res.status, 422, JSON.stringify(patch));
      const html = await res.text();
      const err = new RegExp(`id="f-${field}-error">([^<]*)<`).exec(html);
      assert.ok(err, `a message next to ${field} for ${JSON.stringify(patch)}`);
      assert.match(err[1], message, JSON.stringify(patch));
      const kept = formDefaults(html, "/meetings/new");
      for (const [name, value] of Object.entries(patch)) {
        if (name !== "duration") assert.equal(kept[name], value, `${name} kept as typed`);
      }
    }
    // The form, re-rendered, says what the repetition fields mean.
    const untitled = await client.postForm("/meetings/new", { ...good, title: "" });
    assert.equal(untitled.status, 422);
    assert.match(await untitled.text(), /<strong>Summary:<\/strong> Every Tuesday at 09:00, New York time/);
    assert.equal(await countSchedules(t), 0);
    // Seconds from a time picker with a finer step are accepted.
    assert.equal((await client.postForm("/meetings/new", { ...good, time: "09:00:00" })).status, 303);
  } finally {
    t.close();
  }
});

/** The dashboard's row for one meeting (the first when it has several occurrences), within the named list. */
function dashboardRow(html: string, list: "upcoming-list" | "recent-list", meetingId: string): string {
  const ul = new RegExp(`<ul class="meeting-rows ${list}">([\\s\\S]*?)</ul>`).exec(html)?.[1] ?? "";
  const row = new RegExp(`<li class="meeting-row[^"]*" data-meeting-id="${meetingId}">([\\s\\S]*?)</li>`).exec(ul)?.[1];
  assert.ok(row, `${meetingId} in ${list}`);
  return row;
}

Deno.test("dashboard lists: states, one Schedule button, and actions by role", async () => {
  const t = await app();
  try {
    const { user: host, client: hostClient } = await person(t, "Hana", { timeZone: "Europe/Berlin" });
    const { client: guestClient } = await person(t, "Gus", { timeZone: "Europe/Berlin" });
    const wall = (ms: number) => formatLocal(toLocal("Europe/Berlin", Math.floor(ms / 60_000) * 60_000));
    const mk = (title: string, ms: number, rrule: string | null = null) =>
      createScheduledMeeting(t.kv, {
        hostId: host.id,
        title,
        startsAt: wall(ms),
        timeZone: "Europe/Berlin",
        durationMinutes: 30,
        rrule,
        description: "",
        invitees: ["gus@example.org"],
        uidDomain: "localhost",
      });
    // One clock reading for the meeting and for the text expected of it: read twice, the minute can
    // tick over in between (a fresh-clone run caught "23:56" against an expected "23:55").
    const soonAt = Date.now() + 5 * 60_000;
    const soon = await mk("Soon sync", soonAt);
    const later = await mk("Weekly later", Date.now() + 2 * 86_400_000, "FREQ=WEEKLY");
    const instant = await createMeeting(t.kv, { hostId: host.id, title: "Instant never started" });
    const done = await createMeeting(t.kv, { hostId: host.id, title: "Finished one" });
    await updateMeeting(t.kv, done.id, () => ({
      status: "ended",
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      endedAt: new Date(Date.now() - 1_800_000).toISOString(),
    }));

    const html = await (await hostClient.get("/dashboard")).text();
    assert.equal([...html.matchAll(/href="\/meetings\/new"/g)].length, 1, "one Schedule a meeting");
    assert.match(html, /<a class="button" href="\/meetings\/new">Schedule a meeting<\/a>/);
    assert.ok(!/<li class="meeting-card/.test(html) && !/>Open</.test(html), "no bare 'Open' rows");

    const soonRow = dashboardRow(html, "upcoming-list", soon.meeting.meetingId);
    assert.match(soonRow, />Starting soon</);
    assert.match(soonRow, /class="button small meeting-join" href="http:\/\/localhost:8000\/m\/\d{10}\?pwd=/);
    assert.match(soonRow, /Copy link/, "the CopyButton island");
    assert.ok(soonRow.includes(`href="/meetings/${soon.meeting.meetingId}/schedule#edit"`), "Edit for the host");
    assert.ok(soonRow.includes(`href="/meetings/${soon.meeting.meetingId}/schedule/cancel"`), "Cancel for the host");
    const berlin = (ms: number) =>
      new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", weekday: "short", day: "numeric", month: "short" })
        .format(new Date(ms));
    const hm = (ms: number) =>
      new Intl.DateTimeFormat("en-GB", {
        timeZone: "Europe/Berlin",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      })
        .format(new Date(ms));
    const s0 = Math.floor(soonAt / 60_000) * 60_000;
    assert.ok(
      soonRow.includes(`${berlin(s0)}, ${hm(s0)}–${hm(s0 + 30 * 60_000)}`),
      `the time as "Tue 9 Dec, 09:00–09:30"`,
    );

    const laterRow = dashboardRow(html, "upcoming-list", later.meeting.meetingId);
    assert.match(laterRow, />Scheduled</);
    assert.ok(!laterRow.includes("meeting-join"), "no Join two days ahead");
    assert.ok(laterRow.includes("/schedule/cancel"));

    const instantRow = dashboardRow(html, "recent-list", instant.meetingId);
    assert.match(instantRow, />Not started</);
    assert.match(instantRow, /meeting-join/, "an instant meeting can be joined any time");
    assert.ok(!instantRow.includes("/schedule"), "no Edit or Cancel without a schedule");
    const doneRow = dashboardRow(html, "recent-list", done.meetingId);
    assert.match(doneRow, />Ended</);
    assert.ok(!doneRow.includes("meeting-join") && !doneRow.includes("Copy link"));
    assert.match(dashboardRow(html, "recent-list", later.meeting.meetingId), />Scheduled</);

    // An invitee sees Join and Copy link, not Edit or Cancel.
    const guestHtml = await (await guestClient.get("/dashboard")).text();
    const guestRow = dashboardRow(guestHtml, "upcoming-list", soon.meeting.meetingId);
    assert.match(guestRow, /meeting-join/);
    assert.match(guestRow, /Copy link/);
    assert.match(guestRow, /invited/);
    assert.ok(!guestRow.includes("/schedule"), "no Edit or Cancel for an invitee");
    assert.equal((await guestClient.get(`/meetings/${soon.meeting.meetingId}/schedule/cancel`)).status, 403);

    // Cancel: a confirmation page (changing nothing), then the CSRF-protected form.
    const confirm = await hostClient.get(`/meetings/${later.meeting.meetingId}/schedule/cancel`);
    assert.equal(confirm.status, 200);
    const page = await confirm.text();
    assert.match(page, /Cancel Weekly later\?/);
    assert.match(page, /Every [A-Z][a-z]+day at \d\d:\d\d, Berlin time/);
    assert.ok(page.includes(`action="/meetings/${later.meeting.meetingId}/schedule/cancel"`));
    assert.match(page, /name="_csrf"/);
    assert.equal((await getSchedule(t.kv, later.meeting.meetingId))!.cancelledAt, null, "the GET cancelled nothing");
    const forged = await hostClient.postForm(`/meetings/${later.meeting.meetingId}/schedule/cancel`, {}, {
      origin: "https://evil.example",
    });
    assert.equal(forged.status, 403, "another site cannot cancel");
    assert.equal((await getSchedule(t.kv, later.meeting.meetingId))!.cancelledAt, null);
    const fields = formDefaults(page, `/meetings/${later.meeting.meetingId}/schedule/cancel`);
    const cancelled = await hostClient.postForm(`/meetings/${later.meeting.meetingId}/schedule/cancel`, fields);
    assert.equal(cancelled.status, 303);
    assert.ok((await getSchedule(t.kv, later.meeting.meetingId))!.cancelledAt);
    const after = await (await hostClient.get("/dashboard")).text();
    const upcomingAfter = /<ul class="meeting-rows upcoming-list">([\s\S]*?)<\/ul>/.exec(after)?.[1] ?? "";
    assert.ok(!upcomingAfter.includes(`data-meeting-id="${later.meeting.meetingId}"`), "gone from Upcoming");
    const cancelledRow = dashboardRow(after, "recent-list", later.meeting.meetingId);
    assert.match(cancelledRow, />Cancelled</);
    assert.ok(!cancelledRow.includes("meeting-join") && !cancelledRow.includes("/schedule/cancel"));
  } finally {
    t.close();
  }
});
