// Dial-out end to end through the real stack: a host's meeting socket (`dial-out`) → the REAL web
// app → the signed internal API → the REAL gateway process (Janus, SIP on loopback) → an INVITE
// through SIP_OUTBOUND_PROXY → sipp answering as the callee on the proxy's port. Covers an answered
// call (progress to the host, a phone participant in the roster, RTP both ways through the bridge:
// the callee's speech heard by a dial-in caller, the meeting's mix sent to the callee; the host's
// `remove` as a BYE at sipp) and busy (486), failure (503) and no answer (the gateway's own timeout
// and CANCEL), each leaving neither a participant nor a call behind.

import assert from "node:assert/strict";
import { createMeeting, type Meeting } from "../lib/meetings/store.ts";
import { listPresent } from "../lib/meetings/participants.ts";
import { getCall } from "../lib/telephony/phone.ts";
import type { CallInfo } from "../gateway/calls/controller.ts";
import { encodeG711 } from "../gateway/rtp/g711.ts";
import { connect, type Msg, type Peer, signedIn } from "./support/meeting_sockets.ts";
import type { TestClient } from "./support/app.ts";
import { LevelPhone } from "./support/level_phone.ts";
import { type LoopbackSipStack, startLoopbackSipStack } from "./support/sip_stack.ts";
import { skipUnlessPrograms } from "./support/tools.ts";
import { poll } from "./support/wait.ts";
import { explain, freePort, SCENARIOS, type SippResult, spawnSipp } from "./sip/support.ts";

/** What the answering callee says (uas_answer_pcma.xml plays it; shipped by Debian's sip-tester). */
const SPEECH_PCAP = "/usr/share/sip-tester/g711a.pcap";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Packets in a pcap file (16-byte record headers after the 24-byte global header). */
function pcapPackets(path: string): number {
  const data = Deno.readFileSync(path);
  const view = new DataView(data.buffer);
  let n = 0;
  for (let o = 24; o + 16 <= data.length; o += 16 + view.getUint32(o + 8, true)) n++;
  return n;
}

function skipReason(): string | null {
  const what = "SIP dial-out end to end";
  const missing = skipUnlessPrograms(what, "sipp", "janus", "espeak-ng", "sox");
  if (missing) return missing;
  let reason: string | null = null;
  if (Deno.uid() !== 0) reason = `${what}: skipped, sipp plays the callee's RTP through a raw socket (needs root)`;
  else if (!isFile(SPEECH_PCAP)) reason = `${what}: skipped, ${SPEECH_PCAP} missing`;
  if (reason) console.log(reason);
  return reason;
}

const skip = skipReason();

/** The gateway's no-answer timeout for dial-outs in this test (SIP_DIAL_OUT_NO_ANSWER_SECONDS). */
const NO_ANSWER_MS = 3_000;
const NUMBER = "+4930123456789";

// --- a dial-in listener: sends a 440 Hz tone, measures what it hears --------------------------------

/** One second of a 440 Hz tone as μ-law (a whole number of periods, so it loops seamlessly). */
const TONE = (() => {
  const pcm = new Int16Array(8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(Math.sin((2 * Math.PI * 440 * i) / 8000) * 8000);
  return encodeG711("pcmu", pcm);
})();

/** A dial-in caller that sends the tone and measures what it hears. */
const tonePhone = (sipPort: number) =>
  new LevelPhone(sipPort, {
    codec: "pcmu",
    display: "Lena Listener",
    fromUser: "+15550001111",
    tag: "listener",
    tone: TONE,
  });

// --- the stack ---------------------------------------------------------------------------------------

type Stack = LoopbackSipStack & {
  /** The outbound proxy's port: where every callee sipp listens. */
  proxyPort: number;
};

async function startStack(): Promise<Stack> {
  const proxyPort = freePort();
  const stack = await startLoopbackSipStack({
    rtpBase: 60000,
    rtpPorts: 100,
    rtpBlocks: 50,
    gatewayEnv: {
      SIP_OUTBOUND_PROXY: `sip:127.0.0.1:${proxyPort}`,
      SIP_DIAL_OUT_NO_ANSWER_SECONDS: String(NO_ANSWER_MS / 1000),
    },
  });
  return { ...stack, proxyPort };
}

async function gatewayCalls(s: Stack): Promise<CallInfo[]> {
  const res = await s.gw.request("GET", "/internal/calls");
  assert.equal(res.status, 200);
  return (await res.json()).calls;
}

/** True once something is bound to 127.0.0.1:`port`/UDP (read from /proc: no probing bind that could race sipp). */
function udpBound(port: number): boolean {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return Deno.readTextFileSync("/proc/net/udp").split("\n").some((l) => l.trim().split(/\s+/)[1] === hex);
}

// --- the callee --------------------------------------------------------------------------------------

interface Callee {
  pid: number;
  done: Promise<SippResult>;
  result: SippResult | null;
}

/** Every message sipp sent and received (its -trace_msg log). */
function sippReceived(r: SippResult): string {
  let log = "";
  for (const f of Deno.readDirSync(r.dir)) {
    if (f.name.endsWith("_messages.log")) log += Deno.readTextFileSync(`${r.dir}/${f.name}`);
  }
  return log;
}

const isStatus = (callId: string, status: string) => (m: Msg) =>
  m.type === "dial-out-status" && m.data.callId === callId && m.data.status === status;

/** What the host saw of one dial-out, in order. */
const statuses = (host: Peer, callId: string) =>
  host.got.filter((m) => m.type === "dial-out-status" && m.data.callId === callId).map((m) => m.data.status);

Deno.test({
  name: "dial-out end to end: host socket → web → gateway → outbound proxy (sipp) → phone participant",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const started = performance.now();
    const s = await startStack();
    const callees: Callee[] = [];
    const phones: LevelPhone[] = [];
    const peers: Peer[] = [];

    /** sipp as the callee on the proxy's port, bound before the INVITE goes out. */
    const callee = async (args: string[], timeoutMs = 30_000): Promise<Callee> => {
      // A step that failed may leave its callee running: stop it (by PID) so the next one can bind.
      for (const c of callees.filter((c) => c.result === null)) {
        try {
          Deno.kill(c.pid, "SIGKILL");
        } catch { /* exited meanwhile */ }
        await c.done;
      }
      await poll("the proxy port free", () => !udpBound(s.proxyPort), 5_000, 20);
      const run = spawnSipp([...args, "-m", "1", "-trace_msg"], timeoutMs, s.proxyPort);
      const c: Callee = { ...run, result: null };
      c.done.then((r) => (c.result = r));
      callees.push(c);
      await poll("sipp listening on the proxy port", () => c.result !== null || udpBound(s.proxyPort), 10_000, 20);
      if (c.result) assert.fail(`the callee exited at once: ${explain(c.result)}`);
      return c;
    };
    const finished = async (c: Callee): Promise<SippResult> => {
      const r = await c.done;
      assert.equal(r.code, 0, explain(r));
      return r;
    };

    /** The host asks for a call; resolves with its callId from the `calling` status. */
    const dialOut = async (host: Peer, name: string) => {
      const from = host.got.length;
      host.send({ type: "dial-out", target: NUMBER, name });
      const first = await host.waitFor(
        "the dial-out taken (or refused)",
        (m) => m.type === "error" || (m.type === "dial-out-status" && m.data.status === "calling"),
        from,
      );
      assert.equal(first.type, "dial-out-status", JSON.stringify(first));
      assert.equal(first.data.target, "•••• 6789");
      assert.equal(first.data.name, name);
      assert.equal(first.data.by.name, "Hanna");
      return { callId: first.data.callId as string, from };
    };

    /** After a failed dial-out: no call at the gateway, the web's call ended, nobody joined by phone. */
    const nothingLeft = async (meeting: Meeting, host: Peer, callId: string, from: number) => {
      await poll("no call left at the gateway", async () => (await gatewayCalls(s)).length === 0, 10_000, 50);
      // The gateway forgets a failed call while its progress post may still be on the way: wait for the web's end.
      await poll("the web app's call ended", async () => (await getCall(s.kv, callId))?.state === "ended", 10_000, 50);
      const phonesPresent = (await listPresent(s.kv, meeting.meetingId)).filter((p) => p.kind === "phone");
      assert.deepEqual(phonesPresent, []);
      const joined = host.got.slice(from).filter((m) => m.type === "participant-joined");
      assert.deepEqual(joined, [], "nobody joined");
    };

    const hostSocket = async (meeting: Meeting, hostHttp: TestClient) => {
      // The meeting page admits its host (admission cookie, then a redirect to itself).
      const page = await hostHttp.get(`/m/${meeting.meetingId}`);
      await page.body?.cancel();
      const { peer, first } = await connect(s.web, meeting.meetingId, hostHttp);
      peers.push(peer);
      assert.equal(first.type, "welcome");
      assert.equal(first.you.role, "host");
      return peer;
    };

    try {
      const { client: hostHttp, userId: hostId } = await signedIn(s.kv, s.web, "Hanna");
      const meeting = await createMeeting(s.kv, { hostId, title: "Dial-out", settings: { lobby: false } });
      const host = await hostSocket(meeting, hostHttp);

      await t.step("answered: progress, a phone participant, RTP both ways, removal sends BYE", async () => {
        // A caller already in the meeting, sending a tone. The bridge's mix leaves out each
        // participant's own audio, so alone it hears silence, and speech only from the callee.
        const listener = tonePhone(s.gw.sipPort);
        phones.push(listener);
        assert.equal((await listener.invite(`${meeting.meetingId}*${meeting.passcode}`)).status, 200);
        await poll(
          "the listener in the bridge",
          async () => (await gatewayCalls(s)).some((c) => c.sipCallId === listener.callId && c.phase === "in-bridge"),
        );
        await poll("the listener receives the bridge's mix", () => listener.received(1000) >= 25, 10_000, 50);
        assert.ok(listener.loudest(1000) < -45, `alone, the listener hears silence: ${listener.loudest(1000)} dBov`);

        const mediaPort = freePort(4);
        const sipp = await callee(["-sf", SCENARIOS + "uas_answer_pcma.xml", "-mp", String(mediaPort)]);
        const { callId, from } = await dialOut(host, "Dora");
        await host.waitFor("answered", isStatus(callId, "answered"), from);
        assert.deepEqual(statuses(host, callId), ["calling", "ringing", "answered"]);

        const joined = await host.waitFor(
          "the callee in the roster",
          (m) => m.type === "participant-joined" && m.data.participant.name === "Dora",
          from,
        );
        const participant = joined.data.participant;
        assert.equal(participant.kind, "phone");
        assert.equal(participant.role, "guest");
        const roster = await listPresent(s.kv, meeting.meetingId);
        assert.equal(roster.find((p) => p.participantId === participant.participantId)?.callId, callId);

        const call = await poll(
          "the dial-out in the bridge",
          async () => (await gatewayCalls(s)).find((c) => c.callId === callId && c.phase === "in-bridge"),
        );
        assert.equal(call.direction, "out");
        assert.equal(call.meetingId, meeting.meetingId);
        assert.equal(call.participantId, participant.participantId);
        assert.equal(call.number, "•••• 6789");
        assert.equal(call.codec, "pcma");

        // Callee → gateway → bridge → the listener: the callee's speech (peaks near -15 dBov).
        await poll("the listener hears the callee", () => listener.loudest(300) > -30, 10_000, 20).catch(
          async (err) => {
            const info = (await gatewayCalls(s)).find((c) => c.callId === callId);
            throw new Error(`${err.message}; dial-out relay: ${JSON.stringify(info?.relay)}`);
          },
        );
        // All of the pcap arrived, nothing lost; Janus's mix for the callee went back to sipp's media port.
        const packets = pcapPackets(SPEECH_PCAP);
        const relay = await poll("the callee's whole pcap at the relay, and 100 packets of mix sent back", async () => {
          const r = (await gatewayCalls(s)).find((c) => c.callId === callId)?.relay;
          return r && r.callerIn.packets >= packets && r.janusIn.packets >= 100 && r.toCaller.packets >= 100 && r;
        }, 15_000);
        assert.equal(relay.callerIn.packets, packets, JSON.stringify(relay));
        assert.equal(relay.callerIn.lost, 0);
        assert.ok(relay.toJanus.frames >= 100, JSON.stringify(relay)); // 30 ms packets as 20 ms frames
        assert.deepEqual(relay.latchedTo, { host: "127.0.0.1", port: mediaPort }, "RTP came from sipp's media port");
        assert.equal(relay.sendErrors, 0);

        host.send({ type: "remove", participantId: participant.participantId });
        const left = await host.waitFor(
          "the callee removed",
          (m) => m.type === "participant-left" && m.data.participantId === participant.participantId,
          from,
        );
        assert.equal(left.data.removed, true);
        const r = await finished(sipp); // uas_answer_pcma.xml ends with BYE → 200
        const trace = sippReceived(r);
        assert.match(trace, new RegExp(`INVITE sip:\\${NUMBER}@127\\.0\\.0\\.1 SIP/2\\.0`));
        assert.match(trace, new RegExp(`Route: <sip:127\\.0\\.0\\.1:${s.proxyPort};lr>`));
        assert.match(trace, /BYE sip:callee@/);
        await poll(
          "the dial-out gone at the gateway",
          async () => !(await gatewayCalls(s)).some((c) => c.callId === callId),
        );
        assert.equal((await getCall(s.kv, callId))?.state, "ended");

        await listener.bye();
        await poll("no call left at the gateway", async () => (await gatewayCalls(s)).length === 0);
        await poll(
          "nobody by phone present",
          async () => !(await listPresent(s.kv, meeting.meetingId)).some((p) => p.kind === "phone"),
        );
      });

      await t.step("busy: 486 shows as busy, nothing left behind", async () => {
        const sipp = await callee(["-sf", SCENARIOS + "uas_ring_busy.xml"]);
        const { callId, from } = await dialOut(host, "Bea Busy");
        const busy = await host.waitFor("busy", isStatus(callId, "busy"), from);
        assert.equal(busy.data.reason, "486");
        assert.deepEqual(statuses(host, callId), ["calling", "ringing", "busy"]);
        await finished(sipp); // got our ACK
        await nothingLeft(meeting, host, callId, from);
      });

      await t.step("failure: 503 shows as failed with the reason, nothing left behind", async () => {
        const sipp = await callee(["-sf", SCENARIOS + "uas_ring_unavailable.xml"]);
        const { callId, from } = await dialOut(host, "Fay Failing");
        const failed = await host.waitFor("failed", isStatus(callId, "failed"), from);
        assert.equal(failed.data.reason, "Service Unavailable");
        assert.deepEqual(statuses(host, callId), ["calling", "ringing", "failed"]);
        await finished(sipp);
        await nothingLeft(meeting, host, callId, from);
      });

      await t.step(`no answer: the gateway gives up after ${NO_ANSWER_MS / 1000} s and CANCELs`, async () => {
        const sipp = await callee(["-sf", SCENARIOS + "uas_ring_noanswer.xml"], NO_ANSWER_MS + 30_000);
        const { callId, from } = await dialOut(host, "Nils Noanswer");
        const dialledAt = Date.now();
        await host.waitFor("ringing", isStatus(callId, "ringing"), from);
        const ringing = (await gatewayCalls(s)).find((c) => c.callId === callId);
        assert.equal(ringing?.phase, "dialing");
        assert.equal(ringing?.direction, "out");
        const noAnswer = await host.waitFor("no-answer", isStatus(callId, "no-answer"), from, NO_ANSWER_MS + 15_000);
        assert.ok(Date.now() - dialledAt >= NO_ANSWER_MS - 500, "the gateway's own timeout ended it");
        assert.equal(noAnswer.data.reason, "487");
        assert.deepEqual(statuses(host, callId), ["calling", "ringing", "no-answer"]);
        const r = await finished(sipp); // got CANCEL, answered 200 + 487, got the ACK
        assert.match(sippReceived(r), /CANCEL sip:/);
        await nothingLeft(meeting, host, callId, from);
      });
      console.log(`dial-out end to end: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (err) {
      console.log("--- gateway output ---\n" + s.gw.output().slice(-8000));
      console.log("--- web output ---\n" + s.web.output().slice(-4000));
      throw err;
    } finally {
      for (const p of peers) p.close();
      for (const p of phones) await p.close().catch(() => {});
      for (const c of callees) {
        if (c.result === null) {
          try {
            Deno.kill(c.pid, "SIGKILL");
          } catch { /* exited meanwhile */ }
        }
        const r = await c.done;
        await Deno.remove(r.dir, { recursive: true }).catch(() => {});
      }
      await s.stop();
    }
  },
});
