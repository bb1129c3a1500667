// The meeting socket across two real web processes sharing one KV file: presence and state reach
// the other process, a reconnect with lastId replays exactly what was missed, refusals and
// protocol errors close as documented, and ending the meeting closes every socket with 4000.

import assert from "node:assert/strict";
import { startServer } from "./support/server.ts";
import type { RunningServer } from "./support/server.ts";
import { cookieHeader, httpClient, type Msg, Peer } from "./support/meeting_sockets.ts";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import type { Meeting } from "../lib/meetings/store.ts";
import { eventsSince } from "../lib/meetings/events.ts";
import type { WelcomeMessage } from "../lib/contracts/meeting_socket.ts";

function wsUrl(server: RunningServer, meeting: Meeting): string {
  return `${server.url.replace(/^http/, "ws")}/meetings/${meeting.meetingId}/ws`;
}

function participantOf(m: Msg): { participantId: string; name: string; state: Record<string, boolean> } {
  return (m.data as { participant: { participantId: string; name: string; state: Record<string, boolean> } })
    .participant;
}

Deno.test("meeting socket across two web processes sharing one KV file", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-sockets-" });
  const env = { DATA_DIR: dataDir, TALKSPACE_LOG: Deno.env.get("SOCK_LOG") ?? "quiet" };
  const a = await startServer(env);
  let b: RunningServer | null = null;
  const kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
  const peers: Peer[] = [];
  try {
    b = await startServer(env);
    const host = await createUser(kv, { name: "Host Hanna", email: "hanna@example.org", passwordHash: "unused" });
    const meeting = await createMeeting(kv, { hostId: host.id, title: "Two instances", settings: { lobby: false } });

    // Admissions: the host on process A (automatic), a guest on process B (ID + passcode).
    const hostHttp = httpClient(a);
    hostHttp.cookies.set("ts_session", (await createSession(kv, host.id, "full")).token);
    const hostPage = await hostHttp.get(`/m/${meeting.meetingId}`);
    assert.equal(hostPage.status, 303, a.output());
    await hostPage.body?.cancel();
    const guestHttp = httpClient(b);
    const joined = await guestHttp.postForm("/join", {
      meetingId: meeting.meetingId,
      passcode: meeting.passcode,
      name: "Gus",
    });
    assert.equal(joined.status, 303);
    await joined.body?.cancel();

    // Not admitted: refused before the upgrade.
    const refused = await fetch(`${a.url}/meetings/${meeting.meetingId}/ws`);
    assert.equal(refused.status, 403);
    await refused.body?.cancel();
    const stranger = new Peer(wsUrl(b, meeting));
    await assert.rejects(stranger.opened);
    await stranger.closed;

    // Host on A, guest on B.
    const hostWs = new Peer(wsUrl(a, meeting), cookieHeader(hostHttp));
    peers.push(hostWs);
    await hostWs.opened;
    hostWs.send({ type: "hello" });
    const hostWelcome = await hostWs.waitFor("host welcome", (m) => m.type === "welcome") as WelcomeMessage;
    assert.deepEqual(hostWelcome.you, { name: "Host Hanna", role: "host" });
    assert.deepEqual(hostWelcome.participants.map((p) => p.name), ["Host Hanna"]);

    const guestWs = new Peer(wsUrl(b, meeting), cookieHeader(guestHttp));
    peers.push(guestWs);
    await guestWs.opened;
    guestWs.send({ type: "hello" });
    const guestWelcome = await guestWs.waitFor("guest welcome", (m) => m.type === "welcome") as WelcomeMessage;
    assert.deepEqual(guestWelcome.you, { name: "Gus", role: "guest" });
    assert.deepEqual(guestWelcome.participants.map((p) => p.name).sort(), ["Gus", "Host Hanna"]);

    // Presence and state cross processes, both ways.
    const joinedMsg = await hostWs.waitFor(
      "guest joined",
      (m) => m.type === "participant-joined" && participantOf(m).name === "Gus",
    );
    assert.equal(participantOf(joinedMsg).participantId, guestWelcome.participantId);
    guestWs.send({ type: "state", audio: true, video: true, screen: false, feedId: 42 });
    const updated = await hostWs.waitFor("guest state", (m) => m.type === "participant-updated");
    assert.deepEqual(participantOf(updated).state, { audio: true, video: true, screen: false });
    hostWs.send({ type: "state", audio: true, video: false, screen: true });
    await guestWs.waitFor(
      "host state",
      (m) => m.type === "participant-updated" && participantOf(m).participantId === hostWelcome.participantId,
    );
    hostWs.send({ type: "ping" });
    await hostWs.waitFor("pong", (m) => m.type === "pong");

    // The guest drops, misses two messages, and comes back on the OTHER process with lastId.
    const seen = guestWs.lastId();
    guestWs.close();
    await guestWs.closed;
    hostWs.send({ type: "state", audio: false, video: false, screen: true });
    hostWs.send({ type: "state", audio: false, video: false, screen: false });
    // The host hears its own two updates (persisted before anyone hears them). Count messages by
    // id, not by arrival: the host's earlier update may still be on its way when the guest left.
    await hostWs.waitFor(
      "the host's two updates",
      () => hostWs.got.filter((m) => typeof m.id === "number" && m.id > seen).length >= 2,
    );
    const missed = await eventsSince(kv, meeting.meetingId, seen);
    assert.equal(missed.length, 2, "exactly the two state changes happened meanwhile");
    const back = new Peer(wsUrl(a, meeting), cookieHeader(guestHttp));
    peers.push(back);
    await back.opened;
    back.send({ type: "hello", participantId: guestWelcome.participantId, lastId: seen });
    const replay = await back.waitCount(3, 0);
    assert.equal(replay[0].type, "welcome");
    assert.equal((replay[0] as WelcomeMessage).participantId, guestWelcome.participantId);
    assert.deepEqual(replay.slice(1).map((m) => m.id), missed.map((e) => e.id));
    assert.deepEqual(replay.slice(1).map((m) => m.type), ["participant-updated", "participant-updated"]);
    // A reconnect within the grace period is silent: the host heard no leave or join.
    back.send({ type: "ping" });
    await back.waitFor("pong", (m) => m.type === "pong");
    assert.ok(!hostWs.got.some((m) => m.type === "participant-left"));
    assert.equal(hostWs.got.filter((m) => m.type === "participant-joined").length, 1);

    // A malformed message closes with 4400 and applies nothing.
    const broken = new Peer(wsUrl(b, meeting), cookieHeader(guestHttp));
    peers.push(broken);
    await broken.opened;
    broken.send({ type: "hello", lastId: "yesterday" });
    const brokenClose = await broken.closed;
    assert.equal(brokenClose.code, 4400);
    assert.match(brokenClose.reason, /lastId/);

    // Ending the meeting closes every socket, on both processes, with 4000 after meeting-ended.
    const ended = await hostHttp.sendJson("POST", `/api/v1/meetings/${meeting.meetingId}/end`, {});
    assert.equal(ended.status, 200);
    await ended.body?.cancel();
    const [hostClose, backClose] = await Promise.all([hostWs.closed, back.closed]);
    assert.equal(hostClose.code, 4000);
    assert.equal(backClose.code, 4000);
    assert.equal(hostClose.reason, "The host ended the meeting");
    assert.ok(hostWs.got.some((m) => m.type === "meeting-ended"));
    assert.ok(back.got.some((m) => m.type === "meeting-ended"));
  } finally {
    for (const p of peers) p.close();
    await Promise.all(peers.map((p) => p.closed));
    kv.close();
    await a.stop();
    await b?.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
