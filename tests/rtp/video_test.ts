// Room systems' video, the parts that need no Janus: SDP negotiation and answer, key frame
// detection, and the video relay over real loopback sockets with this test playing the room system,
// Janus's remote publisher and Janus's forwarder.

import assert from "node:assert/strict";
import { answerSdp, negotiate, negotiateVideo, offerSdp } from "../../gateway/calls/sdp.ts";
import { parseSdp } from "../../gateway/sip/message.ts";
import { parseRtcp, parseRtp, serializeRtp } from "../../gateway/rtp/packet.ts";
import { isKeyframe, VideoRelay } from "../../gateway/rtp/video.ts";
import { poll } from "../support/wait.ts";

const sdp = (video: string[], session: string[] = []) =>
  parseSdp(
    [
      "v=0",
      "o=rs 1 1 IN IP4 192.0.2.10",
      "s=-",
      "c=IN IP4 192.0.2.10",
      "t=0 0",
      ...session,
      "m=audio 5004 RTP/AVP 0",
      "a=rtpmap:0 PCMU/8000",
      ...video,
      "",
    ].join("\r\n"),
  )!;

Deno.test("negotiateVideo: VP8 first (video can go back), else H.264 mode 1, else mode 0; directions; RTCP address", () => {
  const both = negotiateVideo(sdp([
    "m=video 5006 RTP/AVP 97 96",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 nack pli",
    "a=rtcp-fb:* ccm fir",
  ]))!;
  assert.equal(both.codec, "vp8");
  assert.equal(both.payloadType, 96);
  assert.deepEqual(both.remote, { host: "192.0.2.10", port: 5006 });
  assert.deepEqual(both.rtcp, { host: "192.0.2.10", port: 5007 });
  assert.deepEqual([both.feedback.pli, both.feedback.fir], [true, true]);
  assert.deepEqual([both.send, both.receive], [true, true]);
  assert.equal(both.mediaIndex, 1);

  const h264 = negotiateVideo(sdp([
    "m=video 5006 RTP/AVP 98 97",
    "a=rtpmap:98 H264/90000",
    "a=fmtp:98 profile-level-id=42e01f",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
    "a=rtcp:6000 IN IP4 192.0.2.11",
    "a=sendonly",
  ]))!;
  assert.equal(h264.codec, "h264");
  assert.equal(h264.payloadType, 97, "packetization mode 1 preferred");
  assert.equal(h264.fmtp, "profile-level-id=42e01f;packetization-mode=1");
  assert.deepEqual(h264.rtcp, { host: "192.0.2.11", port: 6000 });
  assert.deepEqual([h264.send, h264.receive], [false, true]);
  assert.deepEqual([h264.feedback.pli, h264.feedback.fir], [false, false]);

  const h264Both = sdp([
    "m=video 5006 RTP/AVP 97",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
  ]);
  assert.equal(negotiateVideo(h264Both)!.send, false, "H.264 only: nothing to send without a transcoder");
  assert.equal(negotiateVideo(h264Both, { transcodeH264: true })!.send, true, "…and the speaker with one");

  const mux = negotiateVideo(sdp(["m=video 5006 RTP/AVPF 96", "a=rtpmap:96 VP8/90000", "a=rtcp-mux", "a=recvonly"]))!;
  assert.equal(mux.rtcpMux, true);
  assert.deepEqual(mux.rtcp, mux.remote);
  assert.deepEqual([mux.send, mux.receive], [true, false]);

  assert.equal(negotiateVideo(sdp(["m=video 5006 RTP/AVP 34", "a=rtpmap:34 H263/90000"])), null, "H.263 only");
  assert.equal(negotiateVideo(sdp(["m=video 0 RTP/AVP 96", "a=rtpmap:96 VP8/90000"])), null, "refused stream");
  assert.equal(negotiateVideo(sdp([])), null, "audio only");
});

Deno.test("answerSdp: the video m-line on the relay's ports, fmtp and feedback echoed, RTCP port, direction", () => {
  const offer = sdp([
    "m=video 5006 RTP/AVP 97",
    "a=rtpmap:97 H264/90000",
    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1",
    "a=rtcp-fb:97 nack pli",
  ]);
  const audio = negotiate(offer, { allowOpus: false })!;
  const video = negotiateVideo(offer)!;
  const text = answerSdp(offer, audio, { host: "198.51.100.1", port: 40000 }, {
    chosen: video,
    local: { host: "198.51.100.1", port: 40010 },
  });
  const parsed = parseSdp(text)!;
  assert.equal(parsed.media.length, 2);
  assert.equal(parsed.media[1].type, "video");
  assert.equal(parsed.media[1].port, 40010);
  assert.match(text, /a=rtpmap:97 H264\/90000/);
  assert.match(text, /a=fmtp:97 profile-level-id=42e01f;packetization-mode=1/);
  assert.match(text, /a=rtcp-fb:97 nack pli/);
  assert.match(text, /a=rtcp:40011/);
  assert.match(text, /a=recvonly/, "H.264: we only receive (browsers publish VP8)");
  // Without a video relay the stream is refused with port 0 (RFC 3264 §6).
  assert.match(answerSdp(offer, audio, { host: "198.51.100.1", port: 40000 }), /m=video 0 RTP\/AVP 97/);
});

Deno.test("offerSdp with video (dial-out to a SIP address): VP8 and H.264 with feedback, RTCP on the next port", () => {
  const text = offerSdp({ host: "198.51.100.1", port: 40000 }, ["pcmu", "pcma"], { port: 40010 });
  const offer = parseSdp(text)!;
  assert.deepEqual(offer.media.map((m) => [m.type, m.port]), [["audio", 40000], ["video", 40010]]);
  assert.match(text, /m=video 40010 RTP\/AVP 96 97\r\n/);
  assert.match(text, /a=fmtp:97 profile-level-id=42e01f;packetization-mode=1/);
  assert.match(text, /a=rtcp:40011/);
  // A room system answering our offer is negotiated like an offer of its own.
  const answer = sdp(["m=video 5006 RTP/AVP 97", "a=rtpmap:97 H264/90000", "a=rtcp-fb:97 ccm fir"]);
  const v = negotiateVideo(answer, { transcodeH264: true })!;
  assert.deepEqual([v.codec, v.payloadType, v.send, v.feedback.fir], ["h264", 97, true, true]);
  assert.equal(offerSdp({ host: "198.51.100.1", port: 40000 }).includes("m=video"), false, "numbers: audio only");
});

Deno.test("isKeyframe: VP8 key and delta frames (with extended descriptors), H.264 IDR/SPS, STAP-A, FU-A", () => {
  // VP8: descriptor S=1 PID=0, then the payload header's P bit (0 = key frame).
  assert.equal(isKeyframe("vp8", new Uint8Array([0x10, 0x00, 0, 0])), true);
  assert.equal(isKeyframe("vp8", new Uint8Array([0x10, 0x01, 0, 0])), false);
  assert.equal(isKeyframe("vp8", new Uint8Array([0x00, 0x00, 0, 0])), false, "not the start of a partition");
  // X=1 with I (15-bit picture id), L and T/K bytes.
  assert.equal(isKeyframe("vp8", new Uint8Array([0x90, 0xe0, 0x80, 0x01, 0x05, 0x20, 0x00, 0, 0])), true);
  assert.equal(isKeyframe("vp8", new Uint8Array([0x90, 0xe0, 0x80, 0x01, 0x05, 0x20, 0x01, 0, 0])), false);
  // H.264
  assert.equal(isKeyframe("h264", new Uint8Array([0x65, 0x88])), true, "IDR");
  assert.equal(isKeyframe("h264", new Uint8Array([0x67, 0x42])), true, "SPS");
  assert.equal(isKeyframe("h264", new Uint8Array([0x41, 0x9a])), false, "non-IDR slice");
  assert.equal(isKeyframe("h264", new Uint8Array([0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce])), true);
  assert.equal(isKeyframe("h264", new Uint8Array([0x18, 0x00, 0x02, 0x41, 0x9a])), false);
  assert.equal(isKeyframe("h264", new Uint8Array([0x7c, 0x85, 0x88])), true, "FU-A start of an IDR");
  assert.equal(isKeyframe("h264", new Uint8Array([0x7c, 0x05, 0x88])), false, "FU-A middle");
});

const udp = () => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const port = (c: Deno.DatagramConn) => (c.addr as Deno.NetAddr).port;
const to = (c: Deno.DatagramConn) => ({ transport: "udp" as const, hostname: "127.0.0.1", port: port(c) });

function collect(conn: Deno.DatagramConn) {
  const got: { data: Uint8Array; from: number; at: number }[] = [];
  const loop = (async () => {
    while (true) {
      try {
        const [data, from] = await conn.receive();
        got.push({ data, from: (from as Deno.NetAddr).port, at: performance.now() });
      } catch {
        return;
      }
    }
  })();
  return { got, loop };
}

const vp8 = (key: boolean) => new Uint8Array([0x10, key ? 0x00 : 0x01, 0xaa, 0xbb]);
const rtp = (ssrc: number, seq: number, ts: number, payload: Uint8Array, pt = 100) =>
  serializeRtp({
    marker: true,
    payloadType: pt,
    sequence: seq,
    timestamp: ts,
    ssrc,
    csrcs: [],
    extension: null,
    payload,
    padding: 0,
  });
const pli = (media: number) =>
  new Uint8Array([0x81, 206, 0, 2, 0, 0, 0, 9, ...new Uint8Array(new Uint32Array([media]).buffer).reverse()]);

Deno.test("VideoRelay: camera to the remote publisher as SSRC 1000, key frame requests both ways, one stream across speaker switches", async () => {
  const callerRtp = udp();
  const callerRtcp = udp();
  const room = udp(); // the room system's RTP
  const roomRtcp = udp();
  const publisher = udp(); // Janus's remote publisher RTP port
  const publisherRtcp = udp();
  const forwarderRtcp = udp(); // Janus's forwarders' RTCP sockets (one per forwarder)
  const forwarderRtcpB = udp();
  const forwarderA = udp(); // two forwarders (speaker switch)
  const forwarderB = udp();
  const relay = new VideoRelay(
    {
      callId: "t",
      codec: "vp8",
      payloadType: 100,
      callerSdpAddress: { host: "127.0.0.1", port: port(room) },
      callerRtcpAddress: { host: "127.0.0.1", port: port(roomRtcp) },
      rtcpMux: false,
      sendToCaller: true,
      feedback: { pli: true, fir: true },
      keyframeIntervalMs: 0,
    },
    callerRtp,
    callerRtcp,
  );
  let infoRequests = 0;
  relay.onKeyframeRequest(() => infoRequests++);
  const atRoom = collect(room);
  const atRoomRtcp = collect(roomRtcp);
  const atPublisher = collect(publisher);
  const atPublisherRtcp = collect(publisherRtcp);
  const atForwarderRtcp = collect(forwarderRtcp);
  const atForwarderRtcpB = collect(forwarderRtcpB);
  try {
    // Camera → remote publisher, SSRC rewritten to 1000; an RR latches Janus's RTCP to our socket.
    relay.connectPublisher({ host: "127.0.0.1", port: port(publisher) }, {
      host: "127.0.0.1",
      port: port(publisherRtcp),
    });
    await room.send(rtp(0xabc, 1, 1000, vp8(true)), to(callerRtp));
    const first = await poll("the camera at the remote publisher", () => atPublisher.got[0]);
    const p = parseRtp(first.data)!;
    assert.equal(p.ssrc, 1000);
    assert.deepEqual(Array.from(p.payload), Array.from(vp8(true)));
    const rr = await poll("an RTCP report to the publisher's RTCP port", () => atPublisherRtcp.got[0]);
    assert.equal(parseRtcp(rr.data)![0].type, 201);

    // Janus's PLI for the camera → RTCP PLI and FIR to the room system (+ the INFO hook).
    const rtcpBefore = atRoomRtcp.got.length;
    const kfBefore = infoRequests;
    await publisherRtcp.send(pli(1000), { transport: "udp", hostname: "127.0.0.1", port: rr.from });
    const ask = await poll("a key frame request at the room system", () => atRoomRtcp.got[rtcpBefore]);
    const kinds = parseRtcp(ask.data)!.filter((r) => r.type === 206).map((r) => r.count).sort();
    assert.deepEqual(kinds, [1, 4], "PLI and FIR");
    assert.equal(infoRequests, kfBefore + 1);

    // Speaker A: its hole-punch latches the forwarder's RTCP; a delta frame first is held back.
    const target = relay.forwardTarget;
    relay.expectNewSource();
    // Janus's forwarder sends a bare 12-byte RTP header from its RTCP socket to open the path.
    const punch = new Uint8Array(12);
    punch[0] = 0x80;
    await forwarderRtcp.send(punch, { transport: "udp", hostname: "127.0.0.1", port: target.rtcpPort });
    const askedA = await poll("a PLI toward the forwarder", () => atForwarderRtcp.got[0]);
    assert.equal(parseRtcp(askedA.data)![0].count, 1);
    const fwd = { transport: "udp" as const, hostname: "127.0.0.1", port: target.port };
    await forwarderA.send(rtp(0xa, 500, 9000, vp8(false)), fwd);
    await forwarderA.send(rtp(0xa, 501, 12000, vp8(true)), fwd);
    await forwarderA.send(rtp(0xa, 502, 15000, vp8(false)), fwd);
    await poll("speaker A's key frame and next frame at the room system", () => atRoom.got.length >= 2);
    // Speaker B takes over: one SSRC, consecutive sequence numbers, timestamps moving forward.
    relay.expectNewSource();
    await forwarderRtcpB.send(punch, { transport: "udp", hostname: "127.0.0.1", port: target.rtcpPort });
    await poll("a PLI toward the new forwarder", () => atForwarderRtcpB.got[0]);
    await forwarderB.send(rtp(0xb, 7000, 500, vp8(false)), fwd);
    await forwarderB.send(rtp(0xb, 7001, 3500, vp8(true)), fwd);
    await forwarderB.send(rtp(0xb, 7002, 6500, vp8(false)), fwd);
    await poll("speaker B's frames at the room system", () => atRoom.got.length >= 4);
    const out = atRoom.got.map((g) => parseRtp(g.data)!);
    assert.equal(new Set(out.map((o) => o.ssrc)).size, 1);
    assert.deepEqual(out.map((o) => (o.sequence - out[0].sequence) & 0xffff), [0, 1, 2, 3]);
    assert.equal(out[1].timestamp - out[0].timestamp, 3000);
    assert.ok(((out[2].timestamp - out[1].timestamp) >>> 0) > 0, "timestamp advances across the switch");
    assert.equal(out[3].timestamp - out[2].timestamp, 3000);
    assert.ok(
      isKeyframe("vp8", out[0].payload) && isKeyframe("vp8", out[2].payload),
      "each source starts on a key frame",
    );
    assert.ok(out.every((o) => o.payloadType === 100));

    // The room system's PLI → a PLI on the forwarder's RTCP port.
    const fBefore = atForwarderRtcpB.got.length;
    await roomRtcp.send(pli(out[0].ssrc), to(callerRtcp));
    await poll("the room system's PLI passed to the forwarder", () => atForwarderRtcpB.got.length > fBefore);
    const s = relay.stats();
    assert.equal(s.fromCaller.packets, 1);
    assert.equal(s.toJanus.packets, 1);
    assert.equal(s.toCaller.packets, 4);
    assert.equal(s.fromJanus.sources, 2);
    assert.ok(s.fromJanus.dropped >= 2, JSON.stringify(s.fromJanus));
    assert.ok(s.keyframeRequests.fromCaller >= 1 && s.keyframeRequests.fromJanus >= 1);
  } finally {
    await relay.close();
    for (const c of [room, roomRtcp, publisher, publisherRtcp, forwarderRtcp, forwarderRtcpB, forwarderA, forwarderB]) {
      c.close();
    }
    await Promise.all(
      [atRoom, atRoomRtcp, atPublisher, atPublisherRtcp, atForwarderRtcp, atForwarderRtcpB].map((x) => x.loop),
    );
  }
});

Deno.test("VideoRelay: a key frame request that comes within the interval is sent when it has passed, and repeated until a key frame comes", async () => {
  const callerRtp = udp();
  const callerRtcp = udp();
  const room = udp();
  const roomRtcp = udp();
  const publisher = udp();
  const publisherRtcp = udp();
  const forwarder = udp();
  const forwarderRtcp = udp();
  const intervalMs = 500; // the default
  const relay = new VideoRelay(
    {
      callId: "t-rate",
      codec: "vp8",
      payloadType: 100,
      callerSdpAddress: { host: "127.0.0.1", port: port(room) },
      callerRtcpAddress: { host: "127.0.0.1", port: port(roomRtcp) },
      rtcpMux: false,
      sendToCaller: true,
      feedback: { pli: true, fir: false },
      keyframeIntervalMs: intervalMs,
    },
    callerRtp,
    callerRtcp,
  );
  let infoRequests = 0;
  relay.onKeyframeRequest(() => infoRequests++);
  const atRoom = collect(room);
  const atRoomRtcp = collect(roomRtcp);
  const atPublisherRtcp = collect(publisherRtcp);
  const atForwarderRtcp = collect(forwarderRtcp);
  try {
    // Janus → room system: the relay asks when the camera connects; Janus's PLI right after (a
    // browser subscribed) is not lost but sent once the interval has passed.
    relay.connectPublisher({ host: "127.0.0.1", port: port(publisher) }, {
      host: "127.0.0.1",
      port: port(publisherRtcp),
    });
    const connectAsk = await poll("the connect-time request at the room system", () => atRoomRtcp.got[0]);
    const rr = await poll("the RR to the publisher's RTCP port", () => atPublisherRtcp.got[0]);
    await publisherRtcp.send(pli(1000), { transport: "udp", hostname: "127.0.0.1", port: rr.from });
    const janusAsk = await poll("Janus's PLI at the room system", () => atRoomRtcp.got[1], 3000);
    const gap = janusAsk.at - connectAsk.at;
    assert.ok(gap >= intervalMs - 20, `sent after the interval: ${gap} ms`);
    assert.equal(infoRequests, 2, "the INFO hook for both");

    // Room system → speaker: the relay's own request (new forwarder), its key frame, then the room
    // system's PLI at once (a decoder starting): it goes out when the interval has passed.
    const target = relay.forwardTarget;
    relay.expectNewSource();
    const punch = new Uint8Array(12);
    punch[0] = 0x80;
    await forwarderRtcp.send(punch, { transport: "udp", hostname: "127.0.0.1", port: target.rtcpPort });
    const first = await poll("the PLI toward the new forwarder", () => atForwarderRtcp.got[0], 3000);
    const fwd = { transport: "udp" as const, hostname: "127.0.0.1", port: target.port };
    await forwarder.send(rtp(0xa, 1, 3000, vp8(true)), fwd);
    await poll("the key frame at the room system", () => atRoom.got[0]);
    await roomRtcp.send(pli(parseRtp(atRoom.got[0].data)!.ssrc), to(callerRtcp));
    const passed = await poll("the room system's PLI at the forwarder", () => atForwarderRtcp.got[1], 3000);
    assert.ok(passed.at - first.at >= intervalMs - 20, `sent after the interval: ${passed.at - first.at} ms`);
    // No key frame comes (the browser ignored it): asked again.
    const again = await poll("the request repeated", () => atForwarderRtcp.got[2], 3000);
    assert.ok(again.at - passed.at >= intervalMs - 20, `repeated after the interval: ${again.at - passed.at} ms`);
    await forwarder.send(rtp(0xa, 2, 6000, vp8(true)), fwd);
    await poll("the answering key frame at the room system", () => atRoom.got[1]);
    const s = relay.stats().keyframeRequests;
    assert.equal(s.fromJanus, 1);
    assert.equal(s.toCaller, 2);
    assert.equal(s.fromCaller, 1);
    assert.ok(s.toJanus >= 3, JSON.stringify(s));
  } finally {
    await relay.close();
    for (const c of [room, roomRtcp, publisher, publisherRtcp, forwarder, forwarderRtcp]) c.close();
    await Promise.all([atRoom, atRoomRtcp, atPublisherRtcp, atForwarderRtcp].map((x) => x.loop));
  }
});
