// The web side of dial-in / dial-out (docs/sip-integration.md) against a real web process: the
// signed gateway → web endpoints, callers as phone participants seen over real WebSockets, the
// lobby, host moderation of callers, dial-out and browsers' publishers in the bridge. The gateway
// is a small recording HTTP server that checks the web's signatures (the real gateway's call
// endpoints are being built in parallel and need Janus; see the report).

import assert from "node:assert/strict";
import { startServer } from "./support/server.ts";
import type { RunningServer } from "./support/server.ts";
import { connect, httpClient, signedIn } from "./support/meeting_sockets.ts";
import type { Msg, Peer } from "./support/meeting_sockets.ts";
import { createMeeting, getMeetingByNumber } from "../lib/meetings/store.ts";
import type { Meeting, MeetingSettings } from "../lib/meetings/store.ts";
import { signedHeaders, verifyRequest } from "../lib/common/signing.ts";
import { listAttendance } from "../lib/meetings/attendance.ts";

interface Recorded {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
}

/** Stands in for the gateway: verifies each request's signature, records it, answers like the contract. */
class RecordingGateway {
  readonly got: Recorded[] = [];
  readonly forged: string[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;
  #waiters: (() => void)[] = [];
  #nextCall = 0;

  constructor(readonly secret: string) {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
      const url = new URL(req.url);
      const text = await req.text();
      const ok = verifyRequest(secret, req.method, url.pathname + url.search, text, {
        timestamp: req.headers.get("x-talkspace-timestamp"),
        signature: req.headers.get("x-talkspace-signature"),
      });
      if (!ok.ok) {
        this.forged.push(`${req.method} ${url.pathname}`);
        return new Response(null, { status: 401 });
      }
      this.got.push({ method: req.method, path: url.pathname, body: text ? JSON.parse(text) : null });
      for (const w of this.#waiters.splice(0)) w();
      if (url.pathname.endsWith("/dial-out")) {
        return Response.json({ callId: `out-${++this.#nextCall}` }, { status: 202 });
      }
      if (req.method === "PUT" && /^\/internal\/rooms\/\d+$/.test(url.pathname)) return Response.json({ room: 1 });
      return new Response(null, { status: 204 });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Waits (bounded, woken by each request) until a recorded request matches. */
  async waitFor(what: string, match: (r: Recorded) => boolean, timeoutMs = 10_000): Promise<Recorded> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.got.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`gateway never got ${what}; got ${JSON.stringify(this.got)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now() + 1);
        this.#waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  async close() {
    await this.#server.shutdown();
  }
}

/** A signed gateway → web request (as the gateway sends it). */
async function signed(
  server: RunningServer,
  secret: string,
  method: string,
  path: string,
  body?: unknown,
  now?: number,
): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const text = body === undefined ? "" : JSON.stringify(body);
  const headers: Record<string, string> = signedHeaders(secret, method, path, text, now);
  if (text) headers["content-type"] = "application/json";
  const res = await fetch(`${server.url}${path}`, { method, headers, body: text || undefined });
  const raw = await res.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = raw ? JSON.parse(raw) : null;
  } catch { /* an HTML page: the test fails on the status */ }
  return { status: res.status, json };
}

const isPhoneJoin = (name: string) => (m: Msg) =>
  m.type === "participant-joined" && m.data.participant.kind === "phone" && m.data.participant.name === name;

Deno.test("dial-in and dial-out, web side: signed internal API, phone participants, lobby, moderation, publishers", async (t) => {
  const secret = `test-${crypto.randomUUID()}`;
  const gw = new RecordingGateway(secret);
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-sip-" });
  const server = await startServer({
    DATA_DIR: dataDir,
    TALKSPACE_LOG: "quiet",
    GATEWAY_URL: gw.url,
    GATEWAY_SECRET: secret,
    SIP_DOMAIN: "sip.example.org",
    SIP_DID_NUMBER: "+49 30 1234567",
    // The dial-in guard's waits made far longer than the test, so "must wait" never depends on timing.
    DIAL_IN_DELAY_BASE_MS: "600000",
    DIAL_IN_DELAY_MAX_MS: "3600000",
  });
  const kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
  const peers: Peer[] = [];
  const post = (path: string, body?: unknown) => signed(server, secret, "POST", path, body);
  try {
    const { client: hostHttp, userId: hostId } = await signedIn(kv, server, "Hanna");
    const meet = (settings: Partial<MeetingSettings> = {}, title = "Standup") =>
      createMeeting(kv, { hostId, title, settings });
    const hostSocket = async (meeting: Meeting) => {
      const page = await hostHttp.get(`/m/${meeting.meetingId}`);
      await page.body?.cancel();
      const { peer, first } = await connect(server, meeting.meetingId, hostHttp);
      peers.push(peer);
      assert.equal(first.type, "welcome");
      return peer;
    };

    await t.step("unsigned, forged, stale and tampered requests get a 401 problem that does not say why", async () => {
      const meeting = await meet();
      const body = JSON.stringify({ meetingId: meeting.meetingId, passcode: meeting.passcode, source: "10.0.0.9" });
      const path = "/internal/sip/resolve";
      const plain = await fetch(`${server.url}${path}`, { method: "POST", body });
      assert.equal(plain.status, 401);
      assert.equal(plain.headers.get("content-type"), "application/problem+json");
      assert.deepEqual(await plain.json(), {
        type: "about:blank",
        title: "Sign in required",
        status: 401,
        detail: "the request is not signed with the shared secret",
      });
      const forged = await fetch(`${server.url}${path}`, {
        method: "POST",
        body,
        headers: signedHeaders("not-the-secret-at-all", "POST", path, body),
      });
      assert.equal(forged.status, 401);
      await forged.body?.cancel();
      const tampered = await fetch(`${server.url}${path}`, {
        method: "POST",
        body: body.replace(meeting.passcode, "000000"),
        headers: signedHeaders(secret, "POST", path, body),
      });
      assert.equal(tampered.status, 401);
      await tampered.body?.cancel();
      const stale = await signed(server, secret, "POST", path, JSON.parse(body), Date.now() - 120_000);
      assert.equal(stale.status, 401);
      // Signed for another path: refused too (the path is part of the signature).
      const other = await fetch(`${server.url}/internal/sip/calls`, {
        method: "POST",
        body,
        headers: signedHeaders(secret, "POST", path, body),
      });
      assert.equal(other.status, 401);
      await other.body?.cancel();
      // A browser-looking request (same Origin) is no way around the signature.
      const sameOrigin = await fetch(`${server.url}${path}`, {
        method: "POST",
        body,
        headers: { origin: server.url, "sec-fetch-site": "same-origin" },
      });
      assert.equal(sameOrigin.status, 401);
      await sameOrigin.body?.cancel();
      // Signed: passes CSRF (no Origin) and answers.
      assert.equal((await post(path, JSON.parse(body))).status, 200);
      // Malformed signed bodies are 422 problem details naming the field (as on the web API), not 500.
      const malformed = await post(path, { meetingId: meeting.meetingId, source: "10.0.0.9" });
      assert.deepEqual([malformed.status, Object.keys(malformed.json!.errors as object)], [422, ["passcode"]]);
    });

    await t.step(
      "resolve: not found, ended, dial-in off, locked, passcode missing/wrong (a wait after 3 per source), ok",
      async () => {
        const open = await meet();
        const ended = await meet();
        const endedRes = await hostHttp.sendJson("POST", `/api/v1/meetings/${ended.meetingId}/end`, {});
        assert.equal(endedRes.status, 200);
        await endedRes.body?.cancel();
        const noDialIn = await meet({ dialIn: false });
        const locked = await meet({ locked: true });
        const r = (meetingId: string, passcode: string | null, source = "10.0.0.1") =>
          post("/internal/sip/resolve", { meetingId, passcode, source });
        // A refusal is problem details whose `code` says why (lib/contracts/sip_api.ts).
        const refused = async (answer: Promise<{ status: number; json: Record<string, unknown> | null }>) => {
          const { status, json } = await answer;
          assert.equal(json?.status, status);
          assert.equal(typeof json?.detail, "string");
          return { status, code: json?.code, passcodeRequired: json?.passcodeRequired };
        };

        assert.deepEqual(await r("1999999999", "123456"), {
          status: 404,
          json: {
            type: "about:blank",
            title: "Not found",
            status: 404,
            detail: "No open meeting has this number",
            code: "not-found",
          },
        });
        assert.deepEqual(await refused(r(ended.meetingId, ended.passcode)), {
          status: 410,
          code: "ended",
          passcodeRequired: undefined,
        });
        assert.deepEqual(await refused(r(noDialIn.meetingId, noDialIn.passcode)), {
          status: 403,
          code: "dial-in-disabled",
          passcodeRequired: undefined,
        });
        assert.deepEqual(await refused(r(locked.meetingId, locked.passcode)), {
          status: 486,
          code: "locked",
          passcodeRequired: undefined,
        });
        assert.deepEqual(await refused(r(open.meetingId, null)), {
          status: 403,
          code: "bad-passcode",
          passcodeRequired: true,
        });
        assert.deepEqual(await r(open.meetingId, open.passcode), {
          status: 200,
          json: { meetingId: open.meetingId, title: "Standup", passcodeRequired: true },
        });
        const wrong = open.passcode === "000000" ? "111111" : "000000";
        for (let i = 0; i < 3; i++) assert.equal((await r(open.meetingId, wrong)).status, 403, `wrong passcode ${i}`);
        // The 4th try from that source must wait first (not evaluated), even with the right passcode.
        const waited = await r(open.meetingId, open.passcode);
        assert.deepEqual([waited.status, waited.json?.code], [429, "slow-down"]);
        assert(Number(waited.json?.retryAfterMs) > 500_000, `waits the doubled delay: ${waited.json?.retryAfterMs}`);
        // Another source is not.
        assert.equal((await r(open.meetingId, open.passcode, "10.0.0.2")).status, 200);
        // The source is an IP address the gateway saw, and it is required.
        const noSource = await post("/internal/sip/resolve", { meetingId: open.meetingId, passcode: null });
        assert.deepEqual([noSource.status, Object.keys(noSource.json!.errors as object)], [422, ["source"]]);
      },
    );

    await t.step(
      "guessing (issue 12): 111 wrong tries never lock out the right passcode from a clean source; the hosts hear once",
      async () => {
        const meeting = await meet({ lobby: false });
        const host = await hostSocket(meeting);
        const wrong = meeting.passcode === "000000" ? "111111" : "000000";
        const r = (passcode: string, source: string) =>
          post("/internal/sip/resolve", { meetingId: meeting.meetingId, passcode, source });
        // One earlier wrong try from a source that would normally have two free tries left.
        assert.equal((await r(wrong, "10.2.0.1")).status, 403);
        // 111 wrong passcodes from 37 sources, 3 each in turn. Each source has 3 free tries until the
        // meeting's 20th failure (the earlier one + 19 here: sources 1-6 and source 7's first); from
        // then on a source that failed waits before its next try, so sources 8-37 get one try each.
        const answers: string[] = [];
        for (let n = 1; n <= 37; n++) {
          for (let i = 0; i < 3; i++) {
            const a = await r(wrong, `10.1.0.${n}`);
            answers.push(`${a.status} ${a.json?.code}`);
          }
        }
        assert.deepEqual(
          [answers.filter((a) => a === "403 bad-passcode").length, answers.filter((a) => a === "429 slow-down").length],
          [19 + 30, 111 - 49],
          answers.join(", "),
        );
        // A guessing source's next try waits, and so does the source with one failure: the meeting
        // is slowed down, so sources that failed get no free tries.
        for (const source of ["10.1.0.1", "10.2.0.1"]) {
          const slowed = await r(meeting.passcode, source);
          assert.deepEqual([slowed.status, slowed.json?.code], [429, "slow-down"], source);
        }
        // The real caller, from a source without failures, gets in at once.
        assert.deepEqual(await r(meeting.passcode, "10.9.9.9"), {
          status: 200,
          json: { meetingId: meeting.meetingId, title: "Standup", passcodeRequired: true },
        });
        // The hosts were told once (at the 20th wrong try of the window), with an audit entry.
        const notice = await host.waitFor("dial-in-guessing", (m) => m.type === "dial-in-guessing");
        assert.deepEqual(notice.data, { failures: 20, windowMinutes: 15 });
        assert.equal(host.got.filter((m) => m.type === "dial-in-guessing").length, 1);
        const audit = [];
        for await (const e of kv.list<{ action: string; details: Record<string, unknown> }>({ prefix: ["audit"] })) {
          if (e.value.action === "meeting.dial_in_guessing" && e.value.details.meetingId === meeting.meetingId) {
            audit.push(e.value);
          }
        }
        assert.equal(audit.length, 1);
      },
    );

    await t.step("parallel wrong tries from one source: only its free tries are evaluated (the race)", async () => {
      const meeting = await meet();
      const wrong = meeting.passcode === "000000" ? "111111" : "000000";
      const answers = await Promise.all(
        Array.from(
          { length: 40 },
          () => post("/internal/sip/resolve", { meetingId: meeting.meetingId, passcode: wrong, source: "10.3.0.1" }),
        ),
      );
      const codes = answers.map((a) => `${a.status} ${a.json?.code}`);
      assert.equal(codes.filter((c) => c === "403 bad-passcode").length, 3, codes.join(", "));
      assert.equal(codes.filter((c) => c === "429 slow-down").length, 37, codes.join(", "));
    });

    await t.step(
      "a caller joins; the host sees participant-joined (kind phone) and speaking; BYE closes attendance",
      async () => {
        const meeting = await meet({ lobby: false });
        const host = await hostSocket(meeting);
        const created = await post("/internal/sip/calls", {
          meetingId: meeting.meetingId,
          callId: "in-1",
          displayName: "",
          number: "•••• 1234",
        });
        assert.equal(created.status, 201);
        assert.equal(created.json!.state, "admitted");
        const joined = await host.waitFor("phone join", isPhoneJoin("•••• 1234"));
        assert.equal(joined.data.participant.participantId, created.json!.participantId);
        assert.deepEqual([joined.data.participant.role, joined.data.participant.state.audio], ["guest", true]);
        // Idempotent per callId.
        const again = await post("/internal/sip/calls", {
          meetingId: meeting.meetingId,
          callId: "in-1",
          displayName: "",
          number: "•••• 1234",
        });
        assert.deepEqual(again.json, created.json);

        assert.equal((await post("/internal/sip/calls/in-1/state", { speaking: true })).status, 204);
        await host.waitFor(
          "speaking",
          (m) =>
            m.type === "participant-updated" && m.data.participant.participantId === created.json!.participantId &&
            m.data.participant.state.speaking === true,
        );
        assert.equal((await post("/internal/sip/calls/in-1/state", { speaking: false, muted: true })).status, 204);
        await host.waitFor(
          "self-muted, silent",
          (m) =>
            m.type === "participant-updated" && m.data.participant.participantId === created.json!.participantId &&
            m.data.participant.state.speaking === false && m.data.participant.state.audio === false,
        );
        assert.equal((await post("/internal/sip/calls/nope/state", { speaking: true })).status, 404);

        const bye = await signed(server, secret, "DELETE", "/internal/sip/calls/in-1", { reason: "caller hung up" });
        assert.equal(bye.status, 204);
        await host.waitFor(
          "caller left",
          (m) =>
            m.type === "participant-left" && m.data.participantId === created.json!.participantId && !m.data.removed,
        );
        const fresh = (await getMeetingByNumber(kv, meeting.meetingId))!;
        const session = (await listAttendance(kv, fresh)).find((s) => s.participantId === created.json!.participantId);
        assert.ok(session && session.leftAt !== null, "the caller's attendance is closed");
        // Idempotent.
        assert.equal(
          (await signed(server, secret, "DELETE", "/internal/sip/calls/in-1", { reason: "again" })).status,
          204,
        );
      },
    );

    await t.step("lobby: callers wait with a phone marker; admit → gateway admit, deny → gateway hang-up", async () => {
      const meeting = await meet(); // lobby on: callers are guests
      const host = await hostSocket(meeting);
      const call = (callId: string, displayName: string) =>
        post("/internal/sip/calls", { meetingId: meeting.meetingId, callId, displayName, number: "•••• 9876" });
      const waiting = await call("in-lobby-1", "Room 4");
      assert.deepEqual([waiting.status, waiting.json!.state], [201, "waiting"]);
      const knock = await host.waitFor("knock", (m) => m.type === "lobby-knock" && m.data.entry.name === "Room 4");
      assert.equal(knock.data.entry.phone, true);
      assert.equal(host.got.find(isPhoneJoin("Room 4")), undefined, "not in the meeting while waiting");

      host.send({ type: "lobby-admit", admissionId: knock.data.entry.admissionId });
      await gw.waitFor("admit", (r) => r.method === "POST" && r.path === "/internal/calls/in-lobby-1/admit");
      const joined = await host.waitFor("admitted caller joins", isPhoneJoin("Room 4"));
      assert.equal(joined.data.participant.participantId, waiting.json!.participantId);

      await call("in-lobby-2", "Pat");
      const knock2 = await host.waitFor("second knock", (m) => m.type === "lobby-knock" && m.data.entry.name === "Pat");
      host.send({ type: "lobby-deny", admissionId: knock2.data.entry.admissionId });
      await gw.waitFor(
        "hang-up of the denied caller",
        (r) => r.method === "DELETE" && r.path === "/internal/calls/in-lobby-2",
      );
      assert.equal(gw.got.find((r) => r.path === "/internal/calls/in-lobby-2/admit"), undefined);

      // A waiting caller who hangs up leaves the lobby list.
      await call("in-lobby-3", "Quinn");
      const knock3 = await host.waitFor(
        "third knock",
        (m) => m.type === "lobby-knock" && m.data.entry.name === "Quinn",
      );
      await signed(server, secret, "DELETE", "/internal/sip/calls/in-lobby-3", { reason: "bye" });
      await host.waitFor(
        "gone from the lobby",
        (m) =>
          m.type === "lobby-left" && m.data.admissionId === knock3.data.entry.admissionId && m.data.outcome === "gone",
      );
    });

    await t.step("hosts mute, unmute and remove callers through the gateway; guests cannot", async () => {
      const meeting = await meet({ lobby: false });
      const host = await hostSocket(meeting);
      const guestHttp = httpClient(server);
      const joinRes = await guestHttp.postForm("/join", {
        meetingId: meeting.meetingId,
        passcode: meeting.passcode,
        name: "Gus",
      });
      await joinRes.body?.cancel();
      const { peer: guest, first } = await connect(server, meeting.meetingId, guestHttp);
      peers.push(guest);
      assert.equal(first.type, "welcome");
      const created = await post("/internal/sip/calls", {
        meetingId: meeting.meetingId,
        callId: "in-mod",
        displayName: "Caller",
        number: "•••• 5555",
      });
      const pid = created.json!.participantId as string;
      await host.waitFor("caller", isPhoneJoin("Caller"));

      let from = guest.got.length;
      guest.send({ type: "mute", participantId: pid });
      const refused = await guest.waitFor("refusal", (m) => m.type === "error", from);
      assert.equal(refused.code, "forbidden");

      host.send({ type: "mute", participantId: pid });
      const muted = await gw.waitFor("mute", (r) => r.path === "/internal/calls/in-mod/mute");
      assert.deepEqual(muted.body, { muted: true });
      await host.waitFor(
        "muted by host",
        (m) => m.type === "participant-updated" && m.data.participant.participantId === pid && m.data.cause === "muted",
      );
      host.send({ type: "unmute", participantId: pid });
      await gw.waitFor("unmute", (r) => r.path === "/internal/calls/in-mod/mute" && r.body?.muted === false);
      const unmuted = await host.waitFor(
        "unmuted",
        (m) =>
          m.type === "participant-updated" && m.data.participant.participantId === pid && m.data.cause === "unmuted",
      );
      assert.deepEqual([unmuted.data.participant.mutedByHost, unmuted.data.participant.state.audio], [false, true]);
      // Browsers are asked, not unmuted.
      from = host.got.length;
      host.send({ type: "unmute", participantId: first.participantId });
      assert.equal((await host.waitFor("refusal", (m) => m.type === "error", from)).code, "invalid");

      host.send({ type: "remove", participantId: pid });
      await gw.waitFor(
        "hang-up of the removed caller",
        (r) => r.method === "DELETE" && r.path === "/internal/calls/in-mod",
      );
      await host.waitFor(
        "removed",
        (m) => m.type === "participant-left" && m.data.participantId === pid && m.data.removed === true,
      );
      // The gateway's BYE afterwards changes nothing.
      assert.equal(
        (await signed(server, secret, "DELETE", "/internal/sip/calls/in-mod", { reason: "bye" })).status,
        204,
      );
    });

    await t.step(
      "dial-out: refused for participants, hosts' calls reach the gateway, progress goes to hosts only",
      async () => {
        const meeting = await meet({ lobby: false });
        const host = await hostSocket(meeting);
        const guestHttp = httpClient(server);
        const joinRes = await guestHttp.postForm("/join", {
          meetingId: meeting.meetingId,
          passcode: meeting.passcode,
          name: "Gail",
        });
        await joinRes.body?.cancel();
        const { peer: guest } = await connect(server, meeting.meetingId, guestHttp);
        peers.push(guest);
        const dialOuts = () => gw.got.filter((r) => r.path === `/internal/rooms/${meeting.meetingId}/dial-out`);

        let from = guest.got.length;
        guest.send({ type: "dial-out", target: "+4930123456789", name: "Forged" });
        assert.equal((await guest.waitFor("refusal", (m) => m.type === "error", from)).code, "forbidden");
        from = host.got.length;
        host.send({ type: "dial-out", target: "12345", name: "Bad" });
        assert.equal((await host.waitFor("refusal", (m) => m.type === "error", from)).code, "invalid");
        from = host.got.length;
        host.send({ type: "dial-out", target: "sip:room@", name: "Bad" });
        assert.equal((await host.waitFor("second refusal", (m) => m.type === "error", from)).code, "invalid");

        host.send({ type: "dial-out", target: "+4930123456789", name: "Dora" });
        const placed = await gw.waitFor("dial-out", (r) => r.path === `/internal/rooms/${meeting.meetingId}/dial-out`);
        assert.deepEqual(placed.body, { target: "+4930123456789", displayName: "Dora" });
        assert.equal(dialOuts().length, 1, "the refused ones never reached the gateway");
        const calling = await host.waitFor(
          "calling",
          (m) => m.type === "dial-out-status" && m.data.status === "calling",
        );
        const callId = calling.data.callId as string;
        assert.deepEqual([calling.data.name, calling.data.target, calling.data.by.name], [
          "Dora",
          "•••• 6789",
          "Hanna",
        ]);

        assert.equal((await post(`/internal/sip/calls/${callId}/progress`, { status: "ringing" })).status, 204);
        await host.waitFor("ringing", (m) => m.type === "dial-out-status" && m.data.status === "ringing");
        assert.equal((await post(`/internal/sip/calls/${callId}/progress`, { status: "answered" })).status, 204);
        await host.waitFor("answered", (m) => m.type === "dial-out-status" && m.data.status === "answered");
        const joined = await guest.waitFor("callee joins (seen by everyone)", isPhoneJoin("Dora"));
        // The gateway may also announce the answered call: same participant, admitted.
        const announced = await post("/internal/sip/calls", {
          meetingId: meeting.meetingId,
          callId,
          displayName: "Dora",
          number: "•••• 6789",
        });
        assert.deepEqual(announced.json, { participantId: joined.data.participant.participantId, state: "admitted" });
        // Everything the host saw about the dial-out came before the join the guest saw; the guest saw none.
        assert.equal(guest.got.find((m) => m.type === "dial-out-status"), undefined);

        // A second call that fails.
        host.send({ type: "dial-out", target: "sip:lobby@rooms.example.org", name: "" });
        const second = await host.waitFor(
          "second calling",
          (m) => m.type === "dial-out-status" && m.data.status === "calling" && m.data.callId !== callId,
        );
        assert.equal(second.data.target, "sip:lobby@rooms.example.org");
        await post(`/internal/sip/calls/${second.data.callId}/progress`, { status: "busy", reason: "486 Busy Here" });
        const busy = await host.waitFor("busy", (m) => m.type === "dial-out-status" && m.data.status === "busy");
        assert.equal(busy.data.reason, "486 Busy Here");
        assert.equal((await post("/internal/sip/calls/unknown/progress", { status: "ringing" })).status, 404);
      },
    );

    await t.step(
      "browser publishers: PUT/DELETE in the bridge on feed and mid changes, removal and leaving",
      async () => {
        const meeting = await meet({ lobby: false });
        const host = await hostSocket(meeting);
        const pub = (feedId: number) => `/internal/rooms/${meeting.meetingId}/publishers/${feedId}`;
        const join = async (name: string) => {
          const http = httpClient(server);
          const res = await http.postForm("/join", { meetingId: meeting.meetingId, passcode: meeting.passcode, name });
          assert.equal(res.status, 303, await res.text());
          const { peer, first } = await connect(server, meeting.meetingId, http);
          peers.push(peer);
          return { peer, participantId: first.participantId as string };
        };
        // Both join before anyone is removed (a removed guest's address is blocked from this meeting).
        const a = await join("Ann");
        const b = await join("Ben");
        a.peer.send({
          type: "state",
          audio: true,
          video: true,
          screen: false,
          feedId: 4242,
          mids: { audio: "0", video: "1" },
        });
        const put = await gw.waitFor("PUT 4242", (r) => r.method === "PUT" && r.path === pub(4242));
        assert.deepEqual(put.body, { audioMid: "0" });
        // Republished: the old feed goes, the new one comes.
        a.peer.send({ type: "state", audio: true, video: true, screen: false, feedId: 4343, mids: { audio: "2" } });
        await gw.waitFor("DELETE 4242", (r) => r.method === "DELETE" && r.path === pub(4242));
        assert.deepEqual((await gw.waitFor("PUT 4343", (r) => r.method === "PUT" && r.path === pub(4343))).body, {
          audioMid: "2",
        });
        // A state change that keeps the feed and mid sends nothing new.
        const puts = gw.got.filter((r) => r.path.startsWith(`/internal/rooms/${meeting.meetingId}/publishers/`)).length;
        a.peer.send({ type: "state", audio: false, video: true, screen: false, feedId: 4343, mids: { audio: "2" } });
        await host.waitFor(
          "Ann muted",
          (m) =>
            m.type === "participant-updated" && m.data.participant.participantId === a.participantId &&
            m.data.participant.state.audio === false,
        );

        // Removed: the feed leaves the bridge.
        host.send({ type: "remove", participantId: a.participantId });
        await gw.waitFor("DELETE 4343", (r) => r.method === "DELETE" && r.path === pub(4343));
        assert.equal(
          gw.got.filter((r) => r.path.startsWith(`/internal/rooms/${meeting.meetingId}/publishers/`)).length,
          puts + 1,
          "only the removal's DELETE after the unchanged state",
        );

        // Leaving (socket closed, grace period over): the feed leaves the bridge too.
        b.peer.send({ type: "state", audio: true, video: false, screen: false, feedId: 5151, mids: { audio: "0" } });
        await gw.waitFor("PUT 5151", (r) => r.method === "PUT" && r.path === pub(5151));
        b.peer.close();
        await host.waitFor(
          "Ben left",
          (m) => m.type === "participant-left" && m.data.participantId === b.participantId,
          0,
          25_000,
        );
        await gw.waitFor("DELETE 5151", (r) => r.method === "DELETE" && r.path === pub(5151));
      },
    );

    await t.step("the API and the host's meeting page show the SIP URI and the dial-in number", async () => {
      const meeting = await meet();
      const res = await hostHttp.get(`/api/v1/meetings/${meeting.meetingId}`);
      const json = await res.json();
      assert.equal(json.sipUri, `sip:${meeting.meetingId}@sip.example.org`);
      assert.equal(json.dialInNumber, "+49 30 1234567");
      const page = await hostHttp.get(`/m/${meeting.meetingId}`);
      const page2 = page.status === 303 ? await hostHttp.get(`/m/${meeting.meetingId}`) : page;
      if (page2 !== page) await page.body?.cancel();
      const html = await page2.text();
      assert.ok(html.includes(`sip:${meeting.meetingId}@sip.example.org`), "SIP URI on the page");
      assert.ok(html.includes("+49 30 1234567"), "dial-in number on the page");
    });

    assert.deepEqual(gw.forged, [], "every request the web sent the gateway was signed");
  } catch (err) {
    console.error(server.output());
    throw err;
  } finally {
    for (const p of peers) p.close();
    await Promise.all(peers.map((p) => p.closed));
    kv.close();
    await server.stop();
    await gw.close();
  }
});

Deno.test("without GATEWAY_SECRET the internal routes do not exist", async () => {
  const server = await startServer({ TALKSPACE_LOG: "quiet" });
  try {
    const res = await fetch(`${server.url}/internal/sip/resolve`, {
      method: "POST",
      body: JSON.stringify({ meetingId: "1234567890", passcode: null }),
      headers: signedHeaders("anything-at-all-16", "POST", "/internal/sip/resolve", "{}"),
    });
    assert.equal(res.status, 404);
    await res.body?.cancel();
  } finally {
    await server.stop();
  }
});
