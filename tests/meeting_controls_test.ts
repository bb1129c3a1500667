// The lobby and host controls against a real web process and the real gateway + Janus: a guest
// waits (media 403, the gateway never asked), is admitted and gets media; a denied guest cannot
// knock again; a forged host action is refused on the wire; a removed guest cannot rejoin.

import type { Store } from "../lib/common/store.ts";
import assert from "node:assert/strict";
import { startServer } from "./support/server.ts";
import type { RunningServer } from "./support/server.ts";
import { createMeeting, getMeetingByNumber } from "../lib/meetings/store.ts";
import { getParticipant } from "../lib/meetings/participants.ts";
import { RawJanus, startGateway, waitFor } from "./support/gateway.ts";
import type { RunningGateway } from "./support/gateway.ts";
import { connect, httpClient, Peer, signedIn, status } from "./support/meeting_sockets.ts";

Deno.test("lobby, media enforcement, deny, forged host action and removal on the wire", async () => {
  let gw: RunningGateway | null = null;
  let web: RunningServer | null = null;
  const peers: Peer[] = [];
  let kv: Store | null = null;
  try {
    gw = await startGateway();
    const dataDir = await Deno.makeTempDir({ prefix: "talkspace-controls-" });
    web = await startServer({
      DATA_DIR: dataDir,
      TALKSPACE_LOG: "quiet",
      GATEWAY_URL: gw.url,
      GATEWAY_SECRET: gw.secret,
      JANUS_WS_URL: gw.janusWsUrl,
    });
    kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
    const host = await signedIn(kv, web, "Hanna");
    const meeting = await createMeeting(kv, { hostId: host.userId, title: "Lobby" });
    assert.equal(await status(await host.client.get(`/m/${meeting.meetingId}`)), 303);
    const { peer: hostWs, first: hostWelcome } = await connect(web, meeting.meetingId, host.client);
    peers.push(hostWs);
    assert.deepEqual(hostWelcome.lobby, []);

    // A guest passes the passcode and waits: a waiting page, no media, the gateway is never asked.
    const guest = httpClient(web);
    assert.equal(
      await status(
        await guest.postForm("/join", { meetingId: meeting.meetingId, passcode: meeting.passcode, name: "Gus" }),
      ),
      303,
    );
    const page = await guest.get(`/m/${meeting.meetingId}`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /please wait/);
    const mediaPath = `/meetings/${meeting.meetingId}/media`;
    assert.equal(await status(await guest.sendJson("POST", mediaPath, { participantId: "x" })), 403);
    assert.equal((await gw.health()).rooms, 0, "no room (and so no token) before admission");
    const { peer: guestWs, first: lobby } = await connect(web, meeting.meetingId, guest);
    peers.push(guestWs);
    assert.deepEqual([lobby.type, lobby.status, lobby.name], ["lobby", "waiting", "Gus"]);
    const knock = await hostWs.waitFor("knock", (m) => m.type === "lobby-knock");
    assert.equal(knock.data.entry.signedIn, false);
    assert.equal(await status(await guest.sendJson("POST", mediaPath, { participantId: "x" })), 403);

    // Admitted: the lobby socket says so and closes with 4001; now the meeting and media work.
    hostWs.send({ type: "lobby-admit", admissionId: knock.data.entry.admissionId });
    assert.equal((await guestWs.closed).code, 4001);
    assert.equal(guestWs.got.at(-1)!.status, "admitted");
    const { peer: guestIn, first: guestWelcome } = await connect(web, meeting.meetingId, guest);
    peers.push(guestIn);
    assert.equal(guestWelcome.type, "welcome");
    assert.equal(guestWelcome.lobby, null, "guests do not see the lobby");
    const media = await guest.sendJson("POST", mediaPath, { participantId: guestWelcome.participantId });
    assert.equal(media.status, 200, web.output());
    const access = await media.json();
    const janus = await RawJanus.open(gw.janusWsUrl);
    try {
      const session = await janus.createSession(access.janusToken);
      assert.equal(session.janus, "success", "the admitted guest's token works at Janus");
    } finally {
      janus.close();
    }

    // A forged host action from the guest is refused and not applied.
    const from = guestIn.got.length;
    guestIn.send({ type: "mute", participantId: hostWelcome.participantId });
    const err = await guestIn.waitFor("error", (m) => m.type === "error", from);
    assert.deepEqual([err.kind, err.code], ["user", "forbidden"]);
    assert.equal((await getParticipant(kv, meeting.meetingId, hostWelcome.participantId))!.mutedByHost, false);
    guestIn.send({ type: "end-meeting" });
    await guestIn.waitFor("second error", (m) => m.type === "error" && m.action === "end-meeting", from);
    assert.equal((await getMeetingByNumber(kv, meeting.meetingId))!.status, "open");

    // A signed-in participant with the lobby for everyone is denied and cannot knock again.
    hostWs.send({ type: "settings", lobbyForAll: true });
    await hostWs.waitFor("settings", (m) => m.type === "settings-changed");
    const pat = await signedIn(kv, web, "Pat");
    assert.equal(
      await status(await pat.client.postForm(`/m/${meeting.meetingId}/join`, { passcode: meeting.passcode })),
      303,
    );
    const { peer: patWs, first: patLobby } = await connect(web, meeting.meetingId, pat.client);
    peers.push(patWs);
    assert.equal(patLobby.status, "waiting");
    const patKnock = await hostWs.waitFor("pat knock", (m) => m.type === "lobby-knock" && m.data.entry.name === "Pat");
    hostWs.send({ type: "lobby-deny", admissionId: patKnock.data.entry.admissionId });
    assert.equal((await patWs.closed).code, 4003);
    assert.equal(patWs.got.at(-1)!.status, "denied");
    const again = await pat.client.postForm(`/m/${meeting.meetingId}/join`, { passcode: meeting.passcode });
    assert.equal(again.status, 403);
    assert.match(await again.text(), /did not let you in/);
    // On another device (no cookie), the account is still blocked.
    const patElsewhere = httpClient(web);
    patElsewhere.cookies.set("ts_session", pat.client.cookies.get("ts_session")!);
    assert.equal(
      await status(await patElsewhere.postForm(`/m/${meeting.meetingId}/join`, { passcode: meeting.passcode })),
      403,
    );

    // Removal: token revoked, socket closed with 4004, no rejoin by link or by ID.
    hostWs.send({ type: "remove", participantId: guestWelcome.participantId });
    assert.equal((await guestIn.closed).code, 4004);
    const janus2 = await RawJanus.open(gw.janusWsUrl);
    try {
      // The gateway call follows the commit that closed the socket: wait for it (bounded).
      await waitFor(
        "the removed guest's token to stop working",
        async () => (await janus2.createSession(access.janusToken)).janus === "error",
        10_000,
      );
    } finally {
      janus2.close();
    }
    const rejoinPage = await guest.get(`/m/${meeting.meetingId}`);
    assert.equal(rejoinPage.status, 403);
    assert.match(await rejoinPage.text(), /removed you/);
    const byId = httpClient(web); // a fresh browser from the same address
    assert.equal(
      await status(
        await byId.postForm("/join", { meetingId: meeting.meetingId, passcode: meeting.passcode, name: "Gus2" }),
      ),
      403,
    );
    const byLink = httpClient(web);
    assert.equal(await status(await byLink.get(`/m/${meeting.meetingId}?pwd=${meeting.linkToken}`)), 303);
    assert.equal(
      await status(await byLink.postForm(`/m/${meeting.meetingId}/join`, { name: "Gus3" })),
      403,
    );
  } catch (err) {
    if (web) console.error(web.output());
    throw err;
  } finally {
    for (const p of peers) p.close();
    await Promise.all(peers.map((p) => p.closed));
    kv?.close();
    await web?.stop();
    await gw?.stop();
  }
});
