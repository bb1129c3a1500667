// SIP room systems with video, end to end: Janus + gateway + web app + Chromium in a network
// namespace (tests/support/baresip.ts's stack), and two "room systems" in this process — raw SIP
// phones (tests/support/raw_phone.ts) whose camera is ffmpeg encoding a test pattern to RTP, which
// the phone sends on from the port its SDP offered (so the gateway's latching sees one endpoint).
//
//   VP8 room system (offers VP8 with rtcp-fb nack pli / ccm fir): the host's browser decodes its
//   camera; the speaker's camera comes back and a real decoder (ffmpeg, fed a copy of every packet)
//   decodes it after our RTCP PLI asked for a key frame; when a second browser starts talking, the
//   forwarded camera switches to them and the stream stays one decodable stream.
//   H.264 room system (no RTCP feedback offered): the browser decodes its H.264; Janus's key frame
//   request reaches it as SIP INFO picture_fast_update; the speaker's VP8 comes back transcoded to
//   H.264 by the gateway's ffmpeg, and a real H.264 decoder decodes it.
//
// Skipped with the reason when not root or a program is missing.

import assert from "node:assert/strict";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import { isKeyframe } from "../gateway/rtp/video.ts";
import { parseRtcp, parseRtp } from "../gateway/rtp/packet.ts";
import {
  poll,
  roomState as state,
  roomStats as stats,
  waitForPreJoin,
  waitInMeeting,
} from "./support/meeting_harness.ts";
import { startSipMeetingStack, toneWav, videoStackUnavailable } from "./support/baresip.ts";
import type { SipMeetingStack } from "./support/baresip.ts";
import type { Proc } from "./support/meeting_harness.ts";
import { RawSipPhone } from "./support/raw_phone.ts";
import { testCameraArgs } from "./support/ffmpeg.ts";

const reason = await videoStackUnavailable();
if (reason) console.log(`sip_video_e2e_test: skipped: ${reason}`);

const VIDEO_PT = 96;

/** An even port and the next one, bound on `host` (RTP and RTCP of one m-line). */
function bindPair(host: string): [Deno.DatagramConn, Deno.DatagramConn] {
  for (let i = 0; i < 200; i++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 10000);
    let a: Deno.DatagramConn | null = null;
    try {
      a = Deno.listenDatagram({ transport: "udp", hostname: host, port });
      return [a, Deno.listenDatagram({ transport: "udp", hostname: host, port: port + 1 })];
    } catch {
      a?.close();
    }
  }
  throw new Error("no free even port pair");
}

const portOf = (c: Deno.DatagramConn) => (c.addr as Deno.NetAddr).port;

/** A room system: SIP + audio from RawSipPhone, plus a video m-line with its own RTP/RTCP pair. */
class RoomSystem extends RawSipPhone {
  readonly video: Deno.DatagramConn;
  readonly videoRtcp: Deno.DatagramConn;
  /** Our camera: ffmpeg writes RTP here and we send it on to the gateway. */
  readonly camera: Deno.DatagramConn;
  readonly cameraRtcpSink: Deno.DatagramConn;
  videoTarget: { host: string; port: number } | null = null;
  videoRtcpTarget: { host: string; port: number } | null = null;
  answerVideo = "";
  sentVideo = 0;
  received = { packets: 0, keyframes: 0, ssrcs: new Set<number>(), lastKeyframeAt: 0, firstPacketWasKeyframe: false };
  rtcpIn: { type: number; fmt: number; at: number }[] = [];
  /** Copies of received video go here (a decoder), when set. */
  decoderPort: number | null = null;
  #loops: Promise<void>[] = [];
  #done = false;

  constructor(sipPort: number, readonly net: { local: string; gateway: string }, readonly videoCodec: "vp8" | "h264") {
    super(sipPort, {
      localHost: net.local,
      gatewayHost: net.gateway,
      display: `Room ${videoCodec}`,
      tag: `room-${videoCodec}`,
    });
    [this.video, this.videoRtcp] = bindPair(net.local);
    [this.camera, this.cameraRtcpSink] = bindPair("127.0.0.1");
    this.#loops.push(this.#pump(this.camera, (d) => this.#fromCamera(d)));
    this.#loops.push(this.#pump(this.cameraRtcpSink, () => {}));
    this.#loops.push(this.#pump(this.video, (d) => this.#fromGatewayVideo(d)));
    this.#loops.push(this.#pump(this.videoRtcp, (d) => this.#fromGatewayRtcp(d)));
  }

  protected onRtp(_data: Uint8Array) {}

  async #pump(conn: Deno.DatagramConn, fn: (d: Uint8Array) => void) {
    while (!this.#done) {
      try {
        const [d] = await conn.receive();
        fn(d);
      } catch {
        return;
      }
    }
  }

  #fromCamera(d: Uint8Array) {
    if (!this.videoTarget || (d[1] & 0x7f) !== VIDEO_PT) return;
    this.sentVideo++;
    void this.video.send(d, { transport: "udp", hostname: this.videoTarget.host, port: this.videoTarget.port })
      .catch(() => {});
  }

  #fromGatewayVideo(d: Uint8Array) {
    const p = parseRtp(d);
    if (!p) return;
    const key = isKeyframe(this.videoCodec, p.payload);
    if (this.received.packets === 0) this.received.firstPacketWasKeyframe = key;
    this.received.packets++;
    this.received.ssrcs.add(p.ssrc);
    if (key) {
      this.received.keyframes++;
      this.received.lastKeyframeAt = performance.now();
    }
    if (this.decoderPort !== null) {
      void this.camera.send(d, { transport: "udp", hostname: "127.0.0.1", port: this.decoderPort }).catch(() => {});
    }
  }

  #fromGatewayRtcp(d: Uint8Array) {
    for (const p of parseRtcp(d) ?? []) this.rtcpIn.push({ type: p.type, fmt: p.count, at: performance.now() });
  }

  offer(): string {
    const audio = this.defaultSdp().trimEnd().split("\r\n");
    const v = portOf(this.video);
    const lines = this.videoCodec === "vp8"
      ? [
        `m=video ${v} RTP/AVP ${VIDEO_PT}`,
        `a=rtpmap:${VIDEO_PT} VP8/90000`,
        `a=rtcp-fb:${VIDEO_PT} nack pli`,
        `a=rtcp-fb:${VIDEO_PT} ccm fir`,
        "a=sendrecv",
      ]
      : [
        `m=video ${v} RTP/AVP ${VIDEO_PT}`,
        `a=rtpmap:${VIDEO_PT} H264/90000`,
        `a=fmtp:${VIDEO_PT} profile-level-id=42e01f;packetization-mode=1`,
        "a=sendrecv",
      ];
    return [...audio, ...lines, ""].join("\r\n");
  }

  protected override onAnswered() {
    const body = this.answerSdp;
    const m = /m=video (\d+) [^\r\n]*/.exec(body);
    assert.ok(m, `a video m-line in the answer:\n${body}`);
    this.answerVideo = body.slice(body.indexOf(m[0]));
    const port = Number(m[1]);
    assert.ok(port > 0, `video accepted (non-zero port):\n${body}`);
    const host = /c=IN IP4 (\S+)/.exec(body)?.[1] ?? this.gatewayHost;
    this.videoTarget = { host, port };
    const rtcp = /a=rtcp:(\d+)/.exec(this.answerVideo);
    this.videoRtcpTarget = { host, port: rtcp ? Number(rtcp[1]) : port + 1 };
  }

  /** A real decoder (ffmpeg) gets a copy of every video packet from now on; done: it decoded `frames`. */
  async attachDecoder(dir: string, frames: number) {
    // A free even port pair (closed again just before ffmpeg binds it).
    const probe = bindPair("127.0.0.1");
    const port = portOf(probe[0]);
    for (const c of probe) c.close();
    const decoder = await startDecoder(dir, port, frames, this.videoCodec);
    this.decoderPort = port;
    return decoder;
  }

  /** RTCP PLI (+ FIR) for the video we receive (the relay's SSRC as media SSRC). */
  async askKeyframe() {
    const media = [...this.received.ssrcs].at(-1) ?? 0;
    const pli = new Uint8Array(12);
    const view = new DataView(pli.buffer);
    pli[0] = 0x81;
    pli[1] = 206;
    view.setUint16(2, 2);
    view.setUint32(4, 0x1234);
    view.setUint32(8, media);
    await this.videoRtcp.send(pli, {
      transport: "udp",
      hostname: this.videoRtcpTarget!.host,
      port: this.videoRtcpTarget!.port,
    });
  }

  override async close() {
    this.#done = true;
    for (const c of [this.video, this.videoRtcp, this.camera, this.cameraRtcpSink]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await Promise.all(this.#loops);
    await super.close();
  }
}

/** ffmpeg as a camera: a test pattern encoded to RTP at 127.0.0.1:port. */
function startCamera(codec: "vp8" | "h264", port: number): Proc {
  return spawn([
    "ffmpeg",
    ...testCameraArgs({ codec, port, payloadType: VIDEO_PT, ssrc: codec === "h264" ? 4242 : 5353 }),
  ]);
}

/** ffmpeg as a decoder of RTP arriving at 127.0.0.1:port: exits 0 after `frames` decoded frames. */
async function startDecoder(
  dir: string,
  port: number,
  frames: number,
  codec: "vp8" | "h264",
): Promise<Proc & { done: Promise<boolean> }> {
  const sdp = `${dir}/rx-${port}.sdp`;
  await Deno.writeTextFile(
    sdp,
    [
      "v=0",
      "o=- 0 0 IN IP4 127.0.0.1",
      "s=rx",
      "c=IN IP4 127.0.0.1",
      "t=0 0",
      `m=video ${port} RTP/AVP ${VIDEO_PT}`,
      ...(codec === "vp8"
        ? [`a=rtpmap:${VIDEO_PT} VP8/90000`]
        : [`a=rtpmap:${VIDEO_PT} H264/90000`, `a=fmtp:${VIDEO_PT} packetization-mode=1`]),
      "",
    ].join("\r\n"),
  );
  const p = spawn([
    "ffmpeg",
    "-hide_banner",
    "-loglevel",
    "info",
    "-protocol_whitelist",
    "file,udp,rtp",
    "-i",
    sdp,
    "-frames:v",
    String(frames),
    "-f",
    "null",
    "-",
  ]);
  return { ...p, done: p.child.status.then((s) => s.success) };
}

/** `p`'s value, or false when it takes longer than `ms`. */
function within(p: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms))]).finally(() =>
    clearTimeout(timer)
  );
}

function spawn(args: string[]): Proc {
  const child = new Deno.Command(args[0], { args: args.slice(1), stdout: "piped", stderr: "piped", stdin: "null" })
    .spawn();
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) out += chunk;
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then(() => (exited = true));
  return {
    child,
    output: () => out,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      await status;
      await pumps;
    },
  };
}

type CallInfo = {
  callId: string;
  participantId: string | null;
  video: {
    codec: string;
    sendsToCaller: boolean;
    feedId: number | null;
    speakerFeedId: number | null;
    relay: {
      fromCaller: { packets: number; keyframes: number };
      toJanus: { packets: number };
      fromJanus: { packets: number; keyframes: number; sources: number };
      toCaller: { packets: number };
      transcoder: { pid: number; packetsIn: number; packetsOut: number; cpuPercent: number | null } | null;
      keyframeRequests: { fromJanus: number; toCaller: number; fromCaller: number; toJanus: number };
    };
  } | null;
};

async function gatewayCalls(stack: SipMeetingStack, meetingId: string): Promise<CallInfo[]> {
  const res = await stack.gatewayRequest("GET", `/internal/calls?meetingId=${meetingId}`);
  const body = await res.json();
  return (Array.isArray(body) ? body : body.calls) as CallInfo[];
}

Deno.test({
  name:
    "SIP room systems with video: H.264 and VP8 cameras decoded by a browser, the speaker back (VP8; H.264 transcoded), key frames both ways",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    const dir = await Deno.makeTempDir({ prefix: "talkspace-sip-video-" });
    const wav = `${dir}/tone.wav`;
    await Deno.writeFile(wav, toneWav(440, 48000, 10, 0.5));
    const { stack, seeded } = await startSipMeetingStack(async (kv) => {
      const host = await createUser(kv, { name: "Hana Host", email: "host@example.test", passwordHash: "x" });
      const other = await createUser(kv, { name: "Otto Other", email: "other@example.test", passwordHash: "x" });
      return {
        hostSession: await createSession(kv, host.id, "full", "e2e"),
        otherSession: await createSession(kv, other.id, "full", "e2e"),
        meeting: await createMeeting(kv, { hostId: host.id, settings: { lobby: false } }),
      };
    }, { fakeAudioWav: wav }).catch(async (err) => {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw err;
    });
    const { hostSession, otherSession, meeting } = seeded;
    const net = { local: stack.ns.hostAddress, gateway: stack.ip };
    const phones: RoomSystem[] = [];
    const procs: Proc[] = [];
    const dial = `${meeting.meetingId}*${meeting.passcode}`;
    try {
      const hostPage = await stack.newPage(hostSession.token);
      await hostPage.goto(`${stack.base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`);
      await waitForPreJoin(hostPage, "host");
      await hostPage.click("button.room-join");
      await waitInMeeting(hostPage, "host");
      timings.hostInMeetingMs = performance.now() - t0;

      // --- the H.264 room system: its camera reaches the browser; Janus's PLI arrives as SIP INFO.
      const h264 = new RoomSystem(stack.sipPort, net, "h264");
      phones.push(h264);
      const h264Invite = await h264.invite(dial, h264.offer());
      assert.equal(h264Invite.status, 200);
      assert.match(h264.answerVideo, /a=rtpmap:96 H264\/90000/);
      assert.match(h264.answerVideo, /packetization-mode=1/);
      assert.match(h264.answerVideo, /a=sendrecv/, "the speaker goes back transcoded (ffmpeg is installed)");
      procs.push(startCamera("h264", portOf(h264.camera)));
      const h264Infos = () =>
        h264.messages.filter((m) =>
          "method" in m && m.method === "INFO" && !("statusCode" in m && m.statusCode) &&
          /picture_fast_update/.test(m.body)
        );
      const h264Participant = await poll("the H.264 room system in the host's roster with video on", async () => {
        const s = await state(hostPage);
        return s.participants.find((p) => p.name === "Room h264" && p.state.video) ?? null;
      }, 20_000);
      const h264Frames = await poll("the host's browser to decode the H.264 camera", async () => {
        const s = (await stats(hostPage)).inbound[h264Participant.participantId];
        return s && s.framesDecoded > 10 ? s : null;
      }, 30_000);
      timings.h264DecodedMs = performance.now() - t0;
      console.log(`H.264 camera at the browser: ${JSON.stringify(h264Frames)}`);
      // The relay asks as soon as the camera is connected (browsers that subscribe need a key frame).
      const info = await h264.next("SIP INFO picture_fast_update from the gateway", () => h264Infos()[0], 15_000);
      assert.match(String(info.getHeader("content-type")), /application\/media_control\+xml/);
      let calls = await gatewayCalls(stack, meeting.meetingId);
      const h264Call = calls.find((c) => c.participantId === h264Participant.participantId)!;
      assert.equal(h264Call.video?.codec, "h264");
      assert.equal(h264Call.video?.sendsToCaller, true);

      // --- the VP8 room system: camera in, the speaker's camera back, key frames on request.
      const vp8 = new RoomSystem(stack.sipPort, net, "vp8");
      phones.push(vp8);
      assert.equal((await vp8.invite(dial, vp8.offer())).status, 200);
      assert.match(vp8.answerVideo, /a=rtpmap:96 VP8\/90000/);
      assert.match(vp8.answerVideo, /a=sendrecv/);
      assert.match(vp8.answerVideo, /a=rtcp-fb:96 nack pli/);
      procs.push(startCamera("vp8", portOf(vp8.camera)));
      const vp8Participant = await poll("the VP8 room system in the roster with video on", async () => {
        const s = await state(hostPage);
        return s.participants.find((p) => p.name === "Room vp8" && p.state.video) ?? null;
      }, 20_000);
      await poll("the host's browser to decode the VP8 camera", async () => {
        const s = (await stats(hostPage)).inbound[vp8Participant.participantId];
        return s && s.framesDecoded > 10 ? s : null;
      }, 30_000);
      timings.vp8DecodedMs = performance.now() - t0;
      // The relay asked the VP8 system for a key frame over RTCP (it offered nack pli / ccm fir).
      await poll("an RTCP PLI/FIR from the gateway", () => vp8.rtcpIn.some((r) => r.type === 206), 15_000);

      // The host speaks: their camera comes back to the VP8 room system.
      const hostFeed = (await state(hostPage)).feedId ?? -1;
      await poll("the host's camera forwarded to the VP8 room system", async () => {
        calls = await gatewayCalls(stack, meeting.meetingId);
        const v = calls.find((c) => c.participantId === vp8Participant.participantId)?.video;
        return v && v.speakerFeedId !== null && v.relay.toCaller.packets > 0 ? v : null;
      }, 20_000);
      assert.ok(hostFeed > 0, `the host's feed id: ${hostFeed}`);
      assert.equal(
        calls.find((c) => c.participantId === vp8Participant.participantId)!.video!.speakerFeedId,
        hostFeed,
        "the speaker forwarded is the host",
      );
      assert.ok(vp8.received.firstPacketWasKeyframe, "the first packet the room system got starts a key frame");

      // A real decoder takes a copy of everything from now on; it needs a key frame to start, which
      // our RTCP PLI asks the host's browser for (through the relay and Janus's forwarder).
      const decoder = await vp8.attachDecoder(dir, 20);
      procs.push(decoder);
      const keyframesBefore = vp8.received.keyframes;
      const pliAt = performance.now();
      // Within 3 s (Janus's own periodic PLIs come every 10 s: fir_freq).
      await vp8.askKeyframe();
      await poll("a key frame after our PLI", () => vp8.received.keyframes > keyframesBefore, 3000, 50);
      timings.pliToKeyframeMs = performance.now() - pliAt;
      const decoded = await within(decoder.done, 20_000);
      assert.ok(decoded, `ffmpeg decoded 20 frames of the speaker's VP8:\n${decoder.output().slice(-2000)}`);
      calls = await gatewayCalls(stack, meeting.meetingId);
      const before = calls.find((c) => c.participantId === vp8Participant.participantId)!.video!;
      assert.ok(before.relay.keyframeRequests.fromCaller >= 1 && before.relay.keyframeRequests.toJanus >= 1);

      // A second browser joins and starts talking: the VP8 room system now sees them.
      const h264Before = (await gatewayCalls(stack, meeting.meetingId))
        .find((c) => c.participantId === h264Participant.participantId)!.video!.relay;
      const infosBefore = h264Infos().length;
      const otherPage = await stack.newPage(otherSession.token);
      await otherPage.goto(`${stack.base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`);
      await waitForPreJoin(otherPage, "other");
      await otherPage.click("button.room-join");
      await waitInMeeting(otherPage, "other");
      // Its new subscription asks Janus for a key frame of every camera (Janus 1.1 does so when a
      // subscriber's PeerConnection comes up, not when a stream is added to an existing one, and
      // a camera sending key frames regularly gets no periodic request): Janus's PLI reaches the
      // relay on the remote publisher's RTCP and goes on to the H.264 system as SIP INFO.
      await poll("Janus's PLI for the H.264 camera at the relay", async () => {
        calls = await gatewayCalls(stack, meeting.meetingId);
        const r = calls.find((c) => c.participantId === h264Participant.participantId)!.video!.relay;
        return r.keyframeRequests.fromJanus > h264Before.keyframeRequests.fromJanus;
      }, 15_000);
      await poll("that PLI as SIP INFO picture_fast_update", () => h264Infos().length > infosBefore, 5000);
      const otherFeed = (await state(otherPage)).feedId ?? -1;
      const switchStarted = performance.now();
      const switched = await poll("the forwarded camera to switch to the new speaker", async () => {
        calls = await gatewayCalls(stack, meeting.meetingId);
        const v = calls.find((c) => c.participantId === vp8Participant.participantId)?.video;
        return v && v.speakerFeedId !== null && v.speakerFeedId !== before.speakerFeedId &&
            v.relay.fromJanus.sources >= 2
          ? v
          : null;
      }, 30_000);
      assert.ok(otherFeed > 0, `the second browser's feed id: ${otherFeed}`);
      assert.equal(switched.speakerFeedId, otherFeed);
      const keyframesAtSwitch = vp8.received.keyframes;
      const packetsAtSwitch = vp8.received.packets;
      await poll(
        "video from the new speaker, starting with a key frame",
        () => vp8.received.keyframes > keyframesAtSwitch && vp8.received.packets > packetsAtSwitch + 50,
        15_000,
      );
      timings.switchToNewVideoMs = performance.now() - switchStarted;
      assert.equal(vp8.received.ssrcs.size, 1, "one stream for the room system across the switch");

      // The VP8 room system never gets its own camera back.
      assert.notEqual(switched.speakerFeedId, switched.feedId);

      // The H.264-only room system gets the speaker transcoded (VP8 → H.264 by the gateway's ffmpeg),
      // which a real H.264 decoder decodes (ffmpeg makes an IDR frame every 2 s).
      const decoder264 = await h264.attachDecoder(dir, 20);
      procs.push(decoder264);
      const decoded264 = await within(decoder264.done, 20_000);
      assert.ok(decoded264, `ffmpeg decoded 20 H.264 frames of the speaker:\n${decoder264.output().slice(-2000)}`);
      calls = await gatewayCalls(stack, meeting.meetingId);
      const t264 = calls.find((c) => c.participantId === h264Participant.participantId)!.video!;
      assert.ok(t264.speakerFeedId !== null && t264.speakerFeedId !== t264.feedId, JSON.stringify(t264));
      assert.ok(t264.relay.transcoder && t264.relay.transcoder.packetsOut > 0, JSON.stringify(t264.relay));
      assert.ok(h264.received.keyframes >= 1, "IDR frames (with SPS) from the transcoder");
      assert.equal(h264.received.ssrcs.size, 1);
      console.log(
        `H.264 room system received ${h264.received.packets} packets, ${h264.received.keyframes} IDR; ` +
          `transcoder ${JSON.stringify(t264.relay.transcoder)}`,
      );

      // Hang-ups take the cameras out of the meeting.
      await vp8.bye();
      await h264.bye();
      await poll("both room systems gone from the roster", async () => {
        const s = await state(hostPage);
        return !s.participants.some((p) => p.name.startsWith("Room "));
      }, 15_000);
      await poll(
        "no calls left at the gateway",
        async () => (await gatewayCalls(stack, meeting.meetingId)).length === 0,
      );
      timings.totalMs = performance.now() - t0;
      console.log(
        `timings: ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`,
      );
      console.log(`VP8 room system received ${vp8.received.packets} packets, ${vp8.received.keyframes} key frames`);
    } catch (err) {
      console.log(stack.dump());
      for (const p of procs) console.log(`--- ${p.child.pid} ---\n${p.output().slice(-3000)}`);
      throw err;
    } finally {
      for (const p of procs) await p.stop().catch(() => {});
      for (const p of phones) await p.close().catch(() => {});
      await stack.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
