// Chat on the wire against a real web process: messages to everyone reach all; a private message
// reaches only its two parties (a third socket never receives it, live or on replay after a
// reconnect); history survives reconnects; limits and the hosts-only setting are enforced; the
// transcript is for hosts and holds only their own private messages.

import assert from "node:assert/strict";
import { startServer } from "./support/server.ts";
import { connect, hostAndMember, httpClient, Peer, status } from "./support/meeting_sockets.ts";

Deno.test("chat: everyone, private, replay after reconnect, limits, transcript", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-chat-" });
  const web = await startServer({ DATA_DIR: dataDir, TALKSPACE_LOG: "quiet" });
  const kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
  const peers: Peer[] = [];
  try {
    const { host, bea, meeting, id } = await hostAndMember(kv, web, "Chat");
    const gus = httpClient(web);
    assert.equal(
      await status(await gus.postForm("/join", { meetingId: id, passcode: meeting.passcode, name: "Gus" })),
      303,
    );

    const { peer: hostWs, first: hostWelcome } = await connect(web, id, host.client);
    const { peer: beaWs, first: beaWelcome } = await connect(web, id, bea.client);
    let { peer: gusWs, first: gusWelcome } = await connect(web, id, gus);
    peers.push(hostWs, beaWs, gusWs);

    // To everyone: all three receive it.
    beaWs.send({ type: "chat", text: "Hello <script>alert(1)</script> https://example.org" });
    for (const p of [hostWs, beaWs, gusWs]) {
      const m = await p.waitFor("public chat", (m) => m.type === "chat");
      assert.equal(m.data.message.text, "Hello <script>alert(1)</script> https://example.org", "raw text");
      assert.equal(m.data.message.to, null);
    }

    // Privately to the host: the host and Bea get it; Gus never does.
    beaWs.send({ type: "chat", text: "psst, host only", to: hostWelcome.participantId });
    const priv = await hostWs.waitFor("private", (m) => m.type === "chat" && m.data.message.to !== null);
    assert.equal(priv.data.message.from.name, "Bea");
    assert.equal(priv.data._audience, undefined, "internal audience never leaves the server");
    await beaWs.waitFor("own private", (m) => m.type === "chat" && m.data.message.to !== null);
    // Gus sends something afterwards; once it is back, everything before it has been delivered to him.
    gusWs.send({ type: "chat", text: "marker 1" });
    await gusWs.waitFor("marker", (m) => m.type === "chat" && m.data.message.text === "marker 1");
    assert.ok(!JSON.stringify(gusWs.got).includes("psst"), "Gus received the private message");

    // Gus drops; meanwhile another private message and a public one. His replay has only the public one.
    const gusLast = gusWs.lastId();
    gusWs.close();
    await gusWs.closed;
    beaWs.send({ type: "chat", text: "psst again", to: hostWelcome.participantId });
    beaWs.send({ type: "chat", text: "while you were away" });
    await hostWs.waitFor("away", (m) => m.type === "chat" && m.data.message.text === "while you were away");
    ({ peer: gusWs, first: gusWelcome } = await connect(web, id, gus, {
      participantId: gusWelcome.participantId,
      lastId: gusLast,
    }));
    peers.push(gusWs);
    await gusWs.waitFor("replayed public", (m) => m.type === "chat" && m.data.message.text === "while you were away");
    gusWs.send({ type: "chat", text: "marker 2" });
    await gusWs.waitFor("marker 2", (m) => m.type === "chat" && m.data.message.text === "marker 2");
    assert.ok(!JSON.stringify(gusWs.got).includes("psst"), "the replay carried a private message");

    // A fresh socket (reload) gets the history in its welcome: Gus without private ones, the host with.
    const { peer: gusReload, first: gusHistory } = await connect(web, id, gus);
    peers.push(gusReload);
    const gusTexts = gusHistory.chat.map((m: { text: string }) => m.text);
    assert.ok(gusTexts.includes("while you were away") && gusTexts.includes("marker 2"), JSON.stringify(gusTexts));
    assert.ok(!gusTexts.some((t: string) => t.startsWith("psst")));
    const { peer: hostReload, first: hostHistory } = await connect(web, id, host.client);
    peers.push(hostReload);
    assert.deepEqual(
      hostHistory.chat.filter((m: { to: unknown }) => m.to).map((m: { text: string }) => m.text),
      ["psst, host only", "psst again"],
    );

    // 4,000 characters pass, 4,001 are refused with a clear user error.
    let from = gusWs.got.length;
    gusWs.send({ type: "chat", text: "y".repeat(4000) });
    await gusWs.waitFor("4000", (m) => m.type === "chat" && m.data.message.text.length === 4000, from);
    from = gusWs.got.length;
    gusWs.send({ type: "chat", text: "z".repeat(4001) });
    const tooLong = await gusWs.waitFor("too long", (m) => m.type === "error", from);
    assert.deepEqual([tooLong.kind, tooLong.code], ["user", "chat-too-long"]);
    assert.match(tooLong.message, /4,000 characters/);

    // Hosts-only chat: Gus may only write privately to a host; chat off: not even that.
    hostWs.send({ type: "settings", chat: "hosts" });
    await gusWs.waitFor("settings", (m) => m.type === "settings-changed" && m.data.settings.chat === "hosts");
    from = gusWs.got.length;
    gusWs.send({ type: "chat", text: "to all?" });
    assert.equal((await gusWs.waitFor("refused", (m) => m.type === "error", from)).code, "chat-off");
    gusWs.send({ type: "chat", text: "to the host", to: hostWelcome.participantId });
    await hostWs.waitFor("to the host", (m) => m.type === "chat" && m.data.message.text === "to the host");
    hostWs.send({ type: "settings", chat: "off" });
    await gusWs.waitFor("off", (m) => m.type === "settings-changed" && m.data.settings.chat === "off");
    from = gusWs.got.length;
    gusWs.send({ type: "chat", text: "anyone?", to: hostWelcome.participantId });
    assert.equal((await gusWs.waitFor("refused", (m) => m.type === "error", from)).code, "chat-off");
    assert.ok(!JSON.stringify(hostWs.got).includes("anyone?"));

    // The transcript: hosts only; the host's private messages are in it, nobody else's.
    hostWs.send({ type: "settings", chat: "everyone" });
    await beaWs.waitFor("on again", (m) => m.type === "settings-changed" && m.data.settings.chat === "everyone");
    beaWs.send({ type: "chat", text: "psst to Gus", to: gusWelcome.participantId });
    await gusWs.waitFor("to gus", (m) => m.type === "chat" && m.data.message.text === "psst to Gus");
    assert.equal(await status(await bea.client.get(`/meetings/${id}/transcript.txt`)), 403);
    const t = await host.client.get(`/meetings/${id}/transcript.txt`);
    assert.equal(t.status, 200);
    assert.match(t.headers.get("content-type")!, /^text\/plain/);
    assert.match(t.headers.get("content-disposition")!, /attachment/);
    const text = await t.text();
    assert.match(text, /Bea to Hanna \(privately\): psst, host only/);
    assert.match(text, /Hello <script>/);
    assert.ok(!text.includes("psst to Gus"), "someone else's private message in the host's transcript");
    void beaWelcome;
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

Deno.test("chat flood on the wire: a burst of 80 closes with 4429 and its reason (not 1006); others stay", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-flood-" });
  const web = await startServer({ DATA_DIR: dataDir, TALKSPACE_LOG: "quiet" });
  const kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
  const peers: Peer[] = [];
  try {
    const { host, bea, id } = await hostAndMember(kv, web, "Flood");
    const { peer: hostWs } = await connect(web, id, host.client);
    const { peer: beaWs } = await connect(web, id, bea.client);
    peers.push(hostWs, beaWs);
    for (let i = 0; i < 80; i++) beaWs.send({ type: "chat", text: `spam ${i}` });
    const closed = await beaWs.closed;
    assert.equal(closed.code, 4429);
    assert.match(closed.reason, /too fast/);
    // The burst allowance (20) went out, in order, and nothing after it.
    hostWs.send({ type: "chat", text: "still here" });
    await hostWs.waitFor("own", (m) => m.type === "chat" && m.data.message.text === "still here");
    const spam = hostWs.got.filter((m) => m.type === "chat" && m.data.message.text.startsWith("spam "));
    assert.deepEqual(spam.map((m) => m.data.message.text), Array.from({ length: 20 }, (_, i) => `spam ${i}`));
  } finally {
    for (const p of peers) p.close();
    kv.close();
    await web.stop();
  }
});
