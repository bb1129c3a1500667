// The SIP bridge against a real Janus 1.1.2: two callers through relays (one sending 30 ms PCMA),
// the mix minus oneself, host mute, the "sip" group mix, and the "Phone participants" feed.

import assert from "node:assert/strict";
import { SipBridge } from "../../gateway/bridge/bridge.ts";
import { decodeG711, encodeG711, type G711Codec } from "../../gateway/rtp/g711.ts";
import { buildRtp } from "../../gateway/rtp/packet.ts";
import { RtpRelay } from "../../gateway/rtp/relay.ts";
import { type Collector, collector, goertzel, tone, until } from "./audio_util.ts";
import { startTestJanus } from "./janus_support.ts";
import { skipUnlessPrograms } from "../support/tools.ts";

/** A phone: sends `ms`-millisecond packets (a 440 Hz tone or silence) to its relay, paced by the clock. */
function phone(codec: G711Codec, ms: number, relayPort: number, withTone: boolean) {
  const sock = collector();
  const samples = 8 * ms;
  let running = true;
  const t0 = performance.now();
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const pcm = withTone ? tone(440, samples, 8000, 8000, n * samples) : new Int16Array(samples);
      await sock.send(buildRtp(codec === "pcmu" ? 0 : 8, n, n * samples, 4242 + ms, encodeG711(codec, pcm)), relayPort);
      const wait = t0 + (n + 1) * ms - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    sock,
    async stop() {
      running = false;
      await loop;
      await sock.close();
    },
  };
}

/** 440 Hz power of the last `n` packets a phone received. */
function recent440(c: Collector, codec: G711Codec, n = 25) {
  const last = c.packets.slice(-n);
  if (last.length < n) return { tone: 0, other: 0 };
  const pcm = new Int16Array(n * 160);
  last.forEach((p, i) => pcm.set(decodeG711(codec, p.packet.payload).subarray(0, 160), i * 160));
  return { tone: goertzel(pcm, 440), other: goertzel(pcm, 1000) };
}

Deno.test({
  name: "SIP bridge with real Janus: mix minus self, 30 ms PCMA caller, host mute, group mix, phone feed",
  ignore: skipUnlessPrograms("SIP bridge test", "janus") !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const janus = await startTestJanus();
    const meetingId = "4000000001";
    const relayA = RtpRelay.open({ callId: "A", codec: "pcma", payloadType: 8 });
    const relayB = RtpRelay.open({ callId: "B", codec: "pcmu", payloadType: 0 });
    const phoneA = phone("pcma", 30, relayA.callerAddress.port, true);
    const phoneB = phone("pcmu", 20, relayB.callerAddress.port, false);
    const mixSink = collector();
    const feedSink = collector();
    const bridge = new SipBridge({ meetingId, bridges: janus.bridges, rooms: janus.rooms });
    try {
      await janus.rooms.ensureRoom(meetingId);
      assert.equal(bridge.state, "idle");
      await bridge.addCaller("A", relayA, { display: "Phone A" });
      assert.equal(bridge.state, "live");
      await bridge.addCaller("B", relayB, { display: "Phone B" });
      assert.ok(bridge.phoneFeedId !== null);
      const started = performance.now();

      // B hears A's tone; A does not hear itself.
      await until("B hears 440 Hz", () => {
        const p = recent440(phoneB.sock, "pcmu");
        return p.tone > 0.005 && p.tone > 50 * p.other;
      }, 10_000).catch((err) => {
        throw new Error(
          `${err.message}: A ${JSON.stringify(relayA.stats())} B ${JSON.stringify(relayB.stats())} ` +
            `B got ${phoneB.sock.packets.length} ${JSON.stringify(recent440(phoneB.sock, "pcmu"))}`,
        );
      });
      const heardAfterMs = performance.now() - started;
      const a = recent440(phoneA.sock, "pcma");
      const b = recent440(phoneB.sock, "pcmu");
      console.log(
        `B heard A's tone ${heardAfterMs.toFixed(0)} ms after joining; 440 Hz power at B ${
          b.tone.toFixed(4)
        }, at A (own voice) ${a.tone.toFixed(6)}`,
      );
      assert.ok(phoneA.sock.packets.length > 0, "A receives the mix too");
      assert.ok(a.tone < b.tone / 100, "A must not hear itself");

      // The "sip" group mix, forwarded to a test socket, and the phone feed inside the VideoRoom.
      const { forwardId } = await janus.bridges.forwardGroup(meetingId, {
        group: "sip",
        host: "127.0.0.1",
        port: mixSink.port,
        codec: "pcmu",
        payloadType: 0,
        ssrc: 77,
      });
      await until("the sip group mix arrives", () => mixSink.packets.length >= 25, 5000);
      const mixPcm = new Int16Array(25 * 160);
      mixSink.packets.slice(-25).forEach((p, i) => mixPcm.set(decodeG711("pcmu", p.packet.payload), i * 160));
      assert.ok(goertzel(mixPcm, 440) > 0.005, `group mix carries the tone: ${goertzel(mixPcm, 440)}`);
      await janus.bridges.stopForward(meetingId, forwardId);
      await janus.rooms.rtpForward(meetingId, bridge.phoneFeedId!, {
        mid: "0",
        host: "127.0.0.1",
        port: feedSink.port,
      });
      await until("the phone feed's Opus arrives through the VideoRoom", () => feedSink.packets.length >= 10, 5000);
      assert.ok(feedSink.packets.every((p) => p.packet.payloadType === 111));
      assert.ok(feedSink.packets.some((p) => p.packet.payload.length > 20), "not only silence frames");

      // Host mute of A: B hears silence.
      await bridge.setCallerMuted("A", true);
      await until("B no longer hears the tone", () => {
        const p = recent440(phoneB.sock, "pcmu");
        return p.tone < 0.0001;
      }, 5000);
      await bridge.setCallerMuted("A", false);
      await until("B hears the tone again", () => recent440(phoneB.sock, "pcmu").tone > 0.005, 5000);

      const sa = relayA.stats(), sb = relayB.stats();
      console.log(
        `relay A: ${sa.callerIn.packets} in (30 ms), ${sa.toJanus.frames} frames to Janus, lost ${sa.callerIn.lost}; ` +
          `relay B: Janus→caller ${sb.janusIn.packets}, lost ${sb.janusIn.lost}, jitter ${
            sb.janusIn.jitterMs.toFixed(2)
          } ms`,
      );
      assert.equal(sa.callerIn.lost, 0);
      assert.equal(sb.janusIn.lost, 0);
      assert.equal(sa.toJanus.late, 0);

      await bridge.removeCaller("A");
      assert.equal(bridge.state, "live");
      await bridge.removeCaller("B");
      assert.equal(bridge.state, "idle");
      assert.equal(janus.bridges.roomState(meetingId), null);
      // Starting again reuses the one phone feed (remove_remote_publisher leaks sockets in 1.1.2).
      const feed = bridge.phoneFeedId;
      await bridge.addCaller("A", relayA, { display: "Phone A" });
      assert.equal(bridge.phoneFeedId, feed);
      await bridge.meetingEnded();
      assert.equal(bridge.state, "idle");
    } finally {
      await Promise.all([phoneA.stop(), phoneB.stop(), mixSink.close(), feedSink.close()]);
      await Promise.all([relayA.close(), relayB.close()]);
      await janus.stop();
    }
  },
});

/** Local addresses of the UDP sockets a process holds (from /proc: socket inodes of its fds). */
function udpAddressesOf(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`));
      if (m) inodes.add(m[1]);
    } catch { /* closed meanwhile */ }
  }
  const out: string[] = [];
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    for (const line of Deno.readTextFileSync(table).split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9])) out.push(cols[1]);
    }
  }
  return out;
}

Deno.test({
  name: "Janus's plain-RTP sockets (AudioBridge participants, remote publishers) listen on loopback only",
  ignore: skipUnlessPrograms("plain-RTP binding test", "janus") !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const janus = await startTestJanus();
    const meetingId = "4000000002";
    try {
      await janus.rooms.ensureRoom(meetingId);
      const feed = await janus.rooms.addRemotePublisher(meetingId, {
        display: "camera",
        streams: [{ type: "video", mindex: 0, mid: "0", codec: "vp8" }],
      });
      await janus.bridges.ensureRoom(meetingId, { samplingRate: 48000 });
      const joined = await janus.bridges.joinPlainRtp(meetingId, {
        key: "sip:x",
        display: "x",
        group: "sip",
        codec: "pcmu",
        target: null,
        payloadType: 0,
      });
      assert.equal(joined.janus.host, "127.0.0.1");
      const pid = janus.pid;
      const addresses = udpAddressesOf(pid);
      const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, "0");
      for (const port of [feed.port, feed.rtcpPort!, joined.janus.port]) {
        const bound = addresses.filter((a) => a.endsWith(`:${hex(port)}`));
        assert.deepEqual(bound, [`0100007F:${hex(port)}`], `port ${port} bound to loopback only: ${bound}`);
      }
    } finally {
      await janus.stop();
    }
  },
});
