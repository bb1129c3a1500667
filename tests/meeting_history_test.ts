// History and attendance against a real web process: attendance sessions (several for a rejoin)
// with join and leave times after the meeting ends, the CSV (escaping and formula guard) and the
// API with their authorization, and the "Meetings" page for hosts and attendees.

import type { Store, StoreListOptions, StoreSelector } from "../lib/common/store.ts";
import assert from "node:assert/strict";
import { startServer } from "./support/server.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import { createApiToken } from "../lib/accounts/api_tokens.ts";
import { connect, hostAndMember, httpClient, Peer, status } from "./support/meeting_sockets.ts";
import { makeTestApp } from "./support/app.ts";
import type { TestApp } from "./support/app.ts";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import type { Meeting } from "../lib/meetings/store.ts";
import { openAttendance } from "../lib/meetings/attendance.ts";
import type { Participant } from "../lib/meetings/participants.ts";
import { meetingHistory } from "../lib/meetings/history.ts";
import { newId } from "../lib/common/ids.ts";

Deno.test("attendance after the meeting ends: sessions, CSV, API and the Meetings page", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-history-" });
  const web = await startServer({ DATA_DIR: dataDir, TALKSPACE_LOG: "quiet" });
  const kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
  const peers: Peer[] = [];
  try {
    const { host, bea, meeting, id } = await hostAndMember(kv, web, "Standup");
    const guest = httpClient(web);
    const evil = '=HYPERLINK("http://x","y"), "Bob"';
    assert.equal(
      await status(await guest.postForm("/join", { meetingId: id, passcode: meeting.passcode, name: evil })),
      303,
    );

    const { peer: hostWs } = await connect(web, id, host.client);
    const { peer: guestWs } = await connect(web, id, guest);
    let { peer: beaWs, first: beaWelcome } = await connect(web, id, bea.client);
    peers.push(hostWs, guestWs, beaWs);

    // Bea leaves for good (the 15 s grace period passes: participant-left), then comes back.
    beaWs.close();
    await beaWs.closed;
    await hostWs.waitFor(
      "Bea left",
      (m) => m.type === "participant-left" && m.data.participantId === beaWelcome.participantId,
      0,
      25_000,
    );
    ({ peer: beaWs, first: beaWelcome } = await connect(web, id, bea.client));
    peers.push(beaWs);

    // Only hosts see attendance while and after the meeting runs.
    const api = `/api/v1/meetings/${id}/attendance`;
    assert.equal(await status(await bea.client.get(api)), 403);
    assert.equal(await status(await bea.client.get(`/meetings/${id}/attendance.csv`)), 403);
    assert.equal(await status(await httpClient(web).get(api)), 401);
    assert.equal(await status(await host.client.get(`/api/v1/meetings/1999999999/attendance`)), 404);

    hostWs.send({ type: "end-meeting" });
    assert.equal((await hostWs.closed).code, 4000);
    await guestWs.closed;
    await beaWs.closed;

    // Through an API token, as integrations use it.
    const { secret } = await createApiToken(kv, host.userId, "test");
    const res = await httpClient(web).get(api, { authorization: `Bearer ${secret}` });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.status, "ended");
    assert.ok(body.startedAt && body.endedAt && body.durationSeconds >= 0);
    assert.equal(body.participantCount, 3);
    const byName = (n: string) => body.sessions.filter((s: { name: string }) => s.name === n);
    assert.equal(byName("Hanna").length, 1);
    assert.equal(byName(evil).length, 1);
    const beaSessions = byName("Bea");
    assert.equal(beaSessions.length, 2, "a rejoin is a second session");
    for (const s of body.sessions) {
      assert.ok(s.joinedAt && s.leftAt, JSON.stringify(s));
      assert.ok(s.leftAt >= s.joinedAt && s.leftAt <= body.endedAt, JSON.stringify(s));
    }
    assert.ok(beaSessions[0].leftAt < beaSessions[1].joinedAt, "the first stay ended before the second began");
    assert.equal(beaSessions[1].leftAt, body.endedAt, "still present at the end: left when it ended");

    // The CSV escapes quotes and commas and defuses formulas.
    const csv = await host.client.get(`/meetings/${id}/attendance.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get("content-type")!, /^text\/csv/);
    const lines = (await csv.text()).replace(/^\ufeff/, "").trimEnd().split("\r\n");
    assert.equal(lines[0], "Name,Role,Account,Joined,Left,Duration (seconds)");
    assert.equal(lines.length, 5);
    const evilLine = lines.find((l) => l.includes("HYPERLINK"))!;
    assert.ok(evilLine.startsWith(`"'=HYPERLINK(""http://x"",""y""), ""Bob"""`), evilLine);

    // The Meetings page: the host sees it as host, Bea as an attendee; the guest has no page.
    const hostPage = await (await host.client.get("/meetings")).text();
    assert.match(hostPage, /Standup/);
    assert.match(hostPage, new RegExp(`data-meeting-id="${id}"`));
    assert.match(hostPage, /attendance\.csv/);
    const beaPage = await (await bea.client.get("/meetings")).text();
    assert.match(beaPage, /Standup/);
    assert.ok(!beaPage.includes("attendance.csv"), "attendees get no download link");
    assert.equal(await status(await guest.get("/meetings")), 303);
  } catch (err) {
    console.error(web.output());
    throw err;
  } finally {
    for (const p of peers) p.close();
    await Promise.all(peers.map((p) => p.closed));
    kv.close();
    await web.stop();
  }
});

/** A signed-in in-process client for a new account. */
async function member(t: TestApp, name: string) {
  const user = await createUser(t.kv, { name, email: `${name.toLowerCase()}@history.test`, passwordHash: "x" });
  const client = t.client();
  client.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
  return { user, client };
}

/** Writes one attendance session for `userId` (null: a guest) as the hub's join commit does. */
async function attend(kv: Store, meeting: Meeting, userId: string | null, name = "Someone") {
  const p = {
    participantId: newId(),
    meetingId: meeting.meetingId,
    admissionId: newId(),
    userId,
    name,
    role: userId === meeting.hostId ? "host" : userId ? "participant" : "guest",
    joinedAt: new Date().toISOString(),
    leftAt: null,
    attendanceId: newId(),
  } as Participant;
  const op = kv.atomic();
  openAttendance(op, meeting.id, p);
  assert.ok((await op.commit()).ok);
}

function meetingIdsOn(html: string): string[] {
  return [...html.matchAll(/data-meeting-id="(\d+)"/g)].map((m) => m[1]);
}

function relLink(html: string, rel: "next" | "prev"): string | null {
  const m = new RegExp(`<a href="([^"]+)" rel="${rel}"`).exec(html);
  return m ? m[1].replaceAll("&amp;", "&") : null;
}

Deno.test("Meetings page: hosted and attended meetings once each, newest first, 25 a page with rel links", async () => {
  const t = await makeTestApp();
  try {
    const ann = await member(t, "Ann");
    const ben = await member(t, "Ben");
    // 40 of Ann's meetings (she attends 5 of them too) and 30 of Ben's, of which Ann attended 20: 60 for Ann.
    const mine: Meeting[] = [];
    for (let i = 0; i < 70; i++) {
      const host = i % 7 < 4 ? ann.user : ben.user;
      const m = await createMeeting(t.kv, { hostId: host.id, title: `Meeting ${i}` });
      if (host === ann.user) {
        if (i % 8 === 0) await attend(t.kv, m, ann.user.id, "Ann");
        mine.push(m);
      } else if (mine.filter((x) => x.hostId === ben.user.id).length < 20) {
        await attend(t.kv, m, ann.user.id, "Ann");
        mine.push(m);
      }
    }
    assert.equal(mine.length, 60);
    const expected = mine.map((m) => m.meetingId).reverse();
    let html = await (await ann.client.get("/meetings")).text();
    assert.deepEqual(meetingIdsOn(html), expected.slice(0, 25));
    assert.equal(relLink(html, "prev"), null);
    html = await (await ann.client.get(relLink(html, "next")!)).text();
    assert.deepEqual(meetingIdsOn(html), expected.slice(25, 50));
    html = await (await ann.client.get(relLink(html, "next")!)).text();
    assert.deepEqual(meetingIdsOn(html), expected.slice(50, 60));
    assert.equal(relLink(html, "next"), null, "no next link on the oldest page");
    html = await (await ann.client.get(relLink(html, "prev")!)).text();
    assert.deepEqual(meetingIdsOn(html), expected.slice(25, 50));
    html = await (await ann.client.get(relLink(html, "prev")!)).text();
    assert.deepEqual(meetingIdsOn(html), expected.slice(0, 25));
    assert.equal(relLink(html, "prev"), null);

    for (const bad of ["nope", "o.123", `x.${newId()}`]) {
      const res = await ann.client.get(`/meetings?cursor=${bad}`);
      assert.equal(res.status, 422, bad);
      assert.ok((await res.text()).includes("page link is not valid"));
    }
  } finally {
    t.close();
  }
});

Deno.test("a history page reads about one page of index entries, however long the history", async () => {
  const t = await makeTestApp();
  try {
    const { user } = await member(t, "Cy");
    for (let i = 0; i < 400; i++) await createMeeting(t.kv, { hostId: user.id, title: `M${i}` });
    let listed = 0;
    const counting = new Proxy(t.kv, {
      get(target, prop) {
        if (prop === "list") {
          return (sel: StoreSelector, opts?: StoreListOptions) => {
            const it = target.list(sel, opts);
            return (async function* () {
              for await (const e of it) {
                listed++;
                yield e;
              }
            })();
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const first = await meetingHistory(counting, user.id);
    listed = 0;
    const second = await meetingHistory(counting, user.id, { cursor: first.next! });
    assert.equal(second.items.length, 25);
    assert.equal(second.items[0].meeting.title, "M374");
    assert.ok(listed <= 2 * 26, `listed ${listed}`);
  } finally {
    t.close();
  }
});

Deno.test("attendance API is paged with nextCursor; a bad cursor is a 422 field error", async () => {
  const t = await makeTestApp();
  try {
    const host = await member(t, "Hal");
    const meeting = await createMeeting(t.kv, { hostId: host.user.id, title: "Big" });
    const guests: string[] = [];
    for (let i = 0; i < 130; i++) {
      const name = `Guest ${String(i).padStart(3, "0")}`;
      guests.push(name);
      await attend(t.kv, meeting, null, name);
    }
    await attend(t.kv, meeting, host.user.id, "Hal");
    await attend(t.kv, meeting, host.user.id, "Hal");
    const api = `/api/v1/meetings/${meeting.meetingId}/attendance`;
    let res = await host.client.get(api);
    let body = await res.json();
    assert.equal(res.status, 200);
    assert.equal(body.sessions.length, 100);
    assert.equal(body.participantCount, 131, "130 guests and the host (twice) are 131 people");
    assert.equal(typeof body.nextCursor, "string");
    const names = body.sessions.map((s: { name: string }) => s.name);
    res = await host.client.get(`${api}?cursor=${encodeURIComponent(body.nextCursor)}`);
    body = await res.json();
    assert.equal(body.sessions.length, 32);
    assert.equal(body.nextCursor, null);
    names.push(...body.sessions.map((s: { name: string }) => s.name));
    assert.deepEqual(names, [...guests, "Hal", "Hal"], "join order across pages, nothing twice");

    res = await host.client.get(`${api}?cursor=bogus`);
    assert.equal(res.status, 422);
    const problem = await res.json();
    assert.ok(JSON.stringify(problem).includes("cursor"), JSON.stringify(problem));
  } finally {
    t.close();
  }
});
