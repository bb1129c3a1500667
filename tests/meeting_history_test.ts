// History and attendance against a real web process: attendance sessions (several for a rejoin)
// with join and leave times after the meeting ends, the CSV (escaping and formula guard) and the
// API with their authorization, and the "Meetings" page for hosts and attendees.

import assert from "node:assert/strict";
import { startServer } from "./support/server.ts";
import { createMeeting } from "../lib/db/meetings.ts";
import { createApiToken } from "../lib/db/api_tokens.ts";
import { connect, httpClient, Peer, signedIn, status } from "./support/meeting_sockets.ts";

Deno.test("attendance after the meeting ends: sessions, CSV, API and the Meetings page", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-history-" });
  const web = await startServer({ DATA_DIR: dataDir, TALKSPACE_LOG: "quiet" });
  const kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
  const peers: Peer[] = [];
  try {
    const host = await signedIn(kv, web, "Hanna");
    const meeting = await createMeeting(kv, { hostId: host.userId, title: "Standup", settings: { lobby: false } });
    const id = meeting.meetingId;
    assert.equal(await status(await host.client.get(`/m/${id}`)), 303);
    const bea = await signedIn(kv, web, "Bea");
    assert.equal(await status(await bea.client.postForm(`/m/${id}/join`, { passcode: meeting.passcode })), 303);
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
