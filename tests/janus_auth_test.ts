// Janus access control end to end: the real gateway (with its Janus) hands out tokens, and a raw
// Janus API client (no janus.js, no media) checks what those tokens do and do not open.

import assert from "node:assert/strict";
import { RawJanus, startGateway, waitFor } from "./support/gateway.ts";

const MEETING_A = "2000000001";
const MEETING_B = "2000000002";

interface Access {
  janusToken: string;
  room: number;
  feedId: number;
}

/** Creates a session and attaches the VideoRoom with `token`; answers both ids. */
async function attachVideoRoom(janus: RawJanus, token: string) {
  const session = await janus.createSession(token);
  assert.equal(session.janus, "success", `session with a valid token: ${JSON.stringify(session)}`);
  const handle = await janus.attach(session.data!.id!, "janus.plugin.videoroom", token);
  assert.equal(handle.janus, "success", `attach: ${JSON.stringify(handle)}`);
  return { session: session.data!.id!, handle: handle.data!.id! };
}

function joinPublisher(janus: RawJanus, ids: { session: number; handle: number }, access: Access, room: number) {
  return janus.message(ids.session, ids.handle, {
    request: "join",
    ptype: "publisher",
    room,
    id: access.feedId,
    display: "test",
    token: access.janusToken,
  }, access.janusToken);
}

Deno.test("Janus only lets admitted participants in, and only into their own meeting's room", async (t) => {
  const gateway = await startGateway();
  const janus = await RawJanus.open(gateway.janusWsUrl);
  try {
    for (const meeting of [MEETING_A, MEETING_B]) {
      const res = await gateway.request("PUT", `/internal/rooms/${meeting}`, {});
      assert.equal(res.status, 201);
      await res.body?.cancel();
    }
    const admit = async (meeting: string, participantId: string): Promise<Access> => {
      const res = await gateway.request("POST", `/internal/rooms/${meeting}/participants`, { participantId });
      assert.equal(res.status, 200);
      return await res.json();
    };
    const a = await admit(MEETING_A, "participant-a");
    const b = await admit(MEETING_B, "participant-b");

    await t.step("no token: session refused with 403", async () => {
      const res = await janus.createSession();
      assert.equal(res.janus, "error");
      assert.equal(res.error?.code, 403);
    });

    await t.step("a made-up token: session refused with 403", async () => {
      const res = await janus.createSession("0123456789abcdef0123456789abcdef0123456789abcdef");
      assert.equal(res.janus, "error");
      assert.equal(res.error?.code, 403);
    });

    let aIds = { session: 0, handle: 0 };
    await t.step("A's token: join A's room as publisher with the assigned feed id", async () => {
      aIds = await attachVideoRoom(janus, a.janusToken);
      const res = await joinPublisher(janus, aIds, a, a.room);
      const data = res.plugindata?.data;
      assert.equal(data?.videoroom, "joined", JSON.stringify(res));
      assert.equal(data?.room, a.room);
      assert.equal(data?.id, a.feedId);
    });

    await t.step("participant tokens cannot use other plugins or create rooms (admin_key)", async () => {
      const session = await janus.createSession(a.janusToken);
      const audiobridge = await janus.attach(session.data!.id!, "janus.plugin.audiobridge", a.janusToken);
      assert.equal(audiobridge.janus, "error");
      assert.equal(audiobridge.error?.code, 405, JSON.stringify(audiobridge));
      const vr = await janus.attach(session.data!.id!, "janus.plugin.videoroom", a.janusToken);
      const create = (body: Record<string, unknown>) =>
        janus.message(session.data!.id!, vr.data!.id!, { request: "create", room: 2000000099, ...body }, a.janusToken);
      const noKey = await create({});
      assert.equal(noKey.plugindata?.data.error_code, 429, JSON.stringify(noKey)); // missing admin_key
      const wrongKey = await create({ admin_key: "guess" });
      assert.equal(wrongKey.plugindata?.data.error_code, 433, JSON.stringify(wrongKey)); // unauthorized
    });

    await t.step("B's valid token is refused by A's room allowed list", async () => {
      const bIds = await attachVideoRoom(janus, b.janusToken);
      const res = await joinPublisher(janus, bIds, b, a.room);
      assert.equal(res.plugindata?.data.videoroom, "event");
      assert.equal(res.plugindata?.data.error_code, 433, JSON.stringify(res));
      // ...while B's own room takes it (so the refusal above is the allowed list, not a broken token).
      const own = await joinPublisher(janus, bIds, b, b.room);
      assert.equal(own.plugindata?.data.videoroom, "joined", JSON.stringify(own));
    });

    await t.step("after DELETE participant, A is kicked and A's token is refused", async () => {
      const res = await gateway.request("DELETE", `/internal/rooms/${MEETING_A}/participants/participant-a`);
      assert.deepEqual(await res.json(), { removed: true });
      await waitFor("A's handle to be told it was kicked", () =>
        janus.events.some((e) =>
          e.sender === aIds.handle &&
          (e.plugindata?.data.kicked !== undefined || e.plugindata?.data.leaving !== undefined)
        ), 5000);
      const again = await janus.createSession(a.janusToken);
      assert.equal(again.janus, "error");
      assert.equal(again.error?.code, 403);
      // The old session is still open, but every request in it is checked against the token too.
      const inOldSession = await janus.attach(aIds.session, "janus.plugin.videoroom", a.janusToken);
      assert.equal(inOldSession.janus, "error");
      assert.equal(inOldSession.error?.code, 403);
    });

    await t.step("secrets never reach responses or logs", () => {
      const out = gateway.output();
      assert.ok(!out.includes(gateway.adminSecret), "admin secret in gateway output");
      assert.ok(!out.includes(gateway.adminKey), "admin key in gateway output");
      assert.ok(!JSON.stringify([a, b]).includes(gateway.adminKey));
    });
  } catch (err) {
    console.error(gateway.output());
    throw err;
  } finally {
    janus.close();
    await gateway.stop();
  }
});
