// The VP8 → H.264 transcoder behind the video relay, with real ffmpeg on both sides: an ffmpeg VP8
// encoder plays Janus's forwarder (the speaker's camera), this test plays the H.264-only room system.
// Proves H.264 comes out, and that when the speaker's video stops long enough for ffmpeg to give up
// (its input times out after ~10 s) a new transcoder starts when video comes again.

import assert from "node:assert/strict";
import { parseRtp } from "../../gateway/rtp/packet.ts";
import { findTranscoder } from "../../gateway/rtp/transcoder.ts";
import { isKeyframe, VideoRelay } from "../../gateway/rtp/video.ts";
import { poll } from "../support/wait.ts";
import { testCameraArgs } from "../support/ffmpeg.ts";

const ffmpeg = await findTranscoder();
const encoders = ffmpeg
  ? new TextDecoder().decode(
    (await new Deno.Command(ffmpeg, { args: ["-hide_banner", "-encoders"], stdout: "piped", stderr: "null" })
      .output()).stdout,
  )
  : "";
const reason = !ffmpeg
  ? "ffmpeg with libx264 not installed (apt-get install ffmpeg)"
  : !/\blibvpx\b/.test(encoders)
  ? "ffmpeg without libvpx"
  : null;
if (reason) console.log(`transcoder_test: skipped: ${reason}`);

/** ffmpeg encoding a test pattern as VP8 RTP to 127.0.0.1:port (the speaker's camera). */
function speaker(port: number, ssrc: number) {
  const child = new Deno.Command(ffmpeg!, {
    // The forwarder's side: port+1 gets ffmpeg's RTCP, which the relay's RTCP socket ignores.
    args: testCameraArgs({ codec: "vp8", port, payloadType: 100, ssrc, gop: 15, seconds: 60 }),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
    },
  };
}

Deno.test({
  name: "transcoder: the speaker's VP8 comes out as H.264, and a new ffmpeg starts after the old one gave up",
  ignore: reason !== null,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const room = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const callerRtp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const relay = new VideoRelay(
      {
        callId: "transcode",
        codec: "h264",
        payloadType: 97,
        callerSdpAddress: { host: "127.0.0.1", port: (room.addr as Deno.NetAddr).port },
        callerRtcpAddress: null,
        rtcpMux: true,
        sendToCaller: true,
        feedback: { pli: false, fir: false },
        transcodeWith: ffmpeg,
      },
      callerRtp,
      null,
    );
    const got = { packets: 0, idr: 0, ssrcs: new Set<number>() };
    const loop = (async () => {
      while (true) {
        try {
          const [d] = await room.receive();
          const p = parseRtp(d);
          if (!p || p.payloadType !== 97) continue;
          got.packets++;
          got.ssrcs.add(p.ssrc);
          if (isKeyframe("h264", p.payload)) got.idr++;
        } catch {
          return;
        }
      }
    })();
    let source = speaker(relay.forwardTarget.port, 1111);
    try {
      relay.expectNewSource(); // a forwarder starts: the transcoder with it
      await poll("H.264 from the transcoder", () => got.packets > 50 && got.idr > 0, 20_000);
      const first = relay.stats().transcoder!;
      assert.ok(first.packetsIn > 0 && first.packetsOut > 0, JSON.stringify(first));

      // The speaker's video stops (camera off, last browser gone): ffmpeg's input times out.
      await source.stop();
      await poll("ffmpeg to give up on its silent input", () => relay.stats().transcoder === null, 30_000, 500);

      // Video comes again (another source, as after a speaker switch): a new ffmpeg, H.264 again.
      const before = got.packets;
      source = speaker(relay.forwardTarget.port, 2222);
      await poll("H.264 again from a new transcoder", () => got.packets > before + 50, 20_000);
      const second = relay.stats().transcoder!;
      assert.notEqual(second.pid, first.pid);
      assert.equal(got.ssrcs.size, 1, "the room system sees one stream throughout");
    } finally {
      await source.stop();
      await relay.close();
      room.close();
      await loop;
    }
  },
});
