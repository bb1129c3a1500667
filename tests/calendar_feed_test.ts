// The personal calendar feed: PUBLISH with RRULE/EXDATE/RECURRENCE-ID parsed by ical.js, who sees
// what, ETag → 304, 60 a minute → 429 with Retry-After, and the account page's regenerate/revoke.

import assert from "node:assert/strict";
import ICAL from "ical.js";
import { makeTestApp } from "./support/app.ts";
import type { TestApp } from "./support/app.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createScheduledMeeting } from "../lib/scheduling/schedule.ts";
import { cancelOccurrence, changeOccurrence } from "../lib/scheduling/service.ts";
import { ensureFeed } from "../lib/scheduling/feed.ts";
import { formatMeetingId } from "../lib/meetings/store.ts";

async function person(t: TestApp, name: string, verified = true) {
  const u = await createUser(t.kv, { name, email: `${name.toLowerCase()}@example.org`, passwordHash: "x" });
  const user = (await updateUser(t.kv, u.id, () => ({ emailVerified: verified })))!;
  const client = t.client();
  client.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
  return { user, client };
}

function feedPath(url: string): string {
  return new URL(url).pathname;
}

/** Expands every event of a feed with ical.js (its own VTIMEZONEs), overrides replacing their occurrences. */
function expandFeed(text: string): Map<string, string[]> {
  const cal = new ICAL.Component(ICAL.parse(text));
  for (const vtz of cal.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(vtz);
  const byUid = new Map<string, string[]>();
  const events = cal.getAllSubcomponents("vevent").map((v) => new ICAL.Event(v));
  for (const ev of events.filter((e) => !e.isRecurrenceException())) {
    for (const ex of events.filter((e) => e.isRecurrenceException() && e.uid === ev.uid)) ev.relateException(ex);
    const starts: string[] = [];
    if (ev.isRecurring()) {
      const it = ev.iterator();
      for (let next = it.next(); next; next = it.next()) {
        const details = ev.getOccurrenceDetails(next);
        starts.push(details.startDate.toJSDate().toISOString());
      }
    } else starts.push(ev.startDate.toJSDate().toISOString());
    byUid.set(ev.uid, starts);
  }
  for (const vtz of cal.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.remove(String(vtz.getFirstPropertyValue("tzid")));
  }
  return byUid;
}

Deno.test("feed: PUBLISH with RRULE, EXDATE and RECURRENCE-ID; hosts and verified invitees; ETag/304", async () => {
  const t = await makeTestApp();
  try {
    const { user: host, client } = await person(t, "Fay");
    const { user: guest } = await person(t, "Gus");
    const { user: unverified } = await person(t, "Uli", false);
    const weekly = await createScheduledMeeting(t.kv, {
      hostId: host.id,
      title: "Weekly planning",
      startsAt: "2027-03-01T09:00:00",
      timeZone: "America/New_York",
      durationMinutes: 30,
      rrule: "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
      description: "",
      invitees: ["gus@example.org", "uli@example.org"],
      uidDomain: "localhost",
    });
    const oneOff = await createScheduledMeeting(t.kv, {
      hostId: host.id,
      title: "Kick-off",
      startsAt: "2027-04-01T15:00:00",
      timeZone: "Europe/Berlin",
      durationMinutes: 60,
      rrule: null,
      description: "",
      invitees: [],
      uidDomain: "localhost",
    });
    const deps = { kv: t.kv, config: t.config, mailer: t.mailer };
    await cancelOccurrence(deps, weekly.meeting.meetingId, "2027-03-15T09:00:00");
    await changeOccurrence(deps, weekly.meeting.meetingId, "2027-03-22T09:00:00", { startsAt: "2027-03-22T11:00:00" });

    const page = await client.get("/account/calendar");
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Create my feed address/);
    assert.equal((await client.postForm("/account/calendar/regenerate", {})).status, 303);
    const html = await (await client.get("/account/calendar")).text();
    const url = /value="(http:\/\/localhost:8000\/calendar\/[\w-]+\.ics)"/.exec(html)![1];
    assert.ok(html.includes(url.replace("http:", "webcal:")), "webcal link");

    const res = await t.client().get(feedPath(url));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^text\/calendar; charset=utf-8; method=PUBLISH/);
    const etag = res.headers.get("etag")!;
    assert.ok(etag);
    const text = await res.text();
    const cal = new ICAL.Component(ICAL.parse(text));
    assert.equal(cal.getFirstPropertyValue("method"), "PUBLISH");
    const master = cal.getAllSubcomponents("vevent").find((v) =>
      v.getFirstPropertyValue("uid") === weekly.schedule.uid && !v.hasProperty("recurrence-id")
    )!;
    assert.equal(String(master.getFirstPropertyValue("rrule")), "FREQ=WEEKLY;COUNT=4;BYDAY=MO");
    assert.equal(master.getFirstProperty("exdate")!.getParameter("tzid"), "America/New_York");
    assert.equal(String(master.getFirstPropertyValue("exdate")), "2027-03-15T09:00:00");
    const expanded = expandFeed(text);
    assert.deepEqual(expanded.get(weekly.schedule.uid), [
      "2027-03-01T14:00:00.000Z", // 09:00 EST
      "2027-03-08T14:00:00.000Z", // 09:00 EST (DST starts 14 March)
      "2027-03-22T15:00:00.000Z", // moved to 11:00 EDT; 15 March is cancelled (EXDATE)
    ]);
    assert.deepEqual(expanded.get(oneOff.schedule.uid), ["2027-04-01T13:00:00.000Z"]);

    // Unchanged → 304 with the same ETag; a change → a new ETag and body.
    const again = await t.client().get(feedPath(url), { "if-none-match": etag });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
    await cancelOccurrence(deps, weekly.meeting.meetingId, "2027-03-01T09:00:00");
    const changed = await t.client().get(feedPath(url), { "if-none-match": etag });
    assert.equal(changed.status, 200);
    assert.notEqual(changed.headers.get("etag"), etag);
    assert.deepEqual(expandFeed(await changed.text()).get(weekly.schedule.uid), [
      "2027-03-08T14:00:00.000Z",
      "2027-03-22T15:00:00.000Z",
    ]);

    // The verified invitee sees the series; the unverified one does not (their email is unproven).
    const gusFeed = await ensureFeed(t.kv, guest.id);
    const gusText = await (await t.client().get(`/calendar/${gusFeed.token}.ics`)).text();
    assert.deepEqual([...expandFeed(gusText).keys()], [weekly.schedule.uid]);
    const uliFeed = await ensureFeed(t.kv, unverified.id);
    const uliText = await (await t.client().get(`/calendar/${uliFeed.token}.ics`)).text();
    assert.equal(expandFeed(uliText).size, 0);

    // Regenerate → the old URL is gone; revoke → the new one too.
    assert.equal((await client.postForm("/account/calendar/regenerate", {})).status, 303);
    assert.equal((await t.client().get(feedPath(url))).status, 404);
    const html2 = await (await client.get("/account/calendar")).text();
    const url2 = /value="(http:\/\/localhost:8000\/calendar\/[\w-]+\.ics)"/.exec(html2)![1];
    assert.notEqual(url2, url);
    assert.equal((await t.client().get(feedPath(url2))).status, 200);
    assert.equal((await client.postForm("/account/calendar/revoke", {})).status, 303);
    assert.equal((await t.client().get(feedPath(url2))).status, 404);
  } finally {
    t.close();
  }
});

Deno.test("feed: more than 60 requests a minute for one feed → 429 with Retry-After", async () => {
  const t = await makeTestApp();
  try {
    const { user } = await person(t, "Rae");
    const feed = await ensureFeed(t.kv, user.id);
    const path = `/calendar/${feed.token}.ics`;
    for (let i = 0; i < 60; i++) assert.equal((await t.client().get(path)).status, 200, `request ${i + 1}`);
    const limited = await t.client().get(path);
    assert.equal(limited.status, 429);
    const retry = Number(limited.headers.get("retry-after"));
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    // Another person's feed is not affected.
    const { user: other } = await person(t, "Sol");
    assert.equal((await t.client().get(`/calendar/${(await ensureFeed(t.kv, other.id)).token}.ics`)).status, 200);
    assert.equal((await t.client().get("/calendar/not-a-real-token-at-all.ics")).status, 404);
  } finally {
    t.close();
  }
});

Deno.test("feed: the join text of every event is in the owner's language; choosing another changes the ETag", async () => {
  const t = await makeTestApp();
  try {
    const { user: host } = await person(t, "Fay");
    const { user: guest } = await person(t, "Gus");
    const { meeting } = await createScheduledMeeting(t.kv, {
      hostId: host.id,
      title: "Wochenplanung, Raum 2",
      startsAt: "2027-03-01T09:00:00",
      timeZone: "Europe/Berlin",
      durationMinutes: 30,
      rrule: "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
      description: "Agenda im Wiki",
      invitees: ["gus@example.org"],
      uidDomain: "localhost",
    });
    const path = feedPath(`http://localhost/calendar/${(await ensureFeed(t.kv, guest.id)).token}.ics`);
    const english = await t.client().get(path);
    const etag = english.headers.get("etag");
    const enEvent = new ICAL.Component(ICAL.parse(await english.text())).getFirstSubcomponent("vevent")!;
    assert.ok(String(enEvent.getFirstPropertyValue("description")).startsWith("Join: http://localhost:8000/m/"));

    await updateUser(t.kv, guest.id, () => ({ locale: "de" }));
    const german = await t.client().get(path, { "if-none-match": etag! });
    assert.equal(german.status, 200, "a new language is new content, not a 304");
    assert.notEqual(german.headers.get("etag"), etag);
    const cal = new ICAL.Component(ICAL.parse(await german.text()));
    const ev = cal.getFirstSubcomponent("vevent")!;
    assert.equal(ev.getFirstPropertyValue("summary"), "Wochenplanung, Raum 2", "the title as it was written");
    assert.equal(
      ev.getFirstPropertyValue("description"),
      `Teilnehmen: http://localhost:8000/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}\n` +
        `Meeting-ID: ${formatMeetingId(meeting.meetingId)}\n` +
        `Kenncode: ${meeting.passcode}\n` +
        `Einwahl über ein SIP-Raumsystem: sip:${meeting.meetingId}*${meeting.passcode}@localhost\n\n` +
        "Agenda im Wiki",
    );
    assert.deepEqual(expandFeed(cal.toString()).get(String(ev.getFirstPropertyValue("uid")))?.length, 4);
  } finally {
    t.close();
  }
});
