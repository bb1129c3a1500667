// Call control end to end: the REAL web app (routes/internal/sip.ts) and the REAL gateway process
// with its Janus, SIP on a loopback port; sipp (with RTP from pcaps generated here) and a small raw
// SIP+RTP phone as callers. Proves dial-in with audio into the bridge (20 ms PCMU, 30 ms PCMA),
// refusals, the IVR by RFC 4733 and by SIP INFO, the lobby, host mute, the meeting ending, codec
// choice, the relay port range, and measures INVITE → 200 over 20 calls.

import assert from "node:assert/strict";
import { createUser } from "../lib/accounts/users.ts";
import { createMeeting, type Meeting } from "../lib/meetings/store.ts";
import { listPresent } from "../lib/meetings/participants.ts";
import { waitFor } from "./support/gateway.ts";
import { skipUnlessPrograms } from "./support/tools.ts";
import { freePort, SCENARIOS } from "./sip/support.ts";
import { encodeG711 } from "../gateway/rtp/g711.ts";
import { buildRtp, serializeTelephoneEvent } from "../gateway/rtp/packet.ts";
import type { CallInfo } from "../gateway/calls/controller.ts";
import { LevelPhone } from "./support/level_phone.ts";
import { type LoopbackSipStack, startLoopbackSipStack } from "./support/sip_stack.ts";

const skip = skipUnlessPrograms("SIP call control tests", "sipp", "janus", "espeak-ng", "sox");

// --- pcaps -----------------------------------------------------------------------------------------

/** A pcap (Ethernet/IPv4/UDP) of RTP packets with their send times; sipp's play_pcap_audio replays it. */
function pcap(packets: { atMs: number; rtp: Uint8Array }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const global = new DataView(new ArrayBuffer(24));
  global.setUint32(0, 0xa1b2c3d4, true);
  global.setUint16(4, 2, true);
  global.setUint16(6, 4, true);
  global.setUint32(16, 65535, true);
  global.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  parts.push(new Uint8Array(global.buffer));
  for (const p of packets) {
    const len = 14 + 20 + 8 + p.rtp.length;
    const frame = new Uint8Array(16 + len);
    const v = new DataView(frame.buffer);
    const t = 1_700_000_000_000 + p.atMs;
    v.setUint32(0, Math.floor(t / 1000), true);
    v.setUint32(4, (t % 1000) * 1000, true);
    v.setUint32(8, len, true);
    v.setUint32(12, len, true);
    v.setUint16(16 + 12, 0x0800); // IPv4
    const ip = 16 + 14;
    frame[ip] = 0x45;
    v.setUint16(ip + 2, 20 + 8 + p.rtp.length);
    frame[ip + 8] = 64;
    frame[ip + 9] = 17;
    frame.set([127, 0, 0, 1], ip + 12);
    frame.set([127, 0, 0, 1], ip + 16);
    const udp = ip + 20;
    v.setUint16(udp, 6000);
    v.setUint16(udp + 2, 6000);
    v.setUint16(udp + 4, 8 + p.rtp.length);
    frame.set(p.rtp, udp + 8);
    parts.push(frame);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return out;
}

function tonePcm(samples: number, freq = 440, amplitude = 8000): Int16Array {
  const pcm = new Int16Array(samples);
  for (let i = 0; i < samples; i++) pcm[i] = Math.round(Math.sin((2 * Math.PI * freq * i) / 8000) * amplitude);
  return pcm;
}

/** `seconds` of a tone as G.711 RTP with `ptimeMs` packets. */
function tonePcap(codec: "pcmu" | "pcma", ptimeMs: number, seconds: number): Uint8Array {
  const per = 8 * ptimeMs;
  const audio = encodeG711(codec, tonePcm(seconds * 8000));
  const packets = [];
  for (let i = 0; i * per < audio.length; i++) {
    const payload = audio.subarray(i * per, (i + 1) * per);
    packets.push({ atMs: i * ptimeMs, rtp: buildRtp(codec === "pcmu" ? 0 : 8, i, i * per, 0x1234, payload, i === 0) });
  }
  return pcap(packets);
}

const EVENT: Record<string, number> = { "*": 10, "#": 11 };

/** RFC 4733 key presses (PT 101): 8 packets a digit (3 of them end packets), 120 ms apart. */
function dtmfPcap(digits: string, startMs = 300): Uint8Array {
  const packets = [];
  let seq = 0, at = startMs;
  for (const [n, d] of [...digits].entries()) {
    const ts = 160 * 40 * (n + 1);
    const event = EVENT[d] ?? Number(d);
    for (let i = 0; i < 8; i++) {
      const end = i >= 5;
      const payload = serializeTelephoneEvent({ event, end, volume: 10, duration: Math.min(i + 1, 6) * 160 });
      packets.push({ atMs: at, rtp: buildRtp(101, seq++, ts, 0x4321, payload, i === 0) });
      if (!end) at += 20;
    }
    at += 120;
  }
  return pcap(packets);
}

// --- sipp ------------------------------------------------------------------------------------------

interface SippRun {
  pid: number;
  done: Promise<{ code: number; out: string }>;
}

/** sipp in a temp directory holding the pcaps; stopped by PID at the deadline. */
function sipp(
  gw: { sipPort: number },
  scenario: string,
  args: string[],
  files: Record<string, Uint8Array>,
  timeoutMs = 30_000,
): SippRun {
  const dir = Deno.makeTempDirSync({ prefix: "sipp-calls-" });
  for (const [name, data] of Object.entries(files)) Deno.writeFileSync(`${dir}/${name}`, data);
  const child = new Deno.Command("sipp", {
    args: [
      `127.0.0.1:${gw.sipPort}`,
      "-sf",
      SCENARIOS + scenario,
      "-nostdin",
      "-i",
      "127.0.0.1",
      "-p",
      String(freePort()),
      "-mp",
      String(freePort(4)),
      "-m",
      "1",
      "-timeout",
      `${Math.ceil(timeoutMs / 1000)}s`,
      "-timeout_error",
      ...args,
    ],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => {
    try {
      Deno.kill(child.pid, "SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs + 5_000);
  const done = child.output().then((o) => {
    clearTimeout(killer);
    Deno.removeSync(dir, { recursive: true });
    const td = new TextDecoder();
    return { code: o.code, out: (td.decode(o.stdout) + td.decode(o.stderr)).slice(-3000) };
  });
  return { pid: child.pid, done };
}

// --- the suite -------------------------------------------------------------------------------------

type Stack = LoopbackSipStack & { hostId: string };

const DID = "+15550100";

async function startStack(): Promise<Stack> {
  const stack = await startLoopbackSipStack({
    rtpBase: 60000,
    rtpPorts: 100,
    rtpBlocks: 50,
    // The IVR caps small enough to reach here; the IVR's hang-up soon enough to wait for (the
    // IVR steps above need ~15 s from answer to the bridge at most).
    gatewayEnv: { SIP_DID: DID, SIP_IVR_MAX_PER_SOURCE: "3", SIP_IVR_MAX_CALLS: "8", SIP_IVR_TIMEOUT_MS: "25000" },
  });
  const host = await createUser(stack.kv, { name: "Host Hanna", email: "hanna@example.org", passwordHash: "unused" });
  return { ...stack, hostId: host.id };
}

async function calls(s: Stack, meetingId: string): Promise<CallInfo[]> {
  const res = await s.gw.request("GET", meetingId ? `/internal/calls?meetingId=${meetingId}` : "/internal/calls");
  assert.equal(res.status, 200);
  return (await res.json()).calls;
}

async function present(s: Stack, meetingId: string): Promise<string[]> {
  return (await listPresent(s.kv, meetingId)).map((p) => p.name);
}

Deno.test({
  name: "call control: real web app + gateway + Janus, sipp and raw phones",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startStack();
    const phones: LevelPhone[] = [];
    const phone = (codec: "pcmu" | "pcma" = "pcmu") => {
      const p = new LevelPhone(s.gw.sipPort, { codec });
      phones.push(p);
      return p;
    };
    const pcaps = {
      "tone_pcmu20.pcap": tonePcap("pcmu", 20, 20),
      "tone_pcma30.pcap": tonePcap("pcma", 30, 20),
    };
    try {
      const open = await createMeeting(s.kv, { hostId: s.hostId, title: "Open call", settings: { lobby: false } });
      const lobby = await createMeeting(s.kv, { hostId: s.hostId, title: "Lobby call", settings: { lobby: true } });
      const codecs = await createMeeting(s.kv, { hostId: s.hostId, title: "Codecs", settings: { lobby: false } });
      const timing = await createMeeting(s.kv, { hostId: s.hostId, title: "Timing", settings: { lobby: false } });
      const dial = (m: Meeting) => `${m.meetingId}*${m.passcode}`;

      await t.step("(a) dial-in with 20 ms PCMU: a participant, heard by another caller", async () => {
        const listener = phone();
        assert.equal((await listener.invite(dial(open))).status, 200);
        const port = listener.remote!.port;
        assert.ok(port >= s.rtpRange[0] && port <= s.rtpRange[1], `relay port ${port} in SIP_RTP_PORT_RANGE`);
        const a = sipp(s.gw, "calls_pcmu20.xml", ["-s", dial(open), "-d", "6000"], pcaps);
        await waitFor(
          "two callers in the bridge",
          async () => (await calls(s, open.meetingId)).filter((c) => c.phase === "in-bridge").length === 2,
        );
        await waitFor(
          "both callers present in the web app",
          async () =>
            (await present(s, open.meetingId)).filter((n) => n === "Sipp Caller" || n === "Raw Phone").length === 2,
        );
        await waitFor("the listener hears the sipp caller's tone", () => listener.loudest(300) > -25, 8000).catch(
          async (err) => {
            throw new Error(
              `${err.message}: heard ${listener.heard.length} packets, loudest ${
                listener.loudest(10_000)
              } dBov; calls ${JSON.stringify(await calls(s, open.meetingId))}`,
            );
          },
        );
        const talker = await waitFor(
          "100 frames of the tone sent to Janus",
          async () =>
            (await calls(s, open.meetingId)).find((c) =>
              c.sipCallId !== listener.callId && c.relay!.toJanus.frames > 100
            ),
        ) as CallInfo;
        assert.equal(talker.codec, "pcmu");
        assert.equal(talker.relay!.callerIn.lost, 0);
        assert.equal(talker.number, "•••• 4567");
        const r = await a.done;
        assert.equal(r.code, 0, r.out);
        await waitFor(
          "the sipp caller left the web app",
          async () => !(await present(s, open.meetingId)).includes("Sipp Caller"),
        );
        await listener.bye();
        await waitFor("no calls left", async () => (await calls(s, open.meetingId)).length === 0);
        await waitFor("nobody present", async () => (await present(s, open.meetingId)).length === 0);
      });

      await t.step("(b) 30 ms PCMA is repacketized and still heard", async () => {
        const listener = phone("pcma");
        assert.equal((await listener.invite(dial(open))).status, 200);
        const a = sipp(s.gw, "calls_pcma30.xml", ["-s", dial(open), "-d", "5000"], pcaps);
        await waitFor("the listener hears the 30 ms PCMA tone", () => listener.loudest(300) > -25, 10_000);
        const talker = await waitFor(
          "100 PCMA frames sent to Janus",
          async () =>
            (await calls(s, open.meetingId)).find((c) =>
              c.sipCallId !== listener.callId && c.relay!.toJanus.frames > 100
            ),
        ) as CallInfo;
        assert.equal(talker.codec, "pcma");
        const { callerIn, toJanus } = talker.relay!;
        // 30 ms packets in, 20 ms frames out: 3 frames for every 2 packets (± the partial frame).
        assert.ok(Math.abs(toJanus.frames - callerIn.packets * 1.5) <= 2, JSON.stringify(talker.relay));
        assert.equal((await a.done).code, 0);
        await listener.bye();
        await waitFor("no calls left", async () => (await calls(s, open.meetingId)).length === 0);
      });

      await t.step("(c) unknown meeting → 404, wrong passcode → 403", async () => {
        const unknown = sipp(s.gw, "reject_404.xml", ["-s", "1000000001"], {});
        const wrong = sipp(s.gw, "reject_403.xml", ["-s", `${open.meetingId}*000000`], {});
        const [u, w] = await Promise.all([unknown.done, wrong.done]);
        assert.equal(u.code, 0, u.out);
        assert.equal(w.code, 0, w.out);
      });

      await t.step("(d) the DID and RFC 4733 digits through the IVR", async () => {
        const digits = `${open.meetingId}#${open.passcode}#`;
        const a = sipp(s.gw, "calls_dtmf.xml", ["-s", DID, "-d", "9000"], { "dtmf.pcap": dtmfPcap(digits) });
        const inBridge = await waitFor(
          "the IVR caller in the bridge",
          async () => (await calls(s, open.meetingId)).find((c) => c.phase === "in-bridge"),
          12_000,
        );
        assert.equal(inBridge!.digits, digits);
        assert.ok(inBridge!.relay!.dtmfPackets >= digits.length * 3, JSON.stringify(inBridge!.relay));
        await waitFor("present in the web app", async () => (await present(s, open.meetingId)).includes("Sipp Caller"));
        assert.equal((await a.done).code, 0);
        await waitFor("no calls left", async () => (await calls(s, open.meetingId)).length === 0);
      });

      await t.step("(e) SIP INFO digits through the IVR; a wrong passcode gets another try", async () => {
        const p = phone();
        assert.equal((await p.invite(DID)).status, 200);
        const list = await calls(s, open.meetingId);
        assert.equal(list.length, 0, "no meeting yet while in the IVR");
        for (const d of `${open.meetingId}#000000#`) assert.equal((await p.info(d)).statusCode, 200);
        // The meeting ID is kept; the IVR asks for the passcode again (try 2 of 3).
        await waitFor(
          "the IVR's second try",
          async () => (await calls(s, "")).find((c) => c.sipCallId === p.callId && c.ivr?.attempt === 1),
        );
        for (const d of `${open.passcode}#`) assert.equal((await p.info(d)).statusCode, 200);
        const call = await waitFor(
          "the INFO caller in the bridge",
          async () => (await calls(s, open.meetingId)).find((c) => c.phase === "in-bridge"),
          15_000,
        );
        assert.ok(call!.digits.endsWith(`${open.passcode}#`));
        await p.bye();
        await waitFor("no calls left", async () => (await calls(s, open.meetingId)).length === 0);
      });

      await t.step("(f) lobby: the caller waits with hold music until admitted", async () => {
        const p = phone();
        assert.equal((await p.invite(dial(lobby))).status, 200);
        const waiting = await waitFor(
          "the caller waiting",
          async () => (await calls(s, lobby.meetingId)).find((c) => c.phase === "waiting"),
        );
        assert.ok(!(await present(s, lobby.meetingId)).includes("Raw Phone"), "not a participant while waiting");
        await waitFor("prompt / hold music reaches the caller", () => p.loudest(500) > -40, 8000);
        // The web side's host-admission flow needs a host socket; the gateway's admit endpoint is
        // what it calls (lib/telephony/phone.ts phoneLobbyDecided → admitCall).
        const res = await s.gw.request("POST", `/internal/calls/${waiting!.callId}/admit`);
        assert.equal(res.status, 204);
        await waitFor(
          "the caller in the bridge",
          async () => (await calls(s, lobby.meetingId)).find((c) => c.phase === "in-bridge"),
        );
        assert.equal((await s.gw.request("POST", "/internal/calls/cnope/admit")).status, 404);
        await p.bye();
        await waitFor("no calls left", async () => (await calls(s, lobby.meetingId)).length === 0);
      });

      await t.step("(g) host mute silences the caller for the others", async () => {
        const listener = phone();
        assert.equal((await listener.invite(dial(open))).status, 200);
        const a = sipp(s.gw, "calls_pcmu20.xml", ["-s", dial(open), "-d", "12000"], pcaps);
        await waitFor("the listener hears the tone", () => listener.loudest(300) > -25, 8000);
        const talker = (await calls(s, open.meetingId)).find((c) => c.displayName === "Sipp Caller")!;
        const bad = await s.gw.request("POST", `/internal/calls/${talker.callId}/mute`, { muted: "yes" });
        assert.equal(bad.status, 422);
        assert.ok((await bad.json()).errors.muted);
        assert.equal(
          (await s.gw.request("POST", `/internal/calls/${talker.callId}/mute`, { muted: true })).status,
          204,
        );
        await waitFor("silence at the listener", () => listener.heard.length > 0 && listener.loudest(400) < -45, 5000);
        assert.equal(
          (await s.gw.request("POST", `/internal/calls/${talker.callId}/mute`, { muted: false })).status,
          204,
        );
        await waitFor("the tone again", () => listener.loudest(300) > -25, 5000);
        assert.equal((await a.done).code, 0);
        await listener.bye();
        await waitFor("no calls left", async () => (await calls(s, open.meetingId)).length === 0);
      });

      await t.step("(h) the meeting ending hangs up every call", async () => {
        const p = phone();
        assert.equal((await p.invite(dial(open))).status, 200);
        const a = sipp(s.gw, "calls_wait_bye.xml", ["-s", dial(open)], pcaps);
        await waitFor(
          "both callers in the bridge",
          async () =>
            (await calls(s, open.meetingId)).filter((c) =>
              c.phase === "in-bridge" && (c.displayName === "Sipp Caller" || c.sipCallId === p.callId)
            ).length === 2,
        );
        // What the web app's lib/meetings/lifecycle.ts does when a host ends the meeting.
        const res = await s.gw.request("DELETE", `/internal/rooms/${open.meetingId}`);
        assert.equal(res.status, 200);
        const r = await a.done;
        assert.equal(r.code, 0, `sipp got the BYE: ${r.out}`);
        await p.next("BYE at the raw phone", () => p.byeReceived || undefined);
        assert.equal((await calls(s, open.meetingId)).length, 0);
        await waitFor("nobody present", async () => (await present(s, open.meetingId)).length === 0);
      });

      await t.step("codec choice: G.722 only → 488; G.722 with PCMU → PCMU with telephone-event", async () => {
        const meeting = codecs;
        const sdp = (pts: string, maps: string[]) =>
          [
            "v=0",
            "o=x 1 1 IN IP4 127.0.0.1",
            "s=-",
            "c=IN IP4 127.0.0.1",
            "t=0 0",
            `m=audio 4000 RTP/AVP ${pts}`,
            ...maps,
            "",
          ]
            .join("\r\n");
        const g722 = phone();
        assert.equal((await g722.invite(dial(meeting), sdp("9", ["a=rtpmap:9 G722/8000"]))).status, 488);
        // The 488 says why and offers what we take (PCMU first), as RFC 3261 §21.4.26 allows.
        const refused = g722.messages.find((m) => "statusCode" in m && m.statusCode === 488)!;
        assert.match(String(refused.getHeader("warning")), /^305 \S+ "Incompatible media format/);
        assert.match(refused.body, /m=audio 0 RTP\/AVP 0 8 101\r\n/);
        assert.match(refused.body, /a=rtpmap:0 PCMU\/8000/);
        const both = phone();
        const r = await both.invite(
          dial(meeting),
          sdp("9 0 101", ["a=rtpmap:9 G722/8000", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"]),
        );
        assert.equal(r.status, 200);
        assert.match(both.answerSdp, /m=audio \d+ RTP\/AVP 0 101\r\n/);
        assert.match(both.answerSdp, /a=ptime:20/);
        await both.bye();
      });

      await t.step("call setup INVITE → 200 over 20 calls (full stack)", async () => {
        const meeting = timing;
        const times: number[] = [];
        for (let i = 0; i < 20; i++) {
          const p = phone();
          const r = await p.invite(dial(meeting));
          assert.equal(r.status, 200);
          times.push(r.ms);
          await waitFor(
            "in the bridge",
            async () =>
              (await calls(s, meeting.meetingId)).find((c) => c.sipCallId === p.callId && c.phase === "in-bridge"),
          );
          await p.bye();
          await p.close();
        }
        await waitFor("no calls left", async () => (await calls(s, meeting.meetingId)).length === 0);
        times.sort((x, y) => x - y);
        const median = times[10], p95 = times[18];
        console.log(
          `INVITE → 200 over 20 calls: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${
            times[19].toFixed(1)
          } ms`,
        );
        assert.ok(p95 < 1000, `p95 ${p95} ms`);
      });

      // Issue 12. The attacker is 127.0.0.5 (loopback answers on all of 127/8, and the gateway sees
      // the packet's source address whatever From and Via say); the meeting's real caller 127.0.0.6.
      const guessed = await createMeeting(s.kv, { hostId: s.hostId, title: "Guessed", settings: { lobby: false } });
      const wrong = guessed.passcode === "000000" ? "111111" : "000000";
      const held: LevelPhone[] = [];

      await t.step("110 wrong passcodes from one source rotating From: 3 evaluated, then waits and 486", async () => {
        const answers: number[] = [];
        const retryAfter = new Set<string>();
        for (let i = 0; i < 110; i++) {
          const p = new LevelPhone(s.gw.sipPort, { localHost: "127.0.0.5", fromUser: `+1555000${1000 + i}` });
          phones.push(p);
          const { status } = await p.invite(`${guessed.meetingId}*${wrong}`);
          answers.push(status);
          if (status === 200) held.push(p);
          else {
            const final = p.messages.find((m) => "statusCode" in m && m.statusCode === status);
            if (status === 486) {
              retryAfter.add((final as { getHeader(n: string): string | undefined }).getHeader("retry-after") ?? "");
            }
            await p.close();
          }
        }
        const count = (n: number) => answers.filter((a) => a === n).length;
        // Three free tries are evaluated (403); the next ones must wait, so the gateway answers them
        // into the IVR ("please wait", then the try) until the source has 3 callers not let in; the
        // rest get 486 Busy Here with Retry-After. Changing From changed nothing.
        assert.deepEqual([count(403), count(200), count(486)], [3, 3, 104], answers.join(" "));
        assert.deepEqual([...retryAfter], ["30"]);
        const waiting = (await calls(s, guessed.meetingId)).filter((c) => c.phase === "ivr");
        assert.equal(waiting.length, 3);
      });

      await t.step("the real caller from another source with the right passcode gets in at once", async () => {
        const real = new LevelPhone(s.gw.sipPort, {
          localHost: "127.0.0.6",
          fromUser: "+15551234567",
          display: "Real Caller",
        });
        phones.push(real);
        assert.equal((await real.invite(dial(guessed))).status, 200);
        await waitFor(
          "the real caller in the bridge",
          async () =>
            (await calls(s, guessed.meetingId)).find((c) => c.sipCallId === real.callId && c.phase === "in-bridge"),
        );
        await waitFor(
          "present in the web app",
          async () => (await present(s, guessed.meetingId)).includes("Real Caller"),
        );
        await real.bye();
      });

      await t.step(
        "callers without a passcode: 3 per source, 8 overall, then 486/503; BYE after the IVR timeout",
        async () => {
          // The 3 held guessers (127.0.0.5) count; 127.0.0.7 dials the IVR 30 times at once.
          const burst = Array.from({ length: 30 }, (_, i) => {
            const p = new LevelPhone(s.gw.sipPort, { localHost: "127.0.0.7", fromUser: `+1555111${1000 + i}` });
            phones.push(p);
            return p;
          });
          const statuses = await Promise.all(burst.map((p) => p.invite(DID).then((r) => r.status)));
          assert.deepEqual(
            [statuses.filter((x) => x === 200).length, statuses.filter((x) => x === 486).length],
            [3, 27],
            statuses.join(" "),
          );
          held.push(...burst.filter((_, i) => statuses[i] === 200));
          // 6 not let in now; 127.0.0.8 gets 2 more, then the overall cap of 8 answers 503.
          const more = [1, 2, 3].map((i) => {
            const p = new LevelPhone(s.gw.sipPort, { localHost: "127.0.0.8", fromUser: `+1555222${1000 + i}` });
            phones.push(p);
            return p;
          });
          const last: number[] = [];
          for (const p of more) {
            last.push((await p.invite(DID)).status);
            if (last.at(-1) === 200) held.push(p);
          }
          assert.deepEqual(last, [200, 200, 503]);
          const busy = more[2].messages.find((m) => "statusCode" in m && m.statusCode === 503);
          assert.equal((busy as { getHeader(n: string): string | undefined }).getHeader("retry-after"), "30");
          // Nobody enters a right passcode: each gets a BYE when the IVR stage times out.
          await Promise.all(
            held.map((p) => p.next("BYE after the IVR timeout", () => p.byeReceived || undefined, 40_000)),
          );
          await waitFor(
            "no callers left in the IVR",
            async () => (await calls(s, "")).filter((c) => c.phase === "ivr").length === 0,
          );
        },
      );
    } catch (err) {
      console.log("--- gateway output ---\n" + s.gw.output().slice(-8000));
      console.log("--- web output ---\n" + s.web.output().slice(-4000));
      throw err;
    } finally {
      const logTo = Deno.env.get("SIP_CALLS_LOG");
      if (logTo) Deno.writeTextFileSync(logTo, `--- gateway ---\n${s.gw.output()}\n--- web ---\n${s.web.output()}`);
      for (const p of phones) await p.close().catch(() => {});
      await s.stop();
    }
  },
});
